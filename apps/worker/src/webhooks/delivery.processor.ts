import { Inject, Injectable, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import { type JobPayload, QUEUES, type TypedJob, bullConnection, bullPrefix, jobIds } from '@chatbot/events';
import { APP_CONFIG, APP_LOGGER, type AppLogger, MetricsService } from '@chatbot/platform';
import { asTenantId } from '@chatbot/tenant-auth';
import {
  type DeliveryContext,
  type DeliveryKey,
  MicroBatcher,
  WEBHOOK_BACKOFF,
  WebhookDeliveryService,
  type WebhookEntity,
  WebhookMessageRepository,
} from '@chatbot/webhooks';
import { DelayedError, type Job, Worker } from 'bullmq';
import { Counter } from 'prom-client';
import type { WorkerConfig } from '../config/worker.config';
import { ThrottledWarning } from '../logging/throttled-warning';
import { DeliveryQueue } from '../queues/worker-queues';
import { DeliveryHandoff, type HandoffResult } from './delivery-handoff';
import { EndpointSlots } from './endpoint-slots';

type DeliveryJob = Job<JobPayload<typeof QUEUES.webhookDelivery, 'deliver'>>;

/** A fresh first attempt that fan-out starts itself (see `startEager`); its job was added delayed by `eagerLeaseMs`. */
export interface EagerDelivery {
  job: TypedJob<typeof QUEUES.webhookDelivery>;
  context: DeliveryContext;
  /** When fan-out sent the statement that read the webhook row (performance.now()). */
  readAt: number;
  /** The endpoint whose slot the reservation holds (`reserveEager`). */
  endpoint: string;
}

/** The endpoint a webhook's deliveries count against (per-endpoint concurrency cap): its URL's origin. */
const endpointOf = (webhook: Pick<WebhookEntity, 'webhookUrl'>): string => new URL(webhook.webhookUrl).origin;

/** What one attempt came to: finished (delivered, failed, skipped), to be retried later, or not made (endpoint busy). */
type Attempted = { kind: 'done'; outcome: string; status?: number | null } | { kind: 'retry'; delayMs: number; reason: string } | { kind: 'busy' };

/** Thrown to make BullMQ retry after exactly the delay the attempt chose (backoff with jitter, or Retry-After). */
export class RetryDeliveryLater extends Error {
  constructor(
    readonly delayMs: number,
    reason: string,
  ) {
    super(reason);
    this.name = 'RetryDeliveryLater';
  }
}

@Injectable()
export class DeliveryProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private worker: Worker | undefined;
  private readonly slots: EndpointSlots;
  private readonly attempts: Counter<'outcome'>;
  private readonly handoffs: Record<HandoffResult, Counter.Internal>;
  /** Deliveries picked up together read their webhook, message and event in one statement. */
  private readonly contexts: MicroBatcher<DeliveryKey, DeliveryContext | null>;
  /** Job id → its eager first attempt, while it runs. */
  private readonly eager = new Map<string, Promise<void>>();
  private eagerReserved = 0;
  private stopping = false;
  /** Delayed jobs of finished eager attempts, removed together. */
  private readonly removals: MicroBatcher<string, undefined>;
  private readonly eagerWarning: ThrottledWarning;

  constructor(
    private readonly messages: WebhookMessageRepository,
    private readonly delivery: WebhookDeliveryService,
    private readonly handoff: DeliveryHandoff,
    private readonly deliveries: DeliveryQueue,
    @Inject(APP_CONFIG) private readonly config: WorkerConfig,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
    metrics: MetricsService,
  ) {
    this.slots = new EndpointSlots(config.WEBHOOK_ENDPOINT_CONCURRENCY);
    this.contexts = new MicroBatcher({
      run: (keys) => this.messages.deliveryContexts(keys),
      maxBatch: Math.max(1, config.WEBHOOK_DELIVERY_CONCURRENCY),
      maxInFlight: 2,
      isolateFailures: true,
    });
    this.attempts = new Counter({
      name: 'webhook_delivery_attempts_total',
      help: 'Webhook delivery attempts by outcome',
      labelNames: ['outcome'],
      registers: [metrics.registry],
    });
    const handoffs = new Counter({
      name: 'webhook_delivery_handoff_total',
      help: "First delivery attempts by where their webhook, message and event came from: 'used' = handed over by this process's fan-out; 'missing', 'changed' (the webhook changed since), 'expired' = read from Postgres",
      labelNames: ['result'],
      registers: [metrics.registry],
    });
    this.handoffs = { used: handoffs.labels('used'), missing: handoffs.labels('missing'), changed: handoffs.labels('changed'), expired: handoffs.labels('expired') };
    this.eagerWarning = new ThrottledWarning(logger);
    this.removals = new MicroBatcher({
      run: async (jobIds) => {
        await this.deliveries.removeDelayed(jobIds);
        return jobIds.map(() => undefined);
      },
      maxBatch: 500,
      maxInFlight: 2,
    });
  }

  onApplicationBootstrap(): void {
    this.worker = new Worker(QUEUES.webhookDelivery, (job: DeliveryJob, token?: string) => this.process(job, token), {
      connection: bullConnection(this.config, 'worker'),
      prefix: bullPrefix(this.config.REDIS_PREFIX),
      concurrency: this.config.WEBHOOK_DELIVERY_CONCURRENCY,
      lockDuration: this.config.QUEUE_LOCK_DURATION_MS,
      stalledInterval: this.config.QUEUE_STALLED_INTERVAL_MS,
      settings: {
        backoffStrategy: (_attemptsMade: number, type?: string, err?: Error) =>
          type === WEBHOOK_BACKOFF && err instanceof RetryDeliveryLater ? err.delayMs : 1000,
      },
    });
    this.worker.on('error', () => undefined);
    this.worker.on('failed', (job, err) => {
      if (err instanceof RetryDeliveryLater) return; // an expected retry, already in the delivery log
      this.logger.error({ jobId: job?.id, err: { message: err.message, stack: err.stack } }, 'delivery job failed unexpectedly');
    });
  }

  /** Before pools close (PlatformModule closes them on application shutdown): finish in-flight work first. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    // Waits for deliveries in flight to finish (each is bounded by WEBHOOK_TIMEOUT_MS).
    await this.worker?.close();
    while (this.eager.size > 0) await Promise.allSettled([...this.eager.values()]);
    await this.removals.drained();
    await this.worker?.disconnect();
  }

  /**
   * Eager first attempts: fan-out starts the first attempt of each new message itself, in this process, instead of
   * waiting for the delivery worker to fetch its job from Redis (as it starts the fan-out of a published event, see
   * EagerFanout). The job (jobId = eventId:webhookId) is added first, *delayed* by this lease, longer than an attempt
   * can last (the job lock, plus WEBHOOK_TIMEOUT_MS); then:
   * - delivered, failed for good, or nothing to send: the job is removed, never fetched;
   * - to be retried: the job is rescheduled for the retry (the attempt counted in its data), and runs as usual then;
   * - an unexpected error (database, Redis), a webhook URL changed meanwhile, or shutting down: the job is made due
   *   now and the worker takes it;
   * - the process died: the job becomes due when the lease ends and any worker runs it.
   * At most WEBHOOK_EAGER_LIMIT eager attempts run at once (beside the worker's WEBHOOK_DELIVERY_CONCURRENCY), each
   * holding a slot of its endpoint from fan-out on; fan-out sends the rest through the queue.
   *
   * Why: a job fetched and completed by a BullMQ worker costs more Redis and worker CPU than one added delayed and
   * removed unfetched; with the fan-out job treated the same way, the CPU per delivered event at saturation fell by
   * about a fifth (bench/RESULTS.md, nineteenth session).
   */
  get eagerLeaseMs(): number {
    return this.config.QUEUE_LOCK_DURATION_MS + this.config.WEBHOOK_TIMEOUT_MS;
  }

  /**
   * Whether fan-out may attempt a new message to this webhook eagerly now: within WEBHOOK_EAGER_LIMIT, and with a slot
   * of its endpoint free, which the reservation takes (so an eager attempt never finds its endpoint busy). Returns
   * that endpoint, or undefined (through the queue). Give back reservations not started with `releaseEager`.
   */
  reserveEager(webhook: Pick<WebhookEntity, 'webhookUrl'>): string | undefined {
    if (this.stopping || this.eagerReserved >= this.config.WEBHOOK_EAGER_LIMIT) return undefined;
    const endpoint = endpointOf(webhook);
    if (!this.slots.tryAcquire(endpoint)) return undefined;
    this.eagerReserved++;
    return endpoint;
  }

  releaseEager(deliveries: readonly EagerDelivery[]): void {
    for (const { endpoint } of deliveries) this.releaseReservation(endpoint);
  }

  private releaseReservation(endpoint: string): void {
    this.eagerReserved--;
    this.slots.release(endpoint);
  }

  /** Starts reserved eager attempts whose delayed jobs exist; does not wait for them. */
  startEager(deliveries: readonly EagerDelivery[]): void {
    for (const delivery of deliveries) {
      const jobId = delivery.job.opts.jobId;
      const run = this.runEager(delivery).finally(() => {
        this.releaseReservation(delivery.endpoint);
        this.eager.delete(jobId);
      });
      this.eager.set(jobId, run);
    }
  }

  private async runEager({ job, context, readAt, endpoint }: EagerDelivery): Promise<void> {
    const jobId = job.opts.jobId;
    try {
      if (this.stopping) return await this.dueNow(jobId);
      // The webhook row is as fresh as a handed-over one must be (it was read milliseconds ago, unless the process stalled).
      const fresh = this.handoff.check(context.webhook.id, readAt);
      this.handoffs[fresh].inc();
      const found = fresh === 'used' ? context : await this.contexts.submit(job.data);
      if (!found) return await this.removed(jobId);
      // The reserved slot is for the endpoint read by fan-out: a URL changed since then goes through the queue.
      if (found !== context && endpointOf(found.webhook) !== endpoint) return await this.dueNow(jobId);
      const attempted = await this.deliver(found, jobId, 1, job.opts.attempts ?? 1, { slotHeld: true });
      if (attempted.kind === 'busy') return await this.dueNow(jobId); // not with a held slot; for completeness
      if (attempted.kind === 'retry') {
        // If the lease ended meanwhile (the job ran or runs), its own attempt decides; nothing to reschedule.
        await this.deliveries.reschedule(jobId, { ...job.data, priorAttempts: 1 }, attempted.delayMs);
        return;
      }
      await this.removed(jobId);
    } catch (err) {
      this.eagerWarning.warn('eager delivery attempt failed unexpectedly; its job retries it', err, { jobId });
      await this.dueNow(jobId).catch(() => undefined); // else it runs when the lease ends
    }
  }

  /** The job of a finished eager attempt leaves Redis; if that fails it runs at the end of its lease and sends nothing. */
  private async removed(jobId: string): Promise<void> {
    await this.removals.submit(jobId).catch(() => undefined);
  }

  private async dueNow(jobId: string): Promise<void> {
    await this.deliveries.promote(jobId);
  }

  /** A fresh first attempt uses what fan-out in this process stored, unless stale; anything else reads the database. */
  private handedOver(job: DeliveryJob): DeliveryContext | undefined {
    if (job.attemptsMade !== 0 || job.data.priorAttempts || !job.id || jobIds.isRedelivery(job.id)) return undefined;
    const { result, context } = this.handoff.take(job.id);
    this.handoffs[result].inc();
    return context;
  }

  async process(job: DeliveryJob, token?: string): Promise<{ outcome: string; status?: number | null }> {
    const jobId = job.id ?? '';
    if (this.eager.has(jobId)) {
      // Its eager attempt is still running here (the lease ended first: a stalled process). Let that one decide.
      await job.moveToDelayed(Date.now() + 1000, token);
      throw new DelayedError();
    }
    const tenantId = asTenantId(job.data.tenantId);
    const found = this.handedOver(job) ?? (await this.contexts.submit({ tenantId, webhookId: job.data.webhookId, eventId: job.data.eventId }));
    if (!found) return { outcome: 'skipped: webhook deleted' };
    const attempt = (job.data.priorAttempts ?? 0) + job.attemptsMade + 1;
    const attempted = await this.deliver(found, jobId, attempt, job.opts.attempts ?? 1);
    if (attempted.kind === 'busy') {
      // This endpoint already has its share of slots: give ours back and come back shortly (not an attempt).
      await job.moveToDelayed(Date.now() + 50 + Math.floor(Math.random() * 150), token);
      throw new DelayedError();
    }
    if (attempted.kind === 'retry') throw new RetryDeliveryLater(attempted.delayMs, attempted.reason);
    return { outcome: attempted.outcome, status: attempted.status };
  }

  /** One attempt of a delivery job (queued or eager) with its webhook, message and event. */
  private async deliver(found: DeliveryContext, jobId: string, attempt: number, maxAttempts: number, { slotHeld = false } = {}): Promise<Attempted> {
    // A fan-out job's message ends delivered or failed only through this job's own attempts; finding it so means the
    // event was fanned out again (a replayed outbox row or a retried fan-out, after the first job completed and was
    // removed). Only redeliver and recover (their own job ids) send a finished message again.
    if (found.messageStatus !== 'pending' && !jobIds.isRedelivery(jobId)) return { kind: 'done', outcome: `skipped: already ${found.messageStatus}` };
    const { webhook } = found;
    if (!webhook.isActive) {
      await this.messages.markFailed(asTenantId(webhook.tenantId), found.messageId, 'webhook is disabled');
      return { kind: 'done', outcome: 'skipped: webhook disabled' };
    }
    const endpoint = slotHeld ? undefined : endpointOf(webhook);
    if (endpoint !== undefined && !this.slots.tryAcquire(endpoint)) return { kind: 'busy' };
    try {
      const result = await this.delivery.attempt({ webhook, event: found.event, attempt, maxAttempts, messageId: found.messageId, isTest: false });
      this.attempts.inc({ outcome: result.outcome });
      if (result.outcome === 'retry') return { kind: 'retry', delayMs: result.retryInMs ?? 1000, reason: result.error ?? 'retry' };
      return { kind: 'done', outcome: result.outcome, status: result.statusCode };
    } finally {
      if (endpoint !== undefined) this.slots.release(endpoint);
    }
  }
}
