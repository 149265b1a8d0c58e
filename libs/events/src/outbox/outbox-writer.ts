import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { EventEnvelope, EventPayloads, EventType } from '../catalog';
import type { OutboxEventEntity } from './outbox-event.entity';

export const OUTBOX_NOTIFY_CHANNEL = 'events_outbox';

export interface NewEvent<T extends EventType> {
  tenantId: string;
  type: T;
  data: EventPayloads[T];
  aggregateId?: string;
  occurredAt?: Date;
}

/**
 * Writes an event inside the caller's transaction: it exists exactly when the change that caused it commits. The
 * NOTIFY is transactional too (delivered on commit), waking the relay without polling.
 */
export async function writeOutboxEvent<T extends EventType>(manager: EntityManager, event: NewEvent<T>): Promise<EventEnvelope<T>> {
  if (!manager.queryRunner?.isTransactionActive) {
    throw new Error('writeOutboxEvent must be called inside a transaction (use dataSource.transaction)');
  }
  const id = randomUUID();
  const occurredAt = event.occurredAt ?? new Date();
  await manager.query(
    `INSERT INTO events.outbox (id, tenant_id, event_type, aggregate_id, payload, occurred_at)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6)`,
    [id, event.tenantId, event.type, event.aggregateId ?? null, JSON.stringify(event.data), occurredAt],
  );
  await manager.query('SELECT pg_notify($1, $2)', [OUTBOX_NOTIFY_CHANNEL, id]);
  return { id, type: event.type, tenant_id: event.tenantId, occurred_at: occurredAt.toISOString(), data: event.data };
}

export function toEnvelope(row: OutboxEventEntity): EventEnvelope {
  return {
    id: row.id,
    type: row.eventType,
    tenant_id: row.tenantId,
    occurred_at: row.occurredAt.toISOString(),
    data: row.payload as unknown as EventEnvelope['data'],
  };
}
