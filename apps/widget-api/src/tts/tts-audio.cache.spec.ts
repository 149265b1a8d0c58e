import { randomUUID } from 'node:crypto';
import type { AppLogger } from '@chatbot/platform';
import { testEnv } from '@chatbot/testing';
import { Redis } from 'ioredis';
import type { WidgetApiConfig } from '../config/widget-api.config';
import { TtsAudioCache } from './tts-audio.cache';

describe('TtsAudioCache (real Redis): TTL and total byte cap', () => {
  const redis = new Redis(testEnv()['REDIS_URL'] ?? 'redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
  const prefix = `ttscache-${randomUUID().slice(0, 8)}`;
  const logger = { warn: () => undefined } as unknown as AppLogger;
  const cache = (maxBytes: number, ttlSeconds = 60) =>
    new TtsAudioCache(redis, { REDIS_PREFIX: prefix, TTS_CACHE_MAX_BYTES: maxBytes, TTS_CACHE_TTL_SECONDS: ttlSeconds } as WidgetApiConfig, logger);
  const audio = (bytes: number, fill = 1) => Buffer.alloc(bytes, fill);

  beforeAll(() => redis.connect());
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('round-trips the stored bytes', async () => {
    const c = cache(1_000_000);
    await c.put('h1', audio(1000, 7));
    expect(await c.get('h1')).toEqual(Buffer.alloc(1000, 7));
    expect(await c.get('nope')).toBeNull();
  });

  it('evicts the oldest entries to stay under the cap; refuses an entry larger than the cap', async () => {
    const c = cache(3500);
    await redis.del(`${prefix}:tts:index`, `${prefix}:tts:bytes`, `${prefix}:tts:a:h1`);
    await c.put('a', audio(1000));
    await c.put('b', audio(1000));
    await c.put('c', audio(1000));
    await c.put('d', audio(1000)); // 4 × 1000 bytes > 3500: "a" goes
    expect(await c.get('a')).toBeNull();
    for (const h of ['b', 'c', 'd']) expect(await c.get(h)).not.toBeNull();
    expect(Number(await redis.get(`${prefix}:tts:bytes`))).toBeLessThanOrEqual(3500);
    await c.put('huge', audio(5000));
    expect(await c.get('huge')).toBeNull();
    expect(await c.get('d')).not.toBeNull();
  });

  it('entries expire after the TTL and give their bytes back', async () => {
    const c = cache(1_000_000, 1);
    await c.put('short', audio(500));
    expect(await redis.pttl(`${prefix}:tts:a:short`)).toBeGreaterThan(0);
    expect(await redis.pttl(`${prefix}:tts:a:short`)).toBeLessThanOrEqual(1000);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await c.get('short')).toBeNull();
    const before = Number(await redis.get(`${prefix}:tts:bytes`));
    await c.put('next', audio(10));
    expect(Number(await redis.get(`${prefix}:tts:bytes`))).toBeLessThan(before); // the expired 500 bytes were released
  });

  it('cap 0 disables the cache', async () => {
    const c = cache(0);
    await c.put('off', audio(10));
    expect(await c.get('off')).toBeNull();
  });
});
