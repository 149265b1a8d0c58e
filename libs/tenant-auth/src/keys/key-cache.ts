import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, APP_LOGGER, type AppLogger, type CommonConfig, createRedisClient } from '@chatbot/platform';
import type { Redis } from 'ioredis';
import type { TenantContext } from '../tenants/tenant-context';
import { type KeyInvalidation, invalidationChannel, parseInvalidation } from './key-invalidation';

interface Entry {
  context: TenantContext;
  expiresAt: number;
}

/**
 * In-process cache of verified keys (by hash). Entries live `API_KEY_CACHE_TTL_MS` at most, and are dropped as soon as
 * a revocation or plan change is published on Redis. While the subscription is not live, the cache is bypassed,
 * so a missed message can never keep a revoked key alive.
 */
@Injectable()
export class KeyCache implements OnModuleInit, OnApplicationShutdown {
  private readonly entries = new Map<string, Entry>();
  private readonly subscriber: Redis;
  private subscribed = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: CommonConfig,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {
    this.subscriber = createRedisClient(config.REDIS_URL, 'key-cache:sub', logger, { enableOfflineQueue: true });
  }

  async onModuleInit(): Promise<void> {
    const channel = invalidationChannel(this.config);
    this.subscriber.on('message', (_channel: string, message: string) => {
      const invalidation = parseInvalidation(message);
      if (invalidation) this.apply(invalidation);
    });
    this.subscriber.on('ready', () => {
      // Anything published while we were away is unknown: start clean.
      this.entries.clear();
      this.subscriber.subscribe(channel).then(
        () => (this.subscribed = true),
        () => (this.subscribed = false),
      );
    });
    this.subscriber.on('close', () => {
      this.subscribed = false;
      this.entries.clear();
    });
    try {
      await this.subscriber.connect();
    } catch (err) {
      this.logger.warn({ err: { message: (err as Error).message } }, 'key cache: redis unavailable, cache bypassed');
    }
  }

  onApplicationShutdown(): void {
    this.subscriber.disconnect();
  }

  get(hash: string): TenantContext | undefined {
    if (!this.subscribed || this.config.API_KEY_CACHE_TTL_MS === 0) return undefined;
    const entry = this.entries.get(hash);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(hash);
      return undefined;
    }
    return entry.context;
  }

  set(hash: string, context: TenantContext): void {
    if (!this.subscribed || this.config.API_KEY_CACHE_TTL_MS === 0) return;
    if (this.entries.size > 10_000) this.entries.clear();
    this.entries.set(hash, { context, expiresAt: Date.now() + this.config.API_KEY_CACHE_TTL_MS });
  }

  apply(invalidation: KeyInvalidation): void {
    for (const [hash, entry] of this.entries) {
      const hit =
        invalidation.kind === 'key'
          ? entry.context.keyId === invalidation.keyId
          : entry.context.tenantId === invalidation.tenantId;
      if (hit) this.entries.delete(hash);
    }
  }
}
