import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createDataSource } from '@chatbot/database';
import { EVENTS_ENTITIES, QUEUES, TypedQueue, bullPrefix, jobIds, writeOutboxEvent } from '@chatbot/events';
import { Redis } from 'ioredis';
import {
  type IsolatedEnvironment,
  PrivateRedis,
  type RunningService,
  TestTenants,
  WebhookReceiver,
  freePort,
  isolatedEnvironment,
  request,
  startService,
  testEnv,
  waitFor,
} from '@chatbot/testing';
import type { DataSource } from 'typeorm';
import { businessApiDefinition } from '../../business-api/src/app.definition';

const WORKER = path.resolve(__dirname, '../dist/main.js');

/** The real worker, built, as its own process: it can be killed without warning. */
async function spawnWorker(env: Record<string, string>): Promise<ChildProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [WORKER], {
    env: { ...testEnv(env), WORKER_PORT: String(port), HOST: '127.0.0.1' },
    stdio: 'ignore',
  });
  await waitFor(
    async () => {
      try {
        return (await fetch(`http://127.0.0.1:${port}/health/live`)).ok;
      } catch {
        return false;
      }
    },
    { timeoutMs: 20000, intervalMs: 100, what: 'worker up' },
  );
  return child;
}

function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

describe('webhook delivery is at-least-once across crashes and outages', () => {
  let isolated: IsolatedEnvironment;
  let api: RunningService;
  let tenants: TestTenants;
  let receiver: WebhookReceiver;
  let db: DataSource;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    isolated = await isolatedEnvironment();
    api = await startService(businessApiDefinition, { env: isolated.env });
    tenants = await TestTenants.open(isolated.env);
    receiver = await WebhookReceiver.start();
    db = await createDataSource({ url: isolated.env['DATABASE_URL']!, entities: EVENTS_ENTITIES }).initialize();
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => kill(w, 'SIGKILL')));
    await api?.close();
    await tenants?.close();
    await receiver?.close();
    await db?.destroy();
    await isolated?.drop();
  });

  const setup = async (path: string) => {
    const t = await tenants.create();
    const created = await request<{ id: string }>('POST', `${api.baseUrl}/api/chatbot-webhooks`, {
      key: t.apiKey,
      body: { event_type: 'message_sent', webhook_url: receiver.url(path), retry_config: { max_retries: 10, backoff: 'fixed', initial_delay_ms: 200 } },
    });
    expect(created.status).toBe(201);
    return t;
  };

  const produce = async (tenantId: string, count: number): Promise<string[]> => {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const event = await db.transaction((manager) =>
        writeOutboxEvent(manager, {
          tenantId,
          type: 'message_sent',
          data: { agent_id: 'a', conversation_id: `c${i}`, user_id: 'u', message_id: `m${i}`, from: 'human', type: 'text', text: `n${i}` },
        }),
      );
      ids.push(event.id);
    }
    return ids;
  };

  const uniqueOn = (path: string) => new Set(receiver.on(path).map((r) => String(r.headers['webhook-id'])));

  it('SIGKILL of the worker mid-flight: a new worker delivers every event at least once', async () => {
    const t = await setup('/crash');
    receiver.respond((r) => (r.path === '/crash' ? { status: 200, delayMs: 50 } : { status: 200 }));
    const env = { ...isolated.env, WEBHOOK_DELIVERY_CONCURRENCY: '4', WEBHOOK_ENDPOINT_CONCURRENCY: '4', QUEUE_STALLED_INTERVAL_MS: '1000', QUEUE_LOCK_DURATION_MS: '2000' };
    const first = await spawnWorker(env);
    workers.push(first);

    const ids = await produce(t.tenantId, 120);
    await waitFor(() => uniqueOn('/crash').size >= 20, { timeoutMs: 20000, what: 'first deliveries' });
    await kill(first, 'SIGKILL');
    const beforeCrash = uniqueOn('/crash').size;
    expect(beforeCrash).toBeLessThan(ids.length); // it really died mid-flight

    const second = await spawnWorker(env);
    workers.push(second);
    await waitFor(() => uniqueOn('/crash').size === ids.length, { timeoutMs: 45000, intervalMs: 200, what: 'every event after the crash' });
    const received = uniqueOn('/crash');
    expect(ids.every((id) => received.has(id))).toBe(true);
    const duplicates = receiver.on('/crash').length - received.size;
    expect(duplicates).toBeGreaterThanOrEqual(0); // at-least-once: a crash may repeat the in-flight ones (same webhook-id)
    await kill(second, 'SIGTERM');
  }, 90000);

  it('SIGKILL after the relay published an event but before its eager fan-out finished: the delayed fan-out job runs when its lease ends', async () => {
    const t = await setup('/lease');
    receiver.respond(() => ({ status: 200 }));
    const env = { ...isolated.env, QUEUE_STALLED_INTERVAL_MS: '1000', QUEUE_LOCK_DURATION_MS: '2000' };
    // Hold the fan-out's first write: its statement waits for this lock, the relay (events.outbox only) does not.
    const blocker = db.createQueryRunner();
    await blocker.connect();
    await blocker.startTransaction();
    await blocker.query('LOCK TABLE business.webhook_events IN SHARE MODE');
    let eventId: string;
    try {
      const first = await spawnWorker(env);
      workers.push(first);
      [eventId] = (await produce(t.tenantId, 1)) as [string];
      // Published (no relay enqueues it again), and its fan-out statement is waiting for the lock.
      const published = async () => (await db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM events.outbox WHERE id = $1 AND published_at IS NOT NULL`, [eventId]))[0]!.n === 1;
      const fanoutWaits = async () =>
        (
          await db.query<{ n: number }[]>(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%INSERT INTO business.webhook_events%'`,
          )
        )[0]!.n === 1;
      await waitFor(async () => (await published()) && (await fanoutWaits()), { timeoutMs: 10000, what: 'the eager fan-out waiting for the lock' });
      await kill(first, 'SIGKILL');
    } finally {
      await blocker.rollbackTransaction();
      await blocker.release();
    }
    expect(receiver.on('/lease')).toHaveLength(0);

    const started = Date.now();
    const second = await spawnWorker(env);
    workers.push(second);
    await waitFor(() => receiver.on('/lease').length === 1, { timeoutMs: 20000, intervalMs: 100, what: 'delivered by the fan-out job' });
    expect(receiver.on('/lease')[0]!.headers['webhook-id']).toBe(eventId);
    expect(Date.now() - started).toBeLessThan(15000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.on('/lease')).toHaveLength(1);
    await kill(second, 'SIGTERM');
  }, 60000);

  it('SIGKILL during an eager first attempt: its delayed delivery job runs when the lease ends, with the same webhook-id', async () => {
    const t = await setup('/eager-crash');
    const webhookId = (await request<{ id: string }[]>('GET', `${api.baseUrl}/api/chatbot-webhooks`, { key: t.apiKey })).body[0]!.id;
    let release = (): void => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    receiver.respond((r) => (r.path === '/eager-crash' && receiver.on('/eager-crash').length === 1 ? { status: 200, until: released } : { status: 200 }));
    // Lease = lock (2 s) + request timeout (1.5 s).
    const env = { ...isolated.env, QUEUE_STALLED_INTERVAL_MS: '1000', QUEUE_LOCK_DURATION_MS: '2000', WEBHOOK_TIMEOUT_MS: '1500' };
    const testing = testEnv(isolated.env);
    const deliveries = new TypedQueue(QUEUES.webhookDelivery, { REDIS_URL: testing['REDIS_URL'] ?? 'redis://127.0.0.1:6379', REDIS_PREFIX: testing['REDIS_PREFIX']! });
    try {
      const first = await spawnWorker(env);
      workers.push(first);
      const [eventId] = (await produce(t.tenantId, 1)) as [string];
      await waitFor(() => receiver.on('/eager-crash').length === 1, { timeoutMs: 10000, what: 'the first attempt in flight' });
      // Made by fan-out itself: the job is still waiting in the delayed set, not active in a worker.
      expect(await (await deliveries.queue.getJob(jobIds.delivery(eventId, webhookId)))?.isDelayed()).toBe(true);
      await kill(first, 'SIGKILL');
      release();

      const second = await spawnWorker(env);
      workers.push(second);
      await waitFor(() => receiver.on('/eager-crash').length === 2, { timeoutMs: 15000, intervalMs: 100, what: 'the attempt again, by the job' });
      expect(receiver.on('/eager-crash').map((r) => r.headers['webhook-id'])).toEqual([eventId, eventId]);
      const delivered = async () =>
        (await db.query<{ status: string }[]>(`SELECT status FROM business.webhook_messages WHERE event_id = $1`, [eventId]))[0]?.status === 'delivered';
      await waitFor(delivered, { timeoutMs: 5000, what: 'message delivered' });
      await kill(second, 'SIGTERM');
    } finally {
      await deliveries.close();
    }
  }, 60000);

  it('at FANOUT_EAGER_LIMIT the relay claims no more rows until some finish: no event takes the fan-out queue', async () => {
    const t = await setup('/eager-limit');
    receiver.respond(() => ({ status: 200 }));
    const worker = await spawnWorker({ ...isolated.env, FANOUT_EAGER_LIMIT: '2' });
    workers.push(worker);
    // 12 rows committed together: the relay finds them all at once.
    const ids = await db.transaction(async (manager) => {
      const written: string[] = [];
      for (let i = 0; i < 12; i++) {
        const data = { agent_id: 'a', conversation_id: `c${i}`, user_id: 'u', message_id: `m${i}`, from: 'human' as const, type: 'text' as const, text: `n${i}` };
        written.push((await writeOutboxEvent(manager, { tenantId: t.tenantId, type: 'message_sent', data })).id);
      }
      return written;
    });
    await waitFor(() => uniqueOn('/eager-limit').size === ids.length, { timeoutMs: 15000, what: 'every event' });
    // Every fan-out job waited in the delayed set and was removed unfetched: none was processed through the queue.
    const testing = testEnv(isolated.env);
    const redis = new Redis(testing['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
    try {
      const stream = await redis.xrange(`${bullPrefix(testing['REDIS_PREFIX']!)}:${QUEUES.eventFanout}:events`, '-', '+');
      for (const id of ids) {
        expect(stream.filter(([, f]) => f[3] === jobIds.fanout(id)).map(([, f]) => f[1])).toEqual(['added', 'delayed', 'removed']);
      }
    } finally {
      redis.disconnect();
    }
    await kill(worker, 'SIGTERM');
  }, 60000);

  it('SIGTERM while a delivery is in flight: the delivery completes and is logged before the worker exits 0', async () => {
    const t = await setup('/graceful');
    receiver.respond((r) => (r.path === '/graceful' ? { status: 200, delayMs: 1200 } : { status: 200 }));
    const worker = await spawnWorker({ ...isolated.env });
    workers.push(worker);
    const [id] = await produce(t.tenantId, 1);
    await waitFor(() => receiver.on('/graceful').length === 1, { timeoutMs: 10000, what: 'delivery in flight' });
    const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
    worker.kill('SIGTERM');
    expect(await exited).toBe(0);
    const rows = await db.query<{ status: string; success: boolean }[]>(
      `SELECT m.status, l.success FROM business.webhook_messages m JOIN business.webhook_delivery_logs l ON l.message_id = m.id
        WHERE m.event_id = $1`,
      [id],
    );
    expect(rows).toEqual([{ status: 'delivered', success: true }]);
  }, 60000);

  it('Redis unavailable while events are produced: nothing is lost, all arrive once it returns', async () => {
    const t = await setup('/outage');
    receiver.respond(() => ({ status: 200 }));
    const redis = await PrivateRedis.start();
    try {
      const worker = await spawnWorker({ ...isolated.env, REDIS_URL: redis.url, OUTBOX_POLL_INTERVAL_MS: '200' });
      workers.push(worker);
      await redis.stop();

      const ids = await produce(t.tenantId, 40);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(receiver.on('/outage')).toHaveLength(0);
      const waiting = await db.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM events.outbox WHERE tenant_id = $1 AND published_at IS NULL`,
        [t.tenantId],
      );
      expect(waiting[0]!.n).toBe(ids.length); // the rows wait in Postgres

      await redis.start();
      await waitFor(() => uniqueOn('/outage').size === ids.length, { timeoutMs: 30000, intervalMs: 200, what: 'every event after the outage' });
      const received = uniqueOn('/outage');
      expect(ids.every((id) => received.has(id))).toBe(true);
      await kill(worker, 'SIGTERM');
    } finally {
      await redis.stop();
    }
  }, 90000);
});
