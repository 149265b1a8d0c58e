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
  // One statement (one round trip): the row and its notification.
  await manager.query(
    `WITH row AS (
       INSERT INTO events.outbox (id, tenant_id, event_type, aggregate_id, payload, occurred_at)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6) RETURNING id
     )
     SELECT pg_notify($7, id::text) FROM row`,
    [id, event.tenantId, event.type, event.aggregateId ?? null, JSON.stringify(event.data), occurredAt, OUTBOX_NOTIFY_CHANNEL],
  );
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

/**
 * Writes several events of one transaction in one statement (rows in the given order, one NOTIFY). Same guarantees as
 * `writeOutboxEvent`.
 */
export async function writeOutboxEvents(manager: EntityManager, events: readonly NewEvent<EventType>[]): Promise<string[]> {
  if (events.length === 0) return [];
  if (!manager.queryRunner?.isTransactionActive) {
    throw new Error('writeOutboxEvents must be called inside a transaction (use dataSource.transaction)');
  }
  const { statement, ids } = outboxEventsStatement(events);
  await manager.query(statement.text, [...statement.values]);
  return ids;
}

/**
 * The statement `writeOutboxEvents` runs (rows in the given order, one NOTIFY), for callers that send it themselves
 * inside their own transaction (e.g. pipelined with COMMIT). Empty `events`: nothing to send, no statement.
 */
export function outboxEventsStatement(events: readonly NewEvent<EventType>[]): { statement: { text: string; values: unknown[] }; ids: string[] } {
  const now = new Date();
  const ids = events.map(() => randomUUID());
  // created_at steps by a microsecond per row so the relay (oldest first) keeps the order the events were raised in.
  const text = `WITH rows AS (
       INSERT INTO events.outbox (id, tenant_id, event_type, aggregate_id, payload, occurred_at, created_at)
       SELECT e.id, e.tenant_id, e.event_type, e.aggregate_id, e.payload, e.occurred_at, now() + (e.n - 1) * interval '1 microsecond'
       FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::jsonb[], $6::timestamptz[])
            WITH ORDINALITY AS e(id, tenant_id, event_type, aggregate_id, payload, occurred_at, n)
       RETURNING id
     )
     SELECT pg_notify($7, (SELECT id::text FROM rows LIMIT 1))`;
  const values = [
    ids,
    events.map((e) => e.tenantId),
    events.map((e) => e.type),
    events.map((e) => e.aggregateId ?? null),
    events.map((e) => JSON.stringify(e.data)),
    events.map((e) => e.occurredAt ?? now),
    OUTBOX_NOTIFY_CHANNEL,
  ];
  return { statement: { text, values }, ids };
}
