import { Injectable } from '@nestjs/common';
import type { TenantId } from '@chatbot/tenant-auth';
import { isUuid } from '@chatbot/tenant-auth';
import { DataSource, type EntityManager, LessThan, type Repository } from 'typeorm';
import { DeliveryLogEntity } from '../entities/delivery-log.entity';

export type NewDeliveryLog = Omit<DeliveryLogEntity, 'id' | 'createdAt'>;

@Injectable()
export class DeliveryLogRepository {
  private readonly repo: Repository<DeliveryLogEntity>;

  constructor(dataSource: DataSource) {
    this.repo = dataSource.getRepository(DeliveryLogEntity);
  }

  insert(manager: EntityManager, log: NewDeliveryLog): Promise<DeliveryLogEntity> {
    const repo = manager.getRepository(DeliveryLogEntity);
    return repo.save(repo.create(log));
  }

  /** Newest first. */
  list(tenantId: TenantId, webhookId: string, limit: number, offset: number): Promise<DeliveryLogEntity[]> {
    return this.repo.find({
      where: { tenantId, webhookId },
      order: { createdAt: 'DESC', attempt: 'DESC' },
      take: limit,
      skip: offset,
    });
  }

  find(tenantId: TenantId, webhookId: string, id: string): Promise<DeliveryLogEntity | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return this.repo.findOne({ where: { tenantId, webhookId, id } });
  }

  /** Retention: drops attempts older than `before`, in batches so the table is never locked for long. */
  async deleteOlderThan(before: Date, batchSize = 5000): Promise<number> {
    let total = 0;
    for (;;) {
      const rows = await this.repo.find({ select: { id: true }, where: { createdAt: LessThan(before) }, take: batchSize });
      if (rows.length === 0) return total;
      await this.repo.delete(rows.map((r) => r.id));
      total += rows.length;
      if (rows.length < batchSize) return total;
    }
  }
}
