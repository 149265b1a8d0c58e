import { Injectable } from '@nestjs/common';
import { PLANS } from '../plans/plans';
import { type TenantContext, asTenantId } from '../tenants/tenant-context';
import { ApiKeyRepository } from './api-key.repository';
import { hashApiKey, looksLikeApiKey } from './api-key.util';
import { KeyCache } from './key-cache';

export type AuthResult = { ok: true; context: TenantContext } | { ok: false; reason: 'invalid' | 'suspended' };

const TOUCH_INTERVAL_MS = 60_000;

@Injectable()
export class ApiKeyAuthenticator {
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly cache: KeyCache,
  ) {}

  async authenticate(rawKey: string): Promise<AuthResult> {
    if (!looksLikeApiKey(rawKey)) return { ok: false, reason: 'invalid' };
    const hash = hashApiKey(rawKey);
    const cached = this.cache.get(hash);
    if (cached) {
      this.touch(cached.keyId);
      return { ok: true, context: cached };
    }
    const epoch = this.cache.epoch; // before the read: a revocation published meanwhile keeps the result out of the cache
    const row = await this.keys.findActiveByHash(hash);
    if (!row) return { ok: false, reason: 'invalid' };
    if (row.tenant.status === 'deleted') return { ok: false, reason: 'invalid' };
    if (row.tenant.status !== 'active') return { ok: false, reason: 'suspended' };
    const plan = PLANS[row.tenant.planTier];
    const context: TenantContext = {
      tenantId: asTenantId(row.tenant.id),
      tenantName: row.tenant.name,
      plan: plan.tier,
      capabilities: plan.capabilities,
      scopes: row.key.scopes,
      keyId: row.key.id,
      agentId: row.key.agentId,
    };
    this.cache.set(hash, context, epoch);
    this.touch(context.keyId);
    return { ok: true, context };
  }

  /** Records last use at most once a minute per key per process, off the request path. */
  private touch(keyId: string): void {
    const now = Date.now();
    if ((this.touched.get(keyId) ?? 0) + TOUCH_INTERVAL_MS > now) return;
    this.touched.set(keyId, now);
    if (this.touched.size > 10_000) this.touched.clear();
    this.keys.touch(keyId, new Date(now)).catch(() => undefined);
  }
}
