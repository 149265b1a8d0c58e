import { CreatedAtColumn } from '@chatbot/database';
import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type MessageStatus = 'pending' | 'delivered' | 'failed';

/** One event to one webhook: its delivery state across attempts. */
@Index('webhook_messages_tenant_webhook_idx', ['tenantId', 'webhookId', 'createdAt'])
@Index('webhook_messages_event_webhook_key', ['eventId', 'webhookId'], { unique: true })
@Entity({ schema: 'business', name: 'webhook_messages' })
export class WebhookMessageEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  tenantId!: string;

  @Column({ type: 'uuid' })
  webhookId!: string;

  @Column({ type: 'uuid' })
  eventId!: string;

  @Column({ type: 'text', default: 'pending' })
  status!: MessageStatus;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  lastAttemptAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  nextAttemptAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  deliveredAt!: Date | null;

  @CreatedAtColumn()
  createdAt!: Date;
}
