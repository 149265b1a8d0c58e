import { CreatedAtColumn } from '@chatbot/database';
import type { EventEnvelope, PublicEventType } from '@chatbot/events';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * An event kept for delivery, redelivery and recovery (one row, however many webhooks receive it), for
 * WEBHOOK_EVENT_RETENTION_DAYS unless a delivery of it is still pending.
 */
@Index('webhook_events_created_at_idx', ['createdAt'])
@Entity({ schema: 'business', name: 'webhook_events' })
export class WebhookEventEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Index()
  @Column({ type: 'uuid' })
  tenantId!: string;

  @Column({ type: 'text' })
  eventType!: PublicEventType;

  @Column({ type: 'jsonb' })
  envelope!: EventEnvelope;

  @Column({ type: 'timestamptz' })
  occurredAt!: Date;

  @CreatedAtColumn()
  createdAt!: Date;
}
