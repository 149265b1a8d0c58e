import { CreatedAtColumn, UpdatedAtColumn } from '@chatbot/database';
import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const CLIENT_ROLES = ['admin', 'agent', 'viewer'] as const;
export type ClientRole = (typeof CLIENT_ROLES)[number];

/** A human operator of the workspace (TIXAE "client"): takes handed-off conversations. */
@Entity({ schema: 'agents', name: 'clients' })
export class ClientEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index()
  @Column({ type: 'uuid' })
  tenantId!: string;

  @Column({ type: 'uuid', nullable: true })
  orgId!: string | null;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  email!: string;

  @Column({ type: 'text', default: 'agent' })
  role!: ClientRole;

  @Column({ type: 'boolean', default: false })
  online!: boolean;

  @Column({ type: 'timestamptz', nullable: true })
  lastSeenAt!: Date | null;

  @CreatedAtColumn()
  createdAt!: Date;

  @UpdatedAtColumn()
  updatedAt!: Date;
}
