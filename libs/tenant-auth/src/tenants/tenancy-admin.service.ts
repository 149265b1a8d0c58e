import type { Redis } from 'ioredis';
import type { ApiKeyEntity } from '../entities/api-key.entity';
import type { TenantEntity } from '../entities/tenant.entity';
import { ApiKeyRepository } from '../keys/api-key.repository';
import { generateApiKey } from '../keys/api-key.util';
import { type KeyInvalidation, invalidationChannel } from '../keys/key-invalidation';
import { isPlanTier } from '../plans/plans';
import { TenantRepository } from './tenant.repository';
import type { KeyScope } from './tenant-context';

export const DEMO_TENANT_NAME = 'Demo Workspace';
const DEMO_KEY_NAME = 'demo key (npm start)';

export class TenancyInputError extends Error {
  override name = 'TenancyInputError';
}

export class TenancyNotFoundError extends Error {
  override name = 'TenancyNotFoundError';
}

export interface CreatedKey {
  keyId: string;
  /** The plaintext key: returned once, never stored. */
  apiKey: string;
  prefix: string;
  scopes: KeyScope[];
  agentId: string | null;
}

/**
 * Tenant and key administration (CLI, seeding, later the admin API). Every change that affects authentication is
 * published so every service instance drops its cached copy at once.
 */
export class TenancyAdminService {
  constructor(
    private readonly tenants: TenantRepository,
    private readonly keys: ApiKeyRepository,
    private readonly redis: Redis | null,
    private readonly redisPrefix: string,
  ) {}

  async createTenant(input: { name: string; plan: string }): Promise<TenantEntity> {
    const name = input.name.trim();
    if (name.length === 0 || name.length > 200) throw new TenancyInputError('tenant name must be 1 to 200 characters');
    if (!isPlanTier(input.plan)) throw new TenancyInputError(`plan must be one of starter, team, business (got "${input.plan}")`);
    return this.tenants.create({ name, planTier: input.plan });
  }

  async setPlan(tenantId: string, plan: string): Promise<TenantEntity> {
    if (!isPlanTier(plan)) throw new TenancyInputError(`plan must be one of starter, team, business (got "${plan}")`);
    const tenant = await this.tenants.update(tenantId, { planTier: plan });
    if (!tenant) throw new TenancyNotFoundError(`tenant ${tenantId} not found`);
    await this.publish({ kind: 'tenant', tenantId: tenant.id });
    return tenant;
  }

  async rename(tenantId: string, name: string): Promise<TenantEntity> {
    const trimmed = name.trim();
    if (trimmed.length === 0 || trimmed.length > 200) throw new TenancyInputError('tenant name must be 1 to 200 characters');
    const tenant = await this.tenants.update(tenantId, { name: trimmed });
    if (!tenant) throw new TenancyNotFoundError(`tenant ${tenantId} not found`);
    await this.publish({ kind: 'tenant', tenantId: tenant.id });
    return tenant;
  }

  async setStatus(tenantId: string, status: 'active' | 'suspended'): Promise<TenantEntity> {
    if ((await this.tenants.findById(tenantId))?.status === 'deleted') throw new TenancyInputError(`tenant ${tenantId} is deleted`);
    const tenant = await this.tenants.update(tenantId, { status });
    if (!tenant) throw new TenancyNotFoundError(`tenant ${tenantId} not found`);
    await this.publish({ kind: 'tenant', tenantId: tenant.id });
    return tenant;
  }

  /**
   * Deletes a workspace: status `deleted` (the row stays so the id is never reused) and every key revoked, at once in
   * every instance. The caller removes the workspace's data in its own schema first.
   */
  async deleteTenant(tenantId: string): Promise<{ revokedKeys: number }> {
    const tenant = await this.tenants.update(tenantId, { status: 'deleted', deletedAt: new Date() });
    if (!tenant) throw new TenancyNotFoundError(`tenant ${tenantId} not found`);
    const revoked = await this.keys.revokeAllForTenant(tenant.id);
    await this.publish({ kind: 'tenant', tenantId: tenant.id });
    for (const keyId of revoked) await this.publish({ kind: 'key', keyId });
    return { revokedKeys: revoked.length };
  }

  async createKey(input: { tenantId: string; agentId?: string | null; scope?: KeyScope; name?: string | null }): Promise<CreatedKey> {
    const tenant = await this.tenants.findById(input.tenantId);
    if (!tenant) throw new TenancyNotFoundError(`tenant ${input.tenantId} not found`);
    const agentId = input.agentId?.trim() || null;
    if (agentId !== null && !/^[A-Za-z0-9_-]{1,64}$/.test(agentId)) {
      throw new TenancyInputError('agent id must be 1 to 64 letters, digits, "_" or "-"');
    }
    const scope: KeyScope = input.scope ?? (agentId ? 'agent' : 'workspace');
    if ((scope === 'agent') !== (agentId !== null)) {
      throw new TenancyInputError('an agent id is required for (and only for) agent-scoped keys');
    }
    const generated = generateApiKey();
    const row = await this.keys.insert({
      tenantId: tenant.id,
      prefix: generated.prefix,
      keyHash: generated.hash,
      scopes: [scope],
      agentId,
      name: input.name ?? null,
    });
    return { keyId: row.id, apiKey: generated.key, prefix: row.prefix, scopes: row.scopes, agentId: row.agentId };
  }

  async revokeKey(keyId: string): Promise<ApiKeyEntity> {
    const key = await this.keys.revoke(keyId);
    if (!key) throw new TenancyNotFoundError(`key ${keyId} not found`);
    await this.publish({ kind: 'key', keyId: key.id });
    return key;
  }

  /**
   * The demo workspace `npm start` prints: created on first run (business plan, so every route can be tried), with a
   * fresh key each run; the previous demo keys are revoked so they do not pile up.
   */
  async seedDemo(): Promise<{ tenantId: string; apiKey: string; keyId: string; created: boolean }> {
    const existing = await this.tenants.findByName(DEMO_TENANT_NAME);
    const tenant = existing ?? (await this.createTenant({ name: DEMO_TENANT_NAME, plan: 'business' }));
    for (const key of await this.keys.listForTenant(tenant.id)) {
      if (key.name === DEMO_KEY_NAME && !key.revokedAt) await this.revokeKey(key.id);
    }
    const key = await this.createKey({ tenantId: tenant.id, name: DEMO_KEY_NAME });
    return { tenantId: tenant.id, apiKey: key.apiKey, keyId: key.keyId, created: !existing };
  }

  listKeys(tenantId: string): Promise<ApiKeyEntity[]> {
    return this.keys.listForTenant(tenantId);
  }

  findTenant(tenantId: string): Promise<TenantEntity | null> {
    return this.tenants.findById(tenantId);
  }

  findTenantByName(name: string): Promise<TenantEntity | null> {
    return this.tenants.findByName(name);
  }

  /**
   * Best effort: if Redis is down the message is lost, but caches are bypassed while their subscription is down and
   * entries expire after API_KEY_CACHE_TTL_MS anyway.
   */
  private async publish(message: KeyInvalidation): Promise<void> {
    if (!this.redis) return;
    try {
      await this.redis.publish(invalidationChannel({ REDIS_PREFIX: this.redisPrefix }), JSON.stringify(message));
    } catch {
      // see above
    }
  }
}
