import { CreatedAtColumn } from '@chatbot/database';
import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One delivery attempt (real or test), as the logs route shows it. */
@Index('webhook_delivery_logs_tenant_webhook_idx', ['tenantId', 'webhookId', 'createdAt'])
@Entity({ schema: 'business', name: 'webhook_delivery_logs' })
export class DeliveryLogEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  tenantId!: string;

  @Column({ type: 'uuid' })
  webhookId!: string;

  /** The message this attempt was for; a plain reference (no foreign key), so it may outlive the message. */
  @Column({ type: 'uuid', nullable: true })
  messageId!: string | null;

  @Column({ type: 'uuid' })
  eventId!: string;

  @Column({ type: 'text' })
  eventType!: string;

  /** 1 for the first attempt; the seed's `retry_count` is `attempt - 1`. */
  @Column({ type: 'integer' })
  attempt!: number;

  @Column({ type: 'boolean', default: false })
  isTest!: boolean;

  @Column({ type: 'text' })
  requestUrl!: string;

  @Column({ type: 'integer', nullable: true })
  responseStatus!: number | null;

  @Column({ type: 'text', nullable: true })
  responseBody!: string | null;

  @Column({ type: 'text', nullable: true })
  errorMessage!: string | null;

  @Column({ type: 'integer' })
  durationMs!: number;

  @Column({ type: 'boolean' })
  success!: boolean;

  @Column({ type: 'timestamptz', nullable: true })
  nextAttemptAt!: Date | null;

  @CreatedAtColumn()
  createdAt!: Date;
}
