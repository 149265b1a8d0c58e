import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, APP_LOGGER, type AppLogger, InvalidatedCache, REDIS } from '@chatbot/platform';
import type { Redis } from 'ioredis';
import type { WidgetApiConfig } from '../config/widget-api.config';
import { AgentProjectionRepository } from '../projection/agent-projection.repository';
import { ProjectionChanges } from '../projection/projection-changes';
import { type RenderedConfig, parseRendered, renderConfig, serialiseRendered } from './widget-config.renderer';

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
  /** The in-process tier; `null`: no row at all for this id (cached briefly, in memory only). */
  private readonly memory: InvalidatedCache<RenderedConfig | null>;
  private readonly loading = new Map<string, Promise<RenderedConfig | null>>();
  private readonly channel: string;

  constructor(
    private readonly projections: AgentProjectionRepository,
    private readonly changes: ProjectionChanges,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: WidgetApiConfig,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {
    this.channel = `${config.REDIS_PREFIX}:widget:config:invalidate`;
    this.memory = new InvalidatedCache({
      redisUrl: config.REDIS_URL,
      channel: this.channel,
      ttlMs: config.WIDGET_CONFIG_CACHE_TTL_MS,
      maxEntries: config.WIDGET_CONFIG_CACHE_MAX_ENTRIES,
      name: 'widget-config:sub',
      logger,
    });
  }

  async onModuleInit(): Promise<void> {
    this.changes.onChange((agentId) => this.refresh(agentId));
    await this.memory.start();
  }

  onApplicationShutdown(): void {
    this.memory.stop();
  }

  private redisKey(agentId: string): string {
    return `${this.config.REDIS_PREFIX}:widget:config:${agentId}`;
  }

  /** The in-memory entry, if fresh (the hot path: no I/O). `undefined` = not in memory. */
  peek(agentId: string): RenderedConfig | null | undefined {
    return this.memory.get(agentId);
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
    const epoch = this.memory.epoch;
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
    this.memory.set(agentId, value, epoch);
    return value;
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
    this.memory.drop(agentId);
    await this.redis.publish(this.channel, agentId);
  }
}
