import { randomUUID } from 'node:crypto';
import { type AppLogger, type CommonConfig, createLogger } from '@chatbot/platform';
import { Redis } from 'ioredis';
import { waitFor } from '@chatbot/testing';
import { type TenantContext, asTenantId } from '../tenants/tenant-context';
import { KeyCache } from './key-cache';
import { invalidationChannel } from './key-invalidation';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

const context = (tenantId: string, keyId: string): TenantContext => ({
  tenantId: asTenantId(tenantId),
  tenantName: 'T',
  plan: 'starter',
  capabilities: [],
  scopes: ['workspace'],
  keyId,
  agentId: null,
});

/** Real Redis: what the tenancy admin publishes (JSON by key id or tenant id) drops the cached keys it names. */
describe('KeyCache (real Redis)', () => {
  const config = { REDIS_URL, REDIS_PREFIX: `keycache-${randomUUID()}`, API_KEY_CACHE_TTL_MS: 60_000 } as CommonConfig;
  const logger: AppLogger = createLogger('key-cache-spec', 'silent');
  let publisher: Redis;
  let cache: KeyCache;
  const publish = (message: object) => publisher.publish(invalidationChannel(config), JSON.stringify(message));

  beforeAll(async () => {
    publisher = new Redis(REDIS_URL, { lazyConnect: true });
    await publisher.connect();
    cache = new KeyCache(config, logger);
    await cache.onModuleInit();
  });

  afterAll(() => {
    cache.onApplicationShutdown();
    publisher.disconnect();
  });

  it('a revoked key id drops its entry; other keys stay', async () => {
    cache.set('hash-a', context('t1', 'k1'), cache.epoch);
    cache.set('hash-b', context('t1', 'k2'), cache.epoch);
    expect(cache.get('hash-a')?.keyId).toBe('k1');
    await publish({ kind: 'key', keyId: 'k1' });
    await waitFor(() => cache.get('hash-a') === undefined);
    expect(cache.get('hash-b')?.keyId).toBe('k2');
  });

  it("a tenant change drops every key of that tenant, and only that tenant's", async () => {
    cache.set('hash-c', context('t2', 'k3'), cache.epoch);
    cache.set('hash-d', context('t2', 'k4'), cache.epoch);
    cache.set('hash-e', context('t3', 'k5'), cache.epoch);
    await publish({ kind: 'tenant', tenantId: 't2' });
    await waitFor(() => cache.get('hash-c') === undefined);
    expect(cache.get('hash-d')).toBeUndefined();
    expect(cache.get('hash-e')?.keyId).toBe('k5');
  });

  it('a key revoked while its row was being read is not cached as valid', async () => {
    const epoch = cache.epoch; // the lookup begins
    await publish({ kind: 'key', keyId: 'k6' }); // the revocation commits and is published meanwhile
    await waitFor(() => cache.epoch !== epoch);
    cache.set('hash-f', context('t4', 'k6'), epoch); // the lookup ends with the row it read before
    expect(cache.get('hash-f')).toBeUndefined();
  });

  it('malformed messages drop nothing', async () => {
    cache.set('hash-g', context('t5', 'k7'), cache.epoch);
    const epoch = cache.epoch;
    await publisher.publish(invalidationChannel(config), 'not json');
    await waitFor(() => cache.epoch !== epoch);
    expect(cache.get('hash-g')?.keyId).toBe('k7');
  });
});
