import { Injectable } from '@nestjs/common';
import type { EventEnvelope } from '@chatbot/events';
import type { TenantId } from '@chatbot/tenant-auth';
import { DataSource, type EntityManager, type Repository } from 'typeorm';
import { WebhookEventEntity } from '../entities/webhook-event.entity';
import { type MessageStatus, WebhookMessageEntity } from '../entities/webhook-message.entity';
import type { WebhookEntity } from '../entities/webhook.entity';
import { WEBHOOK_COLUMNS, type WebhookRow, webhookFromRow } from './webhook-row';

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

/** A webhook an event fans out to. */
export interface FanoutTarget {
  id: string;
  tenantId: string;
  retryConfig: WebhookEntity['retryConfig'];
}

@Injectable()
export class WebhookMessageRepository {
  private readonly messages: Repository<WebhookMessageEntity>;

  constructor(private readonly dataSource: DataSource) {
    this.messages = dataSource.getRepository(WebhookMessageEntity);
  }

  /**
   * Fan-out in one statement: finds the tenant's active webhooks for the event type, stores the event once and a
   * pending message per webhook, and returns the webhooks. Idempotent: a replayed fan-out inserts nothing new.
   */
  async fanOut(tenantId: TenantId, event: EventEnvelope): Promise<FanoutTarget[]> {
    const rows = await this.dataSource.query<{ id: string; retry_config: WebhookEntity['retryConfig'] }[]>(
      `WITH hooks AS (
         SELECT id, retry_config FROM business.webhooks WHERE tenant_id = $1 AND event_type = $2 AND is_active
       ), ev AS (
         INSERT INTO business.webhook_events (id, tenant_id, event_type, envelope, occurred_at)
         SELECT $3, $1, $2, $4::jsonb, $5 WHERE EXISTS (SELECT 1 FROM hooks)
         ON CONFLICT (id) DO NOTHING
       ), msgs AS (
         INSERT INTO business.webhook_messages (tenant_id, webhook_id, event_id)
         SELECT $1, id, $3 FROM hooks
         ON CONFLICT (webhook_id, event_id) DO NOTHING
       )
       SELECT id, retry_config FROM hooks`,
      [tenantId, event.type, event.id, JSON.stringify(event), event.occurred_at],
    );
    return rows.map((row) => ({ id: row.id, tenantId, retryConfig: row.retry_config }));
  }

  /** The webhook, the message and the event of one delivery job, in one statement; null when the webhook is gone. */
  async deliveryContext(tenantId: TenantId, webhookId: string, eventId: string): Promise<DeliveryContext | null> {
    const rows = await this.dataSource.query<(WebhookRow & { m_id: string; m_status: MessageStatus; envelope: EventEnvelope })[]>(
      `SELECT ${WEBHOOK_COLUMNS}, m.id AS m_id, m.status AS m_status, e.envelope
         FROM business.webhook_messages m
         JOIN business.webhooks w ON w.id = m.webhook_id AND w.tenant_id = m.tenant_id
         JOIN business.webhook_events e ON e.id = m.event_id AND e.tenant_id = m.tenant_id
        WHERE m.tenant_id = $1 AND m.webhook_id = $2 AND m.event_id = $3`,
      [tenantId, webhookId, eventId],
    );
    const row = rows[0];
    if (!row) return null;
    return { webhook: webhookFromRow(row), messageId: row.m_id, messageStatus: row.m_status, event: row.envelope };
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
