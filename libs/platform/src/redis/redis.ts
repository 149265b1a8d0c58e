import { Redis, type RedisOptions } from 'ioredis';
import type { AppLogger } from '../logging/logger';

export const REDIS = Symbol('REDIS');

/**
 * A Redis client that fails fast while disconnected (no offline queue) and keeps reconnecting forever, so callers
 * see errors instead of hanging, and the service recovers by itself when Redis returns.
 */
export function createRedisClient(url: string, name: string, logger?: AppLogger, extra: RedisOptions = {}): Redis {
  const client = new Redis(url, {
    connectionName: name,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
    ...extra,
  });
  let warned = false;
  client.on('error', (err: Error) => {
    if (!warned) logger?.warn({ err: { message: err.message }, redis: name }, 'redis connection problem');
    warned = true;
  });
  client.on('ready', () => {
    if (warned) logger?.info({ redis: name }, 'redis connection restored');
    warned = false;
  });
  return client;
}

/** Connects, but lets the process go on if Redis is down at boot (readiness reports it; the client keeps retrying). */
export async function connectRedis(client: Redis, logger?: AppLogger): Promise<void> {
  try {
    await client.connect();
  } catch (err) {
    logger?.warn({ err: { message: (err as Error).message } }, 'redis unreachable at boot; retrying in background');
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
