import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { EventType } from '../catalog';

/**
 * One event, written in the same transaction as the state change that caused it. The relay (worker) publishes rows
 * whose `published_at` is null, oldest first; the retention sweep (worker) deletes rows published more than
 * OUTBOX_RETENTION_HOURS ago.
 */
@Entity({ schema: 'events', name: 'outbox' })
@Index('outbox_unpublished_idx', ['createdAt'], { where: 'published_at IS NULL' })
@Index('outbox_published_idx', ['publishedAt'], { where: 'published_at IS NOT NULL' })
export class OutboxEventEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Index()
  @Column({ type: 'uuid' })
  tenantId!: string;

  @Column({ type: 'text' })
  eventType!: EventType;

  /** What the event is about (agent id, conversation id...), for ordering and tracing. */
  @Column({ type: 'text', nullable: true })
  aggregateId!: string | null;

  @Column({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  @Column({ type: 'timestamptz' })
  occurredAt!: Date;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  publishedAt!: Date | null;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ type: 'text', nullable: true })
  lastError!: string | null;
}
