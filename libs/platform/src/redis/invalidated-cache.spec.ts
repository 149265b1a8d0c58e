import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { waitFor } from '@chatbot/testing';
import { InvalidatedCache } from './invalidated-cache';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** Real Redis: two caches on one channel stand for two replicas of a service. */
describe('InvalidatedCache (real Redis)', () => {
  const channel = `${process.env['REDIS_PREFIX'] ?? 'test'}:invalidated-cache:${randomUUID()}`;
  let publisher: Redis;
  const caches: InvalidatedCache<string>[] = [];

  const open = async (options: Partial<{ ttlMs: number; maxEntries: number }> = {}) => {
    const cache = new InvalidatedCache<string>({ redisUrl: REDIS_URL, channel, ttlMs: 60_000, maxEntries: 100, name: 'spec', ...options });
    caches.push(cache);
    await cache.start();
    expect(cache.live).toBe(options.ttlMs !== 0); // start() resolves once the subscription is live
    return cache;
  };

  beforeAll(async () => {
    publisher = new Redis(REDIS_URL, { lazyConnect: true });
    await publisher.connect();
  });

  afterAll(() => {
    for (const cache of caches) cache.stop();
    publisher.disconnect();
  });

  it('serves what was set, until another replica publishes the key', async () => {
    const [a, b] = [await open(), await open()];
    a.set('t1:agent1', 'v1', a.epoch);
    b.set('t1:agent1', 'v1', b.epoch);
    b.set('t1:agent2', 'w1', b.epoch);
    expect(b.get('t1:agent1')).toBe('v1');
    await a.publish(publisher, 't1:agent1');
    expect(a.get('t1:agent1')).toBeUndefined(); // dropped locally at once
    await waitFor(() => b.get('t1:agent1') === undefined);
    expect(b.get('t1:agent2')).toBe('w1'); // other keys stay
  });

  it('a prefix message drops every key with that prefix', async () => {
    const a = await open();
    for (const key of ['t2:a', 't2:b', 't3:a']) a.set(key, key, a.epoch);
    await publisher.publish(channel, 't2:*');
    await waitFor(() => a.get('t2:a') === undefined);
    expect(a.get('t2:b')).toBeUndefined();
    expect(a.get('t3:a')).toBe('t3:a');
  });

  it('a matcher drops entries by their value (a message naming something other than the key)', async () => {
    const channel2 = `${channel}:matcher`;
    const byOwner = new InvalidatedCache<{ owner: string }>({
      redisUrl: REDIS_URL,
      channel: channel2,
      ttlMs: 60_000,
      maxEntries: 100,
      name: 'spec-matcher',
      matcher: (message) => (message.startsWith('owner=') ? (_key, value) => value.owner === message.slice('owner='.length) : null),
    });
    try {
      await byOwner.start();
      byOwner.set('h1', { owner: 'alice' }, byOwner.epoch);
      byOwner.set('h2', { owner: 'bob' }, byOwner.epoch);
      byOwner.set('owner=bob', { owner: 'carol' }, byOwner.epoch); // a key equal to a message is not what the matcher reads
      await publisher.publish(channel2, 'owner=bob');
      await waitFor(() => byOwner.get('h2') === undefined);
      expect(byOwner.get('h1')).toEqual({ owner: 'alice' });
      expect(byOwner.get('owner=bob')).toEqual({ owner: 'carol' });
      const epoch = byOwner.epoch;
      await publisher.publish(channel2, 'nonsense'); // drops nothing, but a load in flight is still not kept
      await waitFor(() => byOwner.epoch !== epoch);
      byOwner.set('h3', { owner: 'dave' }, epoch);
      expect(byOwner.get('h3')).toBeUndefined();
      expect(byOwner.get('h1')).toEqual({ owner: 'alice' });
    } finally {
      byOwner.stop();
    }
  });

  it('a load that began before an invalidation is not kept', async () => {
    const a = await open();
    const epoch = a.epoch;
    a.drop('t4:x'); // an invalidation lands while the load is in flight
    a.set('t4:x', 'stale', epoch);
    expect(a.get('t4:x')).toBeUndefined();
    a.set('t4:x', 'fresh', a.epoch);
    expect(a.get('t4:x')).toBe('fresh');
  });

  it('entries expire after the TTL; TTL 0 disables the cache; the LRU keeps its bound', async () => {
    const short = await open({ ttlMs: 30 });
    short.set('k', 'v', short.epoch);
    expect(short.get('k')).toBe('v');
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(short.get('k')).toBeUndefined();

    const off = await open({ ttlMs: 0 });
    off.set('k', 'v', off.epoch);
    expect(off.get('k')).toBeUndefined();

    const small = await open({ maxEntries: 2 });
    small.set('a', 'a', small.epoch);
    small.set('b', 'b', small.epoch);
    expect(small.get('a')).toBe('a'); // a is now the most recently used
    small.set('c', 'c', small.epoch);
    expect(small.get('b')).toBeUndefined();
    expect(small.get('a')).toBe('a');
    expect(small.get('c')).toBe('c');
  });

  it('serves nothing while its subscription is down', async () => {
    const a = await open();
    a.set('k', 'v', a.epoch);
    a.stop();
    expect(a.live).toBe(false);
    expect(a.get('k')).toBeUndefined();
    a.set('k2', 'v', a.epoch);
    expect(a.get('k2')).toBeUndefined();
  });
});
