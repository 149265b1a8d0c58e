import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, APP_LOGGER, type AppLogger, REDIS, createRedisClient } from '@chatbot/platform';
import type { Redis } from 'ioredis';
import type { WidgetApiConfig } from '../config/widget-api.config';
import { AgentProjectionRepository } from '../projection/agent-projection.repository';
import { ProjectionChanges } from '../projection/projection-changes';
import { type RenderedConfig, parseRendered, renderConfig, serialiseRendered } from './widget-config.renderer';

interface MemoryEntry {
  /** null: no row at all for this id (cached briefly, in memory only). */
  value: RenderedConfig | null;
  expiresAt: number;
}

/** Writes only if no newer revision is stored (a slow reader cannot put back what a projection change replaced). */
const SET_IF_NEWER = `
local cur = redis.call('HGET', KEYS[1], 'rev')
if cur and tonumber(cur) > tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'rev', ARGV[1], 'data', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

/**
 * Rendered widget configs (exact bytes + ETag) in two tiers:
 *
 * 1. in-process: bounded LRU (`WIDGET_CONFIG_CACHE_MAX_ENTRIES`), short TTL (`WIDGET_CONFIG_CACHE_TTL_MS`); used only
 *    while the invalidation subscription is live (while it is not, reads go to Redis, like the API-key cache);
 * 2. Redis, shared by every instance: one hash per chatbot `{rev, data}`, written compare-and-set on the projection's
 *    `updated_at`, TTL `WIDGET_CONFIG_REDIS_TTL_SECONDS`;
 * 3. miss in both: Postgres (the projection), one load per chatbot at a time (concurrent misses share it).
 *
 * On every projection change (the consumer's job), `refresh` re-renders the row into Redis and publishes the chatbot
 * id; every instance drops its in-memory entry. A load that started before an invalidation is not kept in memory.
 */
@Injectable()
export class WidgetConfigCache implements OnModuleInit, OnApplicationShutdown {
  private readonly memory = new Map<string, MemoryEntry>();
  private readonly loading = new Map<string, Promise<RenderedConfig | null>>();
  private readonly subscriber: Redis;
  private readonly channel: string;
  private subscribed = false;
  /** Bumped by every invalidation: a load that saw another epoch does not fill the memory tier. */
  private epoch = 0;

  constructor(
    private readonly projections: AgentProjectionRepository,
    private readonly changes: ProjectionChanges,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: WidgetApiConfig,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {
    this.subscriber = createRedisClient(config.REDIS_URL, 'widget-config:sub', logger, { enableOfflineQueue: true });
    this.channel = `${config.REDIS_PREFIX}:widget:config:invalidate`;
  }

  async onModuleInit(): Promise<void> {
    this.changes.onChange((agentId) => this.refresh(agentId));
    this.subscriber.on('message', (_channel: string, agentId: string) => this.drop(agentId));
    this.subscriber.on('ready', () => {
      this.clear(); // whatever was published while we were away is unknown
      this.subscriber.subscribe(this.channel).then(
        () => (this.subscribed = true),
        () => (this.subscribed = false),
      );
    });
    this.subscriber.on('close', () => {
      this.subscribed = false;
      this.clear();
    });
    try {
      await this.subscriber.connect();
    } catch (err) {
      this.logger.warn({ err: { message: (err as Error).message } }, 'widget config cache: redis unavailable, memory tier bypassed');
    }
  }

  onApplicationShutdown(): void {
    this.subscriber.disconnect();
  }

  private redisKey(agentId: string): string {
    return `${this.config.REDIS_PREFIX}:widget:config:${agentId}`;
  }

  /** The in-memory entry, if fresh (the hot path: no I/O). `undefined` = not in memory. */
  peek(agentId: string): RenderedConfig | null | undefined {
    const entry = this.memory.get(agentId);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now() || !this.subscribed) {
      this.memory.delete(agentId);
      return undefined;
    }
    // LRU: most recently used last (Map keeps insertion order).
    this.memory.delete(agentId);
    this.memory.set(agentId, entry);
    return entry.value;
  }

  /** The rendered config of a chatbot id (any tenant; the caller compares), null when there is no row at all. */
  get(agentId: string): RenderedConfig | null | Promise<RenderedConfig | null> {
    const hit = this.peek(agentId);
    if (hit !== undefined) return hit;
    let pending = this.loading.get(agentId);
    if (!pending) {
      pending = this.load(agentId).finally(() => this.loading.delete(agentId));
      this.loading.set(agentId, pending);
    }
    return pending;
  }

  private async load(agentId: string): Promise<RenderedConfig | null> {
    const epoch = this.epoch;
    let value: RenderedConfig | null = null;
    let fromRedis = false;
    try {
      value = parseRendered(await this.redis.hget(this.redisKey(agentId), 'data'));
      fromRedis = value !== null;
    } catch (err) {
      this.logger.warn({ err: { message: (err as Error).message } }, 'widget config cache: redis read failed, reading Postgres');
    }
    if (!fromRedis) {
      value = renderConfig(await this.projections.findAny(agentId));
      if (value) await this.store(agentId, value).catch(() => undefined);
    }
    if (epoch === this.epoch) this.remember(agentId, value);
    return value;
  }

  private remember(agentId: string, value: RenderedConfig | null): void {
    if (!this.subscribed || this.config.WIDGET_CONFIG_CACHE_TTL_MS === 0) return;
    this.memory.delete(agentId);
    while (this.memory.size >= this.config.WIDGET_CONFIG_CACHE_MAX_ENTRIES) {
      const oldest = this.memory.keys().next();
      if (oldest.done) break;
      this.memory.delete(oldest.value);
    }
    this.memory.set(agentId, { value, expiresAt: Date.now() + this.config.WIDGET_CONFIG_CACHE_TTL_MS });
  }

  private async store(agentId: string, value: RenderedConfig): Promise<void> {
    await this.redis.eval(
      SET_IF_NEWER,
      1,
      this.redisKey(agentId),
      String(value.rev),
      serialiseRendered(value),
      String(this.config.WIDGET_CONFIG_REDIS_TTL_SECONDS * 1000),
    );
  }

  /**
   * After a projection write: re-render the row into Redis (so no instance reads the old bytes) and tell every
   * instance to drop its in-memory copy. Throws if Redis is unavailable, so the projection job is retried.
   */
  async refresh(agentId: string): Promise<void> {
    const value = renderConfig(await this.projections.findAny(agentId));
    if (value) await this.store(agentId, value);
    else await this.redis.del(this.redisKey(agentId));
    this.drop(agentId);
    await this.redis.publish(this.channel, agentId);
  }

  private drop(agentId: string): void {
    this.epoch++;
    this.memory.delete(agentId);
  }

  private clear(): void {
    this.epoch++;
    this.memory.clear();
  }
}
