import { Injectable } from '@nestjs/common';
import { DataSource, IsNull, type Repository } from 'typeorm';
import { ApiKeyEntity } from '../entities/api-key.entity';
import { TenantEntity } from '../entities/tenant.entity';
import { isUuid } from '../tenants/tenant.repository';
import type { KeyScope } from '../tenants/tenant-context';

export interface ActiveKeyRow {
  key: ApiKeyEntity;
  tenant: TenantEntity;
}

@Injectable()
export class ApiKeyRepository {
  private readonly repo: Repository<ApiKeyEntity>;

  constructor(private readonly dataSource: DataSource) {
    this.repo = dataSource.getRepository(ApiKeyEntity);
  }

  insert(input: {
    tenantId: string;
    prefix: string;
    keyHash: string;
    scopes: KeyScope[];
    agentId: string | null;
    name: string | null;
  }): Promise<ApiKeyEntity> {
    return this.repo.save(this.repo.create(input));
  }

  /** The live (not revoked) key with this hash and its tenant, in one query. */
  async findActiveByHash(keyHash: string): Promise<ActiveKeyRow | null> {
    const key = await this.repo.findOne({ where: { keyHash, revokedAt: IsNull() } });
    if (!key) return null;
    const tenant = await this.dataSource.getRepository(TenantEntity).findOne({ where: { id: key.tenantId } });
    return tenant ? { key, tenant } : null;
  }

  findById(id: string): Promise<ApiKeyEntity | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return this.repo.findOne({ where: { id } });
  }

  listForTenant(tenantId: string): Promise<ApiKeyEntity[]> {
    return this.repo.find({ where: { tenantId }, order: { createdAt: 'DESC' } });
  }

  async revoke(id: string): Promise<ApiKeyEntity | null> {
    if (!isUuid(id)) return null;
    await this.repo.update({ id, revokedAt: IsNull() }, { revokedAt: new Date() });
    return this.findById(id);
  }

  /** Revokes every live key of the tenant; answers their ids. */
  async revokeAllForTenant(tenantId: string): Promise<string[]> {
    if (!isUuid(tenantId)) return [];
    const rows = await this.repo
      .createQueryBuilder()
      .update()
      .set({ revokedAt: () => 'now()' })
      .where('tenant_id = :tenantId AND revoked_at IS NULL', { tenantId })
      .returning(['id'])
      .execute();
    return (rows.raw as { id: string }[]).map((r) => r.id);
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.repo.update({ id }, { lastUsedAt: at });
  }
}
