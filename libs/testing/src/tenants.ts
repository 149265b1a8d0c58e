import { createDataSource } from '@chatbot/database';
import {
  ApiKeyRepository,
  type PlanTier,
  TENANCY_ENTITIES,
  TenancyAdminService,
  TenantRepository,
} from '@chatbot/tenant-auth';
import { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { testEnv } from './env';

export interface TestTenant {
  tenantId: string;
  apiKey: string;
  keyId: string;
}

/** Creates tenants and keys straight in the run's database (a fresh tenant per test keeps tests independent). */
export class TestTenants {
  private constructor(
    private readonly dataSource: DataSource,
    private readonly redis: Redis,
    readonly admin: TenancyAdminService,
  ) {}

  static async open(overrides: Record<string, string | undefined> = {}): Promise<TestTenants> {
    const env = testEnv(overrides);
    const dataSource = createDataSource({ url: env['DATABASE_URL']!, entities: TENANCY_ENTITIES, poolSize: 2 });
    await dataSource.initialize();
    const redis = new Redis(env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1, lazyConnect: true });
    await redis.connect();
    const admin = new TenancyAdminService(
      new TenantRepository(dataSource),
      new ApiKeyRepository(dataSource),
      redis,
      env['REDIS_PREFIX'] ?? 'cb',
    );
    return new TestTenants(dataSource, redis, admin);
  }

  async create(plan: PlanTier = 'team', name = `tenant-${Math.random().toString(36).slice(2, 8)}`): Promise<TestTenant> {
    const tenant = await this.admin.createTenant({ name, plan });
    const key = await this.admin.createKey({ tenantId: tenant.id });
    return { tenantId: tenant.id, apiKey: key.apiKey, keyId: key.keyId };
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
    await this.dataSource.destroy();
  }
}
