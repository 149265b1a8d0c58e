import { Redis } from 'ioredis';
import { dropDatabase } from '@chatbot/database';
import { RUN_ENV } from './run-context';

export default async function globalTeardown(): Promise<void> {
  const url = process.env[RUN_ENV.databaseUrl];
  if (url && process.env[RUN_ENV.runId]) await dropDatabase(url);
  const prefix = process.env[RUN_ENV.redisPrefix];
  if (!prefix) return;
  const redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } catch {
    // Redis down at teardown: keys carry the run's unique prefix and are harmless.
  } finally {
    redis.disconnect();
  }
}
