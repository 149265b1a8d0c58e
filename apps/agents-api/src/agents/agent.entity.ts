import { CreatedAtColumn, UpdatedAtColumn } from '@chatbot/database';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { AgentSettings } from './agent-fields';

@Entity({ schema: 'agents', name: 'agents' })
@Index('agents_tenant_id_idx', ['tenantId', 'createdAt'])
export class AgentEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'uuid' })
  tenantId!: string;

  @Column({ type: 'text', default: 'vg' })
  platform!: 'vf' | 'vg';

  @Column({ type: 'text' })
  title!: string;

  @Column({ type: 'boolean', default: false })
  disabled!: boolean;

  /** Non-secret wire fields (TIXAE names). */
  @Column({ type: 'jsonb', default: {} })
  settings!: AgentSettings;

  /** SecretBox envelope of the secret wire fields (channel tokens, service-account key, VF keys). */
  @Column({ type: 'text', nullable: true })
  secretsEncrypted!: string | null;

  /** The agent's own API key (`SECRET_API_KEY`, agent-scoped); only its id and visible prefix are kept here. */
  @Column({ type: 'uuid', nullable: true })
  apiKeyId!: string | null;

  @Column({ type: 'text', nullable: true })
  apiKeyPrefix!: string | null;

  /** Increases on every edit; consumers of `agent_updated` keep the highest. */
  @Column({ type: 'integer', default: 1 })
  version!: number;

  @CreatedAtColumn()
  createdAt!: Date;

  @UpdatedAtColumn()
  updatedAt!: Date;
}
