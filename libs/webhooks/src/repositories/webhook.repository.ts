import { Injectable } from '@nestjs/common';
import { type KeysetSweepTarget, keysetSweep } from '@chatbot/database';
import type { PublicEventType } from '@chatbot/events';
import { type TenantId, isUuid } from '@chatbot/tenant-auth';
import { DataSource, type EntityManager, type Repository } from 'typeorm';
import { WebhookEntity } from '../entities/webhook.entity';

/** One deleted webhook's messages or delivery logs, read through the table's (tenant_id, webhook_id, created_at) index. */
export const WEBHOOK_HISTORY_PURGE: Readonly<Record<'messages' | 'logs', KeysetSweepTarget>> = {
  messages: { table: 'business.webhook_messages', key: 'created_at', scope: 't.tenant_id = $4 AND t.webhook_id = $5' },
  logs: { table: 'business.webhook_delivery_logs', key: 'created_at', scope: 't.tenant_id = $4 AND t.webhook_id = $5' },
};

export interface PurgeResult {
  /** Tombstones whose history is gone for good (removed). */
  webhooks: number;
  messages: number;
  logs: number;
}

export interface WebhookFilters {
  eventType?: PublicEventType;
  isActive?: boolean;
}

/** Every query is scoped by tenant: another tenant's webhook is simply not found. */
@Injectable()
export class WebhookRepository {
  private readonly repo: Repository<WebhookEntity>;

  constructor(private readonly dataSource: DataSource) {
    this.repo = dataSource.getRepository(WebhookEntity);
  }

  create(tenantId: TenantId, fields: Omit<Partial<WebhookEntity>, 'tenantId'>): Promise<WebhookEntity> {
    return this.repo.save(this.repo.create({ ...fields, tenantId }));
  }

  find(tenantId: TenantId, id: string): Promise<WebhookEntity | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return this.repo.findOne({ where: { tenantId, id } });
  }

  list(tenantId: TenantId, filters: WebhookFilters): Promise<WebhookEntity[]> {
    return this.repo.find({
      where: {
        tenantId,
        ...(filters.eventType ? { eventType: filters.eventType } : {}),
        ...(filters.isActive !== undefined ? { isActive: filters.isActive } : {}),
      },
      order: { createdAt: 'ASC' },
    });
  }

  async update(tenantId: TenantId, id: string, patch: Partial<WebhookEntity>, manager?: EntityManager): Promise<WebhookEntity | null> {
    if (!isUuid(id)) return null;
    const repo = manager ? manager.getRepository(WebhookEntity) : this.repo;
    await repo.update({ tenantId, id }, patch);
    return repo.findOne({ where: { tenantId, id } });
  }

  /**
   * Deletes the webhook and, in the same statement, leaves a tombstone for its history (messages and delivery logs),
   * which `purgeDeleted` removes later in batches. The statement's cost does not depend on how much history there is.
   */
  async delete(tenantId: TenantId, id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    const rows = await this.dataSource.query<{ webhook_id: string }[]>(
      `WITH gone AS (DELETE FROM business.webhooks WHERE tenant_id = $1 AND id = $2 RETURNING tenant_id, id)
       INSERT INTO business.webhook_purges (tenant_id, webhook_id) SELECT tenant_id, id FROM gone
       ON CONFLICT DO NOTHING RETURNING webhook_id`,
      [tenantId, id],
    );
    return rows.length > 0;
  }

  /**
   * Deletes the history of deleted webhooks (oldest tombstones first, at most `maxWebhooks` per call): their messages and
   * delivery logs created before `now`, in batches of `batchSize` rows. A tombstone stays until it is older than
   * `graceMs`, so that what was in flight when the webhook was deleted (a fan-out statement, a delivery waiting for
   * its endpoint) and wrote after this pass is removed by a later one; then it goes. Across every tenant: a system
   * task.
   */
  async purgeDeleted(now: Date, { graceMs, batchSize = 5000, maxWebhooks = 100 }: { graceMs: number; batchSize?: number; maxWebhooks?: number }): Promise<PurgeResult> {
    const result: PurgeResult = { webhooks: 0, messages: 0, logs: 0 };
    const tombstones = await this.dataSource.query<{ tenant_id: string; webhook_id: string; deleted_at: Date }[]>(
      `SELECT tenant_id, webhook_id, deleted_at FROM business.webhook_purges ORDER BY deleted_at LIMIT $1`,
      [maxWebhooks],
    );
    for (const { tenant_id: tenantId, webhook_id: webhookId, deleted_at: deletedAt } of tombstones) {
      result.messages += await keysetSweep(this.dataSource, WEBHOOK_HISTORY_PURGE.messages, now, batchSize, [tenantId, webhookId]);
      result.logs += await keysetSweep(this.dataSource, WEBHOOK_HISTORY_PURGE.logs, now, batchSize, [tenantId, webhookId]);
      if (deletedAt.getTime() <= now.getTime() - graceMs) {
        await this.dataSource.query(`DELETE FROM business.webhook_purges WHERE tenant_id = $1 AND webhook_id = $2`, [tenantId, webhookId]);
        result.webhooks++;
      }
    }
    return result;
  }

  /** A failed attempt: counts it and starts (or keeps) the failing period. Returns the updated counters. */
  async recordFailure(
    manager: EntityManager,
    tenantId: TenantId,
    id: string,
  ): Promise<{ failingSince: Date; consecutiveFailures: number; isActive: boolean } | null> {
    const rows = await manager.query<[{ failing_since: Date; consecutive_failures: number; is_active: boolean }[], number]>(
      `UPDATE business.webhooks
          SET consecutive_failures = consecutive_failures + 1,
              failing_since = COALESCE(failing_since, now()),
              updated_at = now()
        WHERE tenant_id = $1 AND id = $2
        RETURNING failing_since, consecutive_failures, is_active`,
      [tenantId, id],
    );
    const row = rows[0]?.[0];
    return row ? { failingSince: row.failing_since, consecutiveFailures: row.consecutive_failures, isActive: row.is_active } : null;
  }

  async recordSuccess(manager: EntityManager, tenantId: TenantId, id: string): Promise<void> {
    await manager.query(
      `UPDATE business.webhooks SET consecutive_failures = 0, failing_since = NULL
        WHERE tenant_id = $1 AND id = $2 AND (consecutive_failures <> 0 OR failing_since IS NOT NULL)`,
      [tenantId, id],
    );
  }

  get source(): DataSource {
    return this.dataSource;
  }
}
