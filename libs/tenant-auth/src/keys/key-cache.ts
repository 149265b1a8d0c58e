import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, APP_LOGGER, type AppLogger, type CommonConfig, InvalidatedCache } from '@chatbot/platform';
import type { TenantContext } from '../tenants/tenant-context';
import { invalidationChannel, parseInvalidation } from './key-invalidation';

/** Verified keys kept at most (least recently used dropped first). */
const MAX_ENTRIES = 10_000;

/**
 * In-process cache of verified keys, by key hash, on `InvalidatedCache`: entries live `API_KEY_CACHE_TTL_MS` at most
 * and are dropped as soon as a revocation (by key id) or a tenant change (plan, suspension, deletion: by tenant id) is
 * published on Redis. While the subscription is not live the cache is bypassed, so a missed message can never keep a
 * revoked key alive; and a lookup that began before an invalidation is not kept (`epoch`), so a key revoked while
 * its row was being read is not cached as valid.
 */
@Injectable()
export class KeyCache implements OnModuleInit, OnApplicationShutdown {
  private readonly cache: InvalidatedCache<TenantContext>;

  constructor(@Inject(APP_CONFIG) config: CommonConfig, @Inject(APP_LOGGER) logger: AppLogger) {
    this.cache = new InvalidatedCache<TenantContext>({
      redisUrl: config.REDIS_URL,
      channel: invalidationChannel(config),
      ttlMs: config.API_KEY_CACHE_TTL_MS,
      maxEntries: MAX_ENTRIES,
      name: 'key-cache:sub',
      logger,
      matcher: (message) => {
        const invalidation = parseInvalidation(message);
        if (!invalidation) return null;
        return invalidation.kind === 'key'
          ? (_hash, context) => context.keyId === invalidation.keyId
          : (_hash, context) => context.tenantId === invalidation.tenantId;
      },
    });
  }

  async onModuleInit(): Promise<void> {
    await this.cache.start();
  }

  onApplicationShutdown(): void {
    this.cache.stop();
  }

  /** Read before looking a key up; pass it to `set`. */
  get epoch(): number {
    return this.cache.epoch;
  }

  get(hash: string): TenantContext | undefined {
    return this.cache.get(hash);
  }

  /** Keeps a verified key unless an invalidation arrived since `epoch` (read before the lookup began). */
  set(hash: string, context: TenantContext, epoch: number): void {
    this.cache.set(hash, context, epoch);
  }
}
