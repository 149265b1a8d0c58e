import { Inject, Injectable, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import { type JobPayload, QUEUES, bullConnection, bullPrefix, jobIds } from '@chatbot/events';
import { APP_CONFIG, APP_LOGGER, type AppLogger, MetricsService } from '@chatbot/platform';
import { asTenantId } from '@chatbot/tenant-auth';
import {
  type DeliveryContext,
  type DeliveryKey,
  MicroBatcher,
  WEBHOOK_BACKOFF,
  WebhookDeliveryService,
  WebhookMessageRepository,
} from '@chatbot/webhooks';
import { DelayedError, type Job, Worker } from 'bullmq';
import { Counter } from 'prom-client';
import type { WorkerConfig } from '../config/worker.config';
import { DeliveryHandoff, type HandoffResult } from './delivery-handoff';
import { EndpointSlots } from './endpoint-slots';

type DeliveryJob = Job<JobPayload<typeof QUEUES.webhookDelivery, 'deliver'>>;

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

  constructor(
    private readonly messages: WebhookMessageRepository,
    private readonly delivery: WebhookDeliveryService,
    private readonly handoff: DeliveryHandoff,
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
    // Waits for deliveries in flight to finish (each is bounded by WEBHOOK_TIMEOUT_MS).
    await this.worker?.close();
    await this.worker?.disconnect();
  }

  /** A fresh first attempt uses what fan-out in this process stored, unless stale; anything else reads the database. */
  private handedOver(job: DeliveryJob): DeliveryContext | undefined {
    if (job.attemptsMade !== 0 || !job.id || jobIds.isRedelivery(job.id)) return undefined;
    const { result, context } = this.handoff.take(job.id);
    this.handoffs[result].inc();
    return context;
  }

  async process(job: DeliveryJob, token?: string): Promise<{ outcome: string; status?: number | null }> {
    const tenantId = asTenantId(job.data.tenantId);
    const found = this.handedOver(job) ?? (await this.contexts.submit({ tenantId, webhookId: job.data.webhookId, eventId: job.data.eventId }));
    if (!found) return { outcome: 'skipped: webhook deleted' };
    // A fan-out job's message ends delivered or failed only through this job's own attempts; finding it so means the
    // event was fanned out again (a replayed outbox row or a retried fan-out, after the first job completed and was
    // removed). Only redeliver and recover (their own job ids) send a finished message again.
    if (found.messageStatus !== 'pending' && !jobIds.isRedelivery(job.id)) return { outcome: `skipped: already ${found.messageStatus}` };
    const { webhook } = found;
    if (!webhook.isActive) {
      await this.messages.markFailed(tenantId, found.messageId, 'webhook is disabled');
      return { outcome: 'skipped: webhook disabled' };
    }

    const endpoint = new URL(webhook.webhookUrl).origin;
    if (!this.slots.tryAcquire(endpoint)) {
      // This endpoint already has its share of slots: give ours back and come back shortly (not an attempt).
      await job.moveToDelayed(Date.now() + 50 + Math.floor(Math.random() * 150), token);
      throw new DelayedError();
    }
    try {
      const result = await this.delivery.attempt({
        webhook,
        event: found.event,
        attempt: job.attemptsMade + 1,
        maxAttempts: job.opts.attempts ?? 1,
        messageId: found.messageId,
        isTest: false,
      });
      this.attempts.inc({ outcome: result.outcome });
      if (result.outcome === 'retry') throw new RetryDeliveryLater(result.retryInMs ?? 1000, result.error ?? 'retry');
      return { outcome: result.outcome, status: result.statusCode };
    } finally {
      this.slots.release(endpoint);
    }
  }
}
