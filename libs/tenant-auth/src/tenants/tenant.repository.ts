import { Injectable } from '@nestjs/common';
import { DataSource, type Repository } from 'typeorm';
import { TenantEntity, type TenantStatus } from '../entities/tenant.entity';
import type { PlanTier } from '../plans/plans';

@Injectable()
export class TenantRepository {
  private readonly repo: Repository<TenantEntity>;

  constructor(dataSource: DataSource) {
    this.repo = dataSource.getRepository(TenantEntity);
  }

  create(input: { name: string; planTier: PlanTier; status?: TenantStatus }): Promise<TenantEntity> {
    return this.repo.save(this.repo.create({ status: 'active', ...input }));
  }

  findById(id: string): Promise<TenantEntity | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return this.repo.findOne({ where: { id } });
  }

  findByName(name: string): Promise<TenantEntity | null> {
    return this.repo.findOne({ where: { name }, order: { createdAt: 'ASC' } });
  }

  async update(id: string, patch: Partial<Pick<TenantEntity, 'name' | 'planTier' | 'status' | 'deletedAt'>>): Promise<TenantEntity | null> {
    if (!isUuid(id)) return null;
    await this.repo.update({ id }, patch);
    return this.findById(id);
  }

  async delete(id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    const result = await this.repo.delete({ id });
    return (result.affected ?? 0) > 0;
  }
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(value: string): boolean {
  return UUID_RE.test(value);
}
