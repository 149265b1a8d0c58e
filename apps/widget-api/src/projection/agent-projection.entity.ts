import { Column, Entity, PrimaryColumn } from 'typeorm';

export type KbStatus = 'empty' | 'indexing' | 'ready' | 'failed';

/**
 * The widget-facing projection of one agent (TIXAE field names, never a secret): what `agent_updated` carried, plus
 * the knowledge-base status from `kb_status_changed`. Deleted agents keep a tombstone so a late update cannot revive them.
 */
@Entity({ schema: 'widget', name: 'agent_projections' })
export class AgentProjectionEntity {
  @PrimaryColumn({ type: 'uuid' })
  agentId!: string;

  @Column({ type: 'uuid' })
  tenantId!: string;

  @Column({ type: 'integer' })
  version!: number;

  /** `ID, agentPlatform, title, disabled, lang, theme, customTheme, vg_prompt, allowedOrigins, welcomeMessage, ...` */
  @Column({ type: 'jsonb' })
  agent!: Record<string, unknown>;

  @Column({ type: 'text', default: 'empty' })
  kbStatus!: KbStatus;

  @Column({ type: 'boolean', default: false })
  deleted!: boolean;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
