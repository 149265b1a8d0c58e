import { Injectable } from '@nestjs/common';
import { type KeysetSweepTarget, keysetSweep } from '@chatbot/database';
import type { EventEnvelope } from '@chatbot/events';
import type { TenantId } from '@chatbot/tenant-auth';
import { DataSource, type EntityManager, type Repository } from 'typeorm';
import { WebhookEventEntity } from '../entities/webhook-event.entity';
import { type MessageStatus, WebhookMessageEntity } from '../entities/webhook-message.entity';
import type { WebhookEntity } from '../entities/webhook.entity';
import { WEBHOOK_COLUMNS, type WebhookRow, webhookFromRow } from './webhook-row';
import { type NamedStatement, directQuery } from '../batching/pg-direct';

/** What the webhook-event retention sweep deletes: events by `created_at`, none with a delivery still pending. */
export const WEBHOOK_EVENT_SWEEP: KeysetSweepTarget = {
  table: 'business.webhook_events',
  key: 'created_at',
  onlyIf: `NOT EXISTS (SELECT 1 FROM business.webhook_messages m WHERE m.event_id = t.id AND m.status = 'pending')`,
};

/**
 * The hot path's named statements (see `directQuery`): each table access is an index lookup by the statement's own
 * structure, so their generic plans stay right on tables of any size (test/webhook-generic-plans.e2e-spec.ts).
 * Rename one whenever its text changes: a connection keeps the text it prepared under a name.
 */
export const FANOUT_STATEMENT: NamedStatement = {
  name: 'webhooks_fanout_v1',
  text: `WITH input AS (
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::jsonb[], $5::timestamptz[])
              AS u(event_id, tenant_id, event_type, envelope, occurred_at)
   ), hooks AS (
     SELECT i.event_id, w.*
       FROM input i
      CROSS JOIN LATERAL (
            SELECT * FROM business.webhooks
             WHERE tenant_id = i.tenant_id AND event_type = i.event_type AND is_active OFFSET 0
            ) w
   ), ev AS (
     INSERT INTO business.webhook_events (id, tenant_id, event_type, envelope, occurred_at)
     SELECT i.event_id, i.tenant_id, i.event_type, i.envelope, i.occurred_at FROM input i
      WHERE EXISTS (SELECT 1 FROM hooks h WHERE h.event_id = i.event_id)
     ON CONFLICT (id) DO NOTHING
   ), msgs AS (
     INSERT INTO business.webhook_messages (tenant_id, webhook_id, event_id)
     SELECT tenant_id, id, event_id FROM hooks
     ON CONFLICT (webhook_id, event_id) DO NOTHING
     RETURNING id, webhook_id, event_id
   )
   SELECT ${WEBHOOK_COLUMNS}, w.event_id, m.id AS new_message_id
     FROM hooks w LEFT JOIN msgs m ON m.webhook_id = w.id AND m.event_id = w.event_id`,
};

export const DELIVERY_CONTEXTS_STATEMENT: NamedStatement = {
  name: 'webhooks_delivery_contexts_v1',
  text: `SELECT ${WEBHOOK_COLUMNS}, m.id AS m_id, m.event_id AS m_event_id, m.status AS m_status, e.envelope
     FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) AS k(tenant_id, webhook_id, event_id)
    CROSS JOIN LATERAL (SELECT * FROM business.webhook_messages m WHERE m.webhook_id = k.webhook_id AND m.event_id = k.event_id LIMIT 1) m
    CROSS JOIN LATERAL (SELECT * FROM business.webhooks w WHERE w.id = m.webhook_id LIMIT 1) w
    CROSS JOIN LATERAL (SELECT * FROM business.webhook_events e WHERE e.id = m.event_id LIMIT 1) e
    WHERE m.tenant_id = k.tenant_id AND w.tenant_id = k.tenant_id AND e.tenant_id = k.tenant_id`,
};

export interface MessageWithEvent {
  message: WebhookMessageEntity;
  event: EventEnvelope;
}

/** What one delivery attempt needs, read in one statement. */
export interface DeliveryContext {
  webhook: WebhookEntity;
  messageId: string;
  messageStatus: MessageStatus;
  event: EventEnvelope;
}

/** Identifies the message of one delivery job. */
export interface DeliveryKey {
  tenantId: string;
  webhookId: string;
  eventId: string;
}

/** A webhook an event fans out to. */
export interface FanoutTarget {
  id: string;
  tenantId: string;
  retryConfig: WebhookEntity['retryConfig'];
}

/** A webhook an event fans out to, as the fan-out statement read it. */
export interface FannedOutTarget extends FanoutTarget {
  webhook: WebhookEntity;
  /** The pending message this fan-out created; null when it existed already (a replayed fan-out). */
  newMessageId: string | null;
}

@Injectable()
export class WebhookMessageRepository {
  private readonly messages: Repository<WebhookMessageEntity>;

  constructor(private readonly dataSource: DataSource) {
    this.messages = dataSource.getRepository(WebhookMessageEntity);
  }

  /**
   * Fan-out of many events in one statement: finds each event's tenant's active webhooks for its type, stores each
   * event that has any once and a pending message per (webhook, event), and returns the webhooks of each event, in
   * input order, with the message when this call created it. Idempotent: a replayed fan-out inserts nothing new.
   * The webhooks are looked up per event through the (tenant_id, event_type) index (LATERAL ... OFFSET 0, so a
   * missing statistic cannot turn it into a scan).
   */
  async fanOutMany(events: readonly EventEnvelope[]): Promise<FannedOutTarget[][]> {
    if (events.length === 0) return [];
    const rows = await directQuery<WebhookRow & { event_id: string; new_message_id: string | null }>(
      this.dataSource,
      FANOUT_STATEMENT,
      [
        events.map((e) => e.id),
        events.map((e) => e.tenant_id),
        events.map((e) => e.type),
        events.map((e) => JSON.stringify(e)),
        events.map((e) => e.occurred_at),
      ],
    );
    const byEvent = new Map<string, FannedOutTarget[]>();
    for (const row of rows) {
      const list = byEvent.get(row.event_id) ?? [];
      const webhook = webhookFromRow(row);
      list.push({ id: webhook.id, tenantId: webhook.tenantId, retryConfig: webhook.retryConfig, webhook, newMessageId: row.new_message_id });
      byEvent.set(row.event_id, list);
    }
    return events.map((e) => byEvent.get(e.id.toLowerCase()) ?? []);
  }

  /** Fan-out of one event (see fanOutMany). */
  async fanOut(tenantId: TenantId, event: EventEnvelope): Promise<FanoutTarget[]> {
    const [targets] = await this.fanOutMany([{ ...event, tenant_id: tenantId }]);
    return targets ?? [];
  }

  /**
   * The webhook, the message and the event of many delivery jobs, in one statement, in input order; null where the
   * webhook (and with it the message) is gone. Each row is looked up by its unique key (LATERAL ... LIMIT 1 keeps the
   * planner from reordering the joins): with stale or missing statistics a plain join was planned as a walk over a
   * big tenant's or webhook's whole index for every key (10-30 ms per batch instead of 0.5).
   */
  async deliveryContexts(keys: readonly DeliveryKey[]): Promise<(DeliveryContext | null)[]> {
    if (keys.length === 0) return [];
    const rows = await directQuery<WebhookRow & { m_id: string; m_event_id: string; m_status: MessageStatus; envelope: EventEnvelope }>(
      this.dataSource,
      DELIVERY_CONTEXTS_STATEMENT,
      [keys.map((k) => k.tenantId), keys.map((k) => k.webhookId), keys.map((k) => k.eventId)],
    );
    const found = new Map<string, DeliveryContext>();
    for (const row of rows) {
      found.set(`${row.tenant_id}|${row.id}|${row.m_event_id}`, {
        webhook: webhookFromRow(row),
        messageId: row.m_id,
        messageStatus: row.m_status,
        event: row.envelope,
      });
    }
    return keys.map((k) => found.get(`${k.tenantId}|${k.webhookId}|${k.eventId}`.toLowerCase()) ?? null);
  }

  /** The webhook, the message and the event of one delivery job; null when the webhook is gone. */
  async deliveryContext(tenantId: TenantId, webhookId: string, eventId: string): Promise<DeliveryContext | null> {
    const [found] = await this.deliveryContexts([{ tenantId, webhookId, eventId }]);
    return found ?? null;
  }

  async find(tenantId: TenantId, webhookId: string, eventId: string): Promise<MessageWithEvent | null> {
    const message = await this.messages.findOne({ where: { tenantId, webhookId, eventId } });
    if (!message) return null;
    const event = await this.dataSource.getRepository(WebhookEventEntity).findOne({ where: { tenantId, id: eventId } });
    return event ? { message, event: event.envelope } : null;
  }

  async findEvent(tenantId: TenantId, eventId: string): Promise<EventEnvelope | null> {
    const event = await this.dataSource.getRepository(WebhookEventEntity).findOne({ where: { tenantId, id: eventId } });
    return event?.envelope ?? null;
  }

  async recordAttempt(
    manager: EntityManager,
    id: string,
    fields: { status: MessageStatus; attempts: number; lastError: string | null; nextAttemptAt: Date | null },
  ): Promise<void> {
    const now = new Date();
    await manager.getRepository(WebhookMessageEntity).update(
      { id },
      {
        ...fields,
        lastAttemptAt: now,
        ...(fields.status === 'delivered' ? { deliveredAt: now } : {}),
      },
    );
  }

  async markFailed(tenantId: TenantId, id: string, reason: string): Promise<void> {
    await this.messages.update({ tenantId, id }, { status: 'failed', lastError: reason, nextAttemptAt: null });
  }

  /** Failed messages of a webhook created since `since` (for recover), oldest first. */
  failedSince(tenantId: TenantId, webhookId: string, since: Date, limit: number): Promise<WebhookMessageEntity[]> {
    return this.messages
      .createQueryBuilder('m')
      .where('m.tenant_id = :tenantId AND m.webhook_id = :webhookId AND m.status = :status AND m.created_at >= :since', {
        tenantId,
        webhookId,
        status: 'failed',
        since,
      })
      .orderBy('m.created_at', 'ASC')
      .limit(limit)
      .getMany();
  }

  /**
   * Retention: deletes webhook events created before `before`, and with them (cascade) their messages, except events
   * with a delivery still pending (a retry, redelivery or recovery on its way). Oldest first, in keyset batches through
   * `webhook_events_created_at_idx` (see keysetSweep); the pending check goes through the (event_id, webhook_id)
   * index. Across every tenant: a system sweep. Returns the number of events deleted.
   */
  deleteEventsOlderThan(before: Date, batchSize = 2000): Promise<number> {
    return keysetSweep(this.dataSource, WEBHOOK_EVENT_SWEEP, before, batchSize);
  }

  /** Puts messages back to pending before they are enqueued again. */
  async reopen(tenantId: TenantId, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.messages
      .createQueryBuilder()
      .update()
      .set({ status: 'pending', lastError: null })
      .where('tenant_id = :tenantId AND id IN (:...ids)', { tenantId, ids })
      .execute();
  }
}
