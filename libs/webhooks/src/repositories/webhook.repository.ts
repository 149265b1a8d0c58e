import { Injectable } from '@nestjs/common';
import type { PublicEventType } from '@chatbot/events';
import { type TenantId, isUuid } from '@chatbot/tenant-auth';
import { DataSource, type EntityManager, type Repository } from 'typeorm';
import { WebhookEntity } from '../entities/webhook.entity';

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

  async delete(tenantId: TenantId, id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    const result = await this.repo.delete({ tenantId, id });
    return (result.affected ?? 0) > 0;
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
