import { Injectable } from '@nestjs/common';
import type { EventEnvelope } from '@chatbot/events';
import type { TenantId } from '@chatbot/tenant-auth';
import { DataSource, type EntityManager, type Repository } from 'typeorm';
import { WebhookEventEntity } from '../entities/webhook-event.entity';
import { type MessageStatus, WebhookMessageEntity } from '../entities/webhook-message.entity';

export interface MessageWithEvent {
  message: WebhookMessageEntity;
  event: EventEnvelope;
}

@Injectable()
export class WebhookMessageRepository {
  private readonly messages: Repository<WebhookMessageEntity>;

  constructor(private readonly dataSource: DataSource) {
    this.messages = dataSource.getRepository(WebhookMessageEntity);
  }

  /** Stores the event once and a pending message per webhook. Idempotent: a replayed fan-out changes nothing. */
  async createForEvent(tenantId: TenantId, event: EventEnvelope, webhookIds: readonly string[]): Promise<void> {
    if (webhookIds.length === 0) return;
    await this.dataSource.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO business.webhook_events (id, tenant_id, event_type, envelope, occurred_at)
         VALUES ($1, $2, $3, $4::jsonb, $5) ON CONFLICT (id) DO NOTHING`,
        [event.id, tenantId, event.type, JSON.stringify(event), event.occurred_at],
      );
      await manager.query(
        `INSERT INTO business.webhook_messages (tenant_id, webhook_id, event_id)
         SELECT $1, unnest($2::uuid[]), $3 ON CONFLICT (webhook_id, event_id) DO NOTHING`,
        [tenantId, webhookIds, event.id],
      );
    });
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
