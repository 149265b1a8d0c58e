import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, APP_LOGGER, type AppLogger, InvalidatedCache, REDIS } from '@chatbot/platform';
import type { TenantId } from '@chatbot/tenant-auth';
import type { Redis } from 'ioredis';
import type { AgentsApiConfig } from '../config/agents-api.config';
import type { AgentEntity } from './agent.entity';
import { AgentRepository } from './agent.repository';

/** A cached agent is shared by concurrent requests: nobody may change it. */
export type CachedAgent = Readonly<AgentEntity>;

/**
 * Agents as the hot paths (Chat Interact, Configure State) read them: from memory for `AGENT_CACHE_TTL_MS`, dropped
 * on every replica the moment an edit or delete commits (`invalidate`). Writers keep reading the database.
 */
@Injectable()
export class AgentCache implements OnModuleInit, OnApplicationShutdown {
  private readonly cache: InvalidatedCache<AgentEntity | null>;

  constructor(
    private readonly agents: AgentRepository,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) config: AgentsApiConfig,
    @Inject(APP_LOGGER) logger: AppLogger,
  ) {
    this.cache = new InvalidatedCache({
      redisUrl: config.REDIS_URL,
      channel: `${config.REDIS_PREFIX}:agents:invalidate`,
      ttlMs: config.AGENT_CACHE_TTL_MS,
      maxEntries: 10_000,
      name: 'agent-cache:sub',
      logger,
    });
  }

  onModuleInit(): Promise<void> {
    return this.cache.start();
  }

  onApplicationShutdown(): void {
    this.cache.stop();
  }

  /** The tenant's agent (null for an unknown id or another tenant's agent). */
  async find(tenantId: TenantId, id: string): Promise<CachedAgent | null> {
    const key = `${tenantId}:${id}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const epoch = this.cache.epoch;
    const agent = await this.agents.find(tenantId, id);
    this.cache.set(key, agent, epoch);
    return agent;
  }

  /** After an edit or delete of one agent has committed. */
  invalidate(tenantId: string, id: string): Promise<void> {
    return this.cache.publish(this.redis, `${tenantId}:${id}`);
  }

  /** After every agent of a tenant was deleted. */
  invalidateTenant(tenantId: string): Promise<void> {
    return this.cache.publish(this.redis, `${tenantId}:*`);
  }
}
