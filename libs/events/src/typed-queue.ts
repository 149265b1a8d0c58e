import { type JobsOptions, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { type JobName, type JobPayload, QUEUES, type QueueName, bullPrefix } from './queues';

export interface QueueConnectionConfig {
  REDIS_URL: string;
  REDIS_PREFIX: string;
}

/** Completed jobs are kept an hour (so a replayed jobId is still recognised), failed ones a week. */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  removeOnComplete: { age: 3600, count: 50_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 100_000 },
};

/**
 * The webhook pipeline's queues remove a job as soon as it completes (failed jobs are kept a week, as everywhere).
 * Their outcome is recorded in Postgres (the message's status and the delivery log), and that is what makes a replay
 * harmless once the job is gone: fan-out stores events and messages idempotently, and a delivery job whose message is
 * already delivered or failed sends nothing. While a job is waiting, active or scheduled for a retry, its
 * deterministic id still makes a second add a no-op.
 *
 * Keeping them instead (DEFAULT_JOB_OPTIONS) holds ~1.6 KB of Redis memory per job (a fan-out job carries its event),
 * ~80 MB per queue at the 50,000-job cap, and once a deployment reaches that cap, every finishing job also removes
 * the oldest one. Raw BullMQ (bench/job-retention) ran at 0.81-0.89x the rate of removed jobs when keeping them,
 * below or at the cap; in the whole pipeline the difference was within the machine's noise (bench/RESULTS.md,
 * sixteenth session).
 */
const REMOVED_ON_COMPLETE: ReadonlySet<QueueName> = new Set<QueueName>([QUEUES.eventFanout, QUEUES.webhookDelivery]);

/** The options every job added to `queue` starts from. */
export function defaultJobOptions(queue: QueueName): JobsOptions {
  return REMOVED_ON_COMPLETE.has(queue) ? { ...DEFAULT_JOB_OPTIONS, removeOnComplete: true } : DEFAULT_JOB_OPTIONS;
}

/**
 * Redis connection for BullMQ. Producers fail fast while Redis is down (no offline queue), so callers can keep their
 * data (outbox rows stay unpublished) instead of hanging; workers wait for Redis forever, as BullMQ requires.
 *
 * No ioredis auto-pipelining: it builds a Pipeline object per event-loop turn and copies every BullMQ script onto it,
 * which at moderate rates (most commands alone in their turn) cost the webhook worker ~0.26 ms of CPU per event in a
 * profile (0.4 ms in an A/B run) and lengthened the steady p99; at saturation it saved about as much as it cost (bench/RESULTS.md, fourth session).
 */
export function bullConnection(config: QueueConnectionConfig, role: 'producer' | 'worker'): Redis {
  const client = new Redis(config.REDIS_URL, {
    maxRetriesPerRequest: role === 'worker' ? null : 1,
    enableOfflineQueue: role === 'worker',
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
  });
  client.on('error', () => undefined); // reported through readiness and job failures
  return client;
}

export interface TypedJob<Q extends QueueName, N extends JobName<Q> = JobName<Q>> {
  name: N;
  data: JobPayload<Q, N>;
  /** Every job has a deterministic id (see `jobIds`). */
  opts: JobsOptions & { jobId: string };
}

/** KEYS: delayed set, event stream, meta hash; ARGV: job key prefix, job ids. See `TypedQueue.removeDelayed`. */
const REMOVE_DELAYED_JOBS = `
local maxEvents = redis.call('HGET', KEYS[3], 'opts.maxLenEvents') or 10000
local removed = 0
for i = 2, #ARGV do
  local jobId = ARGV[i]
  if redis.call('ZREM', KEYS[1], jobId) == 1 then
    redis.call('DEL', ARGV[1] .. jobId, ARGV[1] .. jobId .. ':logs')
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', maxEvents, '*', 'event', 'removed', 'jobId', jobId, 'prev', 'delayed')
    removed = removed + 1
  end
end
return removed`;

interface QueueScripts {
  removeDelayedJobs(delayedKey: string, eventsKey: string, metaKey: string, jobKeyPrefix: string, ...jobIds: string[]): Promise<number>;
}

/** A BullMQ queue whose job names and payloads are checked against the catalog in `queues.ts`. */
export class TypedQueue<Q extends QueueName> {
  readonly queue: Queue;
  private readonly connection: Redis;
  private scriptsDefined = false;

  constructor(
    readonly name: Q,
    config: QueueConnectionConfig,
    connection: Redis = bullConnection(config, 'producer'),
  ) {
    this.connection = connection;
    this.queue = new Queue(name, { connection, prefix: bullPrefix(config.REDIS_PREFIX), defaultJobOptions: defaultJobOptions(name) });
    this.queue.on('error', () => undefined);
  }

  async add<N extends JobName<Q>>(job: TypedJob<Q, N>): Promise<void> {
    await this.queue.add(job.name, job.data, job.opts);
  }

  /**
   * One round trip for any number of jobs. A single job is added without a pipeline: ioredis copies every BullMQ
   * script onto each Pipeline it builds, ~0.1 ms each (about 7% of the worker's CPU per event at 200 events/s, where
   * batches are mostly of one; bench/RESULTS.md, seventh session).
   */
  async addBulk(jobs: readonly TypedJob<Q>[]): Promise<void> {
    if (jobs.length === 0) return;
    if (jobs.length === 1) return this.add(jobs[0]!);
    await this.queue.addBulk(jobs.map((job) => ({ name: job.name, data: job.data, opts: job.opts })));
  }

  /**
   * Removes those of the given jobs that are still delayed (not yet due: never fetched), in one script call; a job
   * that became due, active or finished in the meantime is left alone. Resolves to how many were removed.
   *
   * For jobs without children, dependencies or deduplication (BullMQ's own `remove` looks for all of those in every
   * state, one script call per job: ~3x the Redis CPU per job and a round of node CPU each, measured on raw BullMQ).
   * It deletes what BullMQ keeps of such a job (its hash and logs) and reports 'removed' on the queue's event stream as
   * BullMQ does. Should a BullMQ release keep delayed jobs elsewhere, nothing is removed and the jobs run when due.
   */
  async removeDelayed(jobIds: readonly string[]): Promise<number> {
    if (jobIds.length === 0) return 0;
    const key = (type: string) => this.queue.toKey(type);
    return this.scripts().removeDelayedJobs(key('delayed'), key('events'), key('meta'), key(''), ...jobIds);
  }

  /** Makes a delayed job due now; false if it is not delayed (gone, or already waiting, active or finished). */
  async promote(jobId: string): Promise<boolean> {
    const job = await this.queue.getJob(jobId);
    if (!job || !(await job.isDelayed())) return false;
    await job.promote();
    return true;
  }

  /**
   * A delayed job made due `delayMs` from now, with new data (a retry scheduled by whoever made the attempt); false
   * if it is no longer delayed (it became due or ran meanwhile), in which case nothing is changed.
   */
  async reschedule<N extends JobName<Q>>(jobId: string, data: JobPayload<Q, N>, delayMs: number): Promise<boolean> {
    const job = await this.queue.getJob(jobId);
    if (!job || !(await job.isDelayed())) return false;
    await job.updateData(data);
    await job.changeDelay(delayMs);
    return true;
  }

  /** Our own scripts, defined on the producer connection once (sent as EVALSHA, re-sent in full if Redis lost it). */
  private scripts(): QueueScripts {
    if (!this.scriptsDefined) {
      this.connection.defineCommand('removeDelayedJobs', { numberOfKeys: 3, lua: REMOVE_DELAYED_JOBS });
      this.scriptsDefined = true;
    }
    return this.connection as unknown as QueueScripts;
  }

  async close(): Promise<void> {
    await this.queue.close().catch(() => undefined);
    this.connection.disconnect();
  }
}
