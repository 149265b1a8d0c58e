import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { type EventEnvelope, jobIds } from '@chatbot/events';
import { APP_CONFIG, APP_LOGGER, type AppLogger, MetricsService } from '@chatbot/platform';
import { Counter } from 'prom-client';
import type { WorkerConfig } from '../config/worker.config';
import { ThrottledWarning } from '../logging/throttled-warning';
import { FanoutQueue } from '../queues/worker-queues';
import { FanoutProcessor } from './fanout.processor';

type EagerResult = 'done' | 'failed' | 'queued';

/**
 * Eager fan-out: the outbox relay fans out the events it has just published itself, in this process, instead of
 * waiting for the fan-out worker to fetch their jobs from Redis (as Temporal's eager dispatch hands a task straight
 * to the worker that created it). Each event still gets its fan-out job (jobId = event id), added by the relay before
 * the rows are marked published, but *delayed* by a lease (QUEUE_LOCK_DURATION_MS, the time after which BullMQ also
 * retries the job of a crashed worker):
 * - fanned out: the job is removed, never fetched;
 * - its fan-out failed: the job is made due now, and the fan-out worker retries it with the job's attempts and backoff;
 * - the process died before either: the job becomes due when the lease ends and any worker runs it.
 * Fan-out is idempotent (Postgres state decides), so a lease that ends while the eager run is still going (a stalled
 * database) costs a second fan-out run, whose deliveries find their messages and delivery jobs already there.
 *
 * Why: a job fetched and completed by a BullMQ worker cost as much Redis and worker CPU as everything else an event
 * needs; a delayed job removed unfetched costs about half (bench/RESULTS.md, nineteenth session).
 *
 * At most FANOUT_EAGER_LIMIT events are in eager flight: the relay claims no more outbox rows than there is room for.
 */
@Injectable()
export class EagerFanout implements BeforeApplicationShutdown {
  private inFlight = 0;
  private readonly running = new Set<Promise<void>>();
  private readonly results: Record<EagerResult, Counter.Internal>;
  private readonly warning: ThrottledWarning;

  constructor(
    private readonly fanout: FanoutProcessor,
    private readonly queue: FanoutQueue,
    @Inject(APP_CONFIG) private readonly config: WorkerConfig,
    @Inject(APP_LOGGER) logger: AppLogger,
    metrics: MetricsService,
  ) {
    this.warning = new ThrottledWarning(logger);
    const counter = new Counter({
      name: 'fanout_eager_events_total',
      help: "Published events by fan-out path: 'done' = fanned out by the relay, 'failed' = eager fan-out failed (the job retries it), 'queued' = sent through the fan-out queue (eager fan-out off, or no room)",
      labelNames: ['result'],
      registers: [metrics.registry],
    });
    this.results = { done: counter.labels('done'), failed: counter.labels('failed'), queued: counter.labels('queued') };
  }

  /**
   * How many outbox rows the relay should claim next: at most `batch`, and no more than there is eager room for
   * (rows left in the outbox wait there for this process, or are claimed by another worker's relay, instead of taking
   * the costlier path through the fan-out queue). 0 = wait for `room()`. With eager fan-out off, always `batch`.
   */
  claimLimit(batch: number): number {
    if (this.config.FANOUT_EAGER_LIMIT === 0) return batch;
    return Math.max(0, Math.min(batch, this.config.FANOUT_EAGER_LIMIT - this.inFlight));
  }

  /** Resolves once some eager fan-out has finished (there is room again), or at once if none is running. */
  async room(): Promise<void> {
    if (this.running.size > 0) await Promise.race(this.running).catch(() => undefined);
  }

  /** How many of the next published events to take eagerly (the rest go through the queue). */
  reserve(events: number): number {
    const taken = Math.max(0, Math.min(events, this.config.FANOUT_EAGER_LIMIT - this.inFlight));
    this.inFlight += taken;
    if (events > taken) this.results.queued.inc(events - taken);
    return taken;
  }

  /** The lease of an eager event's fan-out job: it waits this long in the delayed set (job option `delay`). */
  get leaseMs(): number {
    return this.config.QUEUE_LOCK_DURATION_MS;
  }

  /** Starts the fan-out of events reserved with `reserve` and published with their delayed jobs; does not wait. */
  start(events: readonly EventEnvelope[]): void {
    if (events.length === 0) return;
    const run = this.run(events).finally(() => {
      this.inFlight -= events.length;
      this.running.delete(run);
    });
    this.running.add(run);
  }

  /** Gives back reservations whose events were not published after all (the relay's transaction failed). */
  release(events: number): void {
    this.inFlight -= events;
  }

  /** Resolves when every eager fan-out started so far has finished (its jobs removed or made due). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.idle();
  }

  private async run(events: readonly EventEnvelope[]): Promise<void> {
    const outcomes = await Promise.allSettled(events.map((event) => this.fanout.fanOut(event)));
    const done: string[] = [];
    const failed: { jobId: string; reason: unknown }[] = [];
    outcomes.forEach((outcome, i) => {
      const jobId = jobIds.fanout(events[i]!.id);
      if (outcome.status === 'fulfilled') done.push(jobId);
      else failed.push({ jobId, reason: outcome.reason });
    });
    this.results.done.inc(done.length);
    this.results.failed.inc(failed.length);
    // Neither step is needed for correctness: a job left in the delayed set runs when its lease ends (again, harmlessly,
    // for a fanned-out event). Both only save that wait or that second run.
    await Promise.all([
      this.queue
        .removeDelayed(done)
        .catch((err: unknown) => this.warning.warn('could not remove the fan-out jobs of eagerly fanned-out events; they run again, harmlessly, when their lease ends', err)),
      ...failed.map(({ jobId, reason }) => {
        this.warning.warn('eager fan-out failed; the fan-out job retries it', reason, { jobId });
        return this.queue
          .promote(jobId)
          .catch((err: unknown) => this.warning.warn('could not make a failed eager fan-out job due now; it runs when its lease ends', err, { jobId }));
      }),
    ]);
  }
}
