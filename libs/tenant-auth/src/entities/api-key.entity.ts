import { CreatedAtColumn } from '@chatbot/database';
import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { KeyScope } from '../tenants/tenant-context';

@Entity({ schema: 'tenancy', name: 'api_keys' })
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index()
  @Column({ type: 'uuid' })
  tenantId!: string;

  @Column({ type: 'text', nullable: true })
  name!: string | null;

  /** First characters of the key, shown in listings so a key can be recognised without being stored. */
  @Column({ type: 'text' })
  prefix!: string;

  /** SHA-256 (hex) of the whole key. The key itself is never stored. */
  @Column({ type: 'char', length: 64, unique: true })
  keyHash!: string;

  @Column({ type: 'text', array: true })
  scopes!: KeyScope[];

  @Column({ type: 'text', nullable: true })
  agentId!: string | null;

  @CreatedAtColumn()
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;
}
