import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { QUEUES, bullPrefix } from './queues';
import { TypedQueue } from './typed-queue';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** Real Redis and BullMQ: a fan-out queue under a prefix of its own, no worker. */
describe('TypedQueue.removeDelayed, promote and reschedule (real Redis)', () => {
  const config = { REDIS_URL, REDIS_PREFIX: `${process.env['REDIS_PREFIX'] ?? 'test'}:typed-queue:${randomUUID()}` };
  let queue: TypedQueue<typeof QUEUES.eventFanout>;
  let redis: Redis;

  const job = (id: string, delay?: number) => ({
    name: 'fan-out' as const,
    data: {
      event: {
        id,
        type: 'message_sent' as const,
        tenant_id: randomUUID(),
        occurred_at: new Date().toISOString(),
        data: { agent_id: 'a', conversation_id: 'c', user_id: 'u', message_id: 'm', from: 'human' as const, type: 'text' as const, text: 'hi' },
      },
    },
    opts: { jobId: id, ...(delay !== undefined ? { delay } : {}) },
  });

  /** What the queue's event stream says happened to a job, oldest first. */
  const history = async (jobId: string) =>
    (await redis.xrange(`${bullPrefix(config.REDIS_PREFIX)}:${QUEUES.eventFanout}:events`, '-', '+')).filter(([, f]) => f[3] === jobId).map(([, f]) => f[1]);

  beforeAll(() => {
    queue = new TypedQueue(QUEUES.eventFanout, config);
    redis = new Redis(REDIS_URL);
  });

  afterAll(async () => {
    await queue.queue.obliterate({ force: true });
    await queue.close();
    redis.disconnect();
  });

  it('removes delayed jobs (hash included, reported as removed) and leaves waiting ones alone', async () => {
    const [a, b, waiting] = [randomUUID(), randomUUID(), randomUUID()];
    await queue.addBulk([job(a, 60_000), job(b, 60_000), job(waiting)]);
    const before = await redis.keys(`${bullPrefix(config.REDIS_PREFIX)}:${QUEUES.eventFanout}:${a}*`);
    expect(before.length).toBeGreaterThan(0);

    expect(await queue.removeDelayed([a, b, waiting, randomUUID()])).toBe(2);

    expect(await queue.queue.getJob(a)).toBeUndefined();
    expect(await queue.queue.getJob(b)).toBeUndefined();
    expect(await redis.keys(`${bullPrefix(config.REDIS_PREFIX)}:${QUEUES.eventFanout}:${a}*`)).toEqual([]);
    expect(await queue.queue.getDelayedCount()).toBe(0);
    expect(await history(a)).toEqual(['added', 'delayed', 'removed']);
    expect(await (await queue.queue.getJob(waiting))?.getState()).toBe('waiting');
    expect(await queue.removeDelayed([])).toBe(0);
  });

  it('promote makes a delayed job due now; false for a job that is not delayed', async () => {
    const [delayed, waiting] = [randomUUID(), randomUUID()];
    await queue.addBulk([job(delayed, 60_000), job(waiting)]);
    expect(await queue.promote(delayed)).toBe(true);
    expect(await (await queue.queue.getJob(delayed))?.getState()).toBe('waiting');
    expect(await queue.promote(waiting)).toBe(false);
    expect(await queue.promote(randomUUID())).toBe(false);
    // A promoted job is no longer delayed: removeDelayed leaves it for the worker.
    expect(await queue.removeDelayed([delayed])).toBe(0);
    expect(await queue.queue.getJob(delayed)).toBeDefined();
  });

  it('reschedule gives a delayed job new data and a new due time; false for a job that is not delayed', async () => {
    const [delayed, waiting] = [randomUUID(), randomUUID()];
    await queue.addBulk([job(delayed, 60_000), job(waiting)]);
    const changed = { event: { ...job(delayed).data.event, tenant_id: randomUUID() } };
    const before = Date.now();
    expect(await queue.reschedule(delayed, changed, 5_000)).toBe(true);
    const found = await queue.queue.getJob(delayed);
    expect(found?.data).toEqual(changed);
    expect(await found?.isDelayed()).toBe(true);
    // Due about 5 s from now, not 60 s after it was added.
    const due = found!.timestamp + found!.delay;
    expect(due).toBeGreaterThan(before + 4_900); // Redis's clock against ours
    expect(due).toBeLessThan(before + 10_000);
    expect(await queue.reschedule(waiting, changed, 5_000)).toBe(false);
    expect((await queue.queue.getJob(waiting))?.data).not.toEqual(changed);
  });
});
