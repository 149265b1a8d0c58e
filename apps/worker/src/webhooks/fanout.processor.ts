import { Inject, Injectable, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import { type EventEnvelope, type JobPayload, QUEUES, bullConnection, bullPrefix, isProjectionEvent, isPublicEventType, jobIds } from '@chatbot/events';
import { APP_CONFIG, APP_LOGGER, type AppLogger } from '@chatbot/platform';
import { type DeliveryContext, MicroBatcher, WebhookMessageRepository, deliveryJob } from '@chatbot/webhooks';
import { type Job, Worker } from 'bullmq';
import type { WorkerConfig } from '../config/worker.config';
import { DeliveryQueue, ProjectionQueue } from '../queues/worker-queues';
import { DeliveryHandoff } from './delivery-handoff';
import { DeliveryProcessor, type EagerDelivery } from './delivery.processor';

type FanoutJob = Job<JobPayload<typeof QUEUES.eventFanout, 'fan-out'>>;

/**
 * One event → one delivery job per active webhook subscribed to its type (jobId = eventId.webhookId). The event and
 * one message per webhook are stored first, so redelivery and recovery have what they need. Replays are harmless.
 * The first attempt of a new message is started right here, its job delayed meanwhile, up to WEBHOOK_EAGER_LIMIT at
 * once (DeliveryProcessor.eagerLeaseMs); the rest are handed over to the delivery worker of this process.
 *
 * Fan-out jobs processed at the same time are served together: one statement stores the events and messages of the
 * whole batch and one addBulk enqueues its delivery jobs; each job completes only after both succeeded (a failed
 * batch is retried item by item, so one bad event fails only its own job).
 */
@Injectable()
export class FanoutProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private worker: Worker | undefined;
  private readonly batcher: MicroBatcher<EventEnvelope, number>;

  constructor(
    private readonly messages: WebhookMessageRepository,
    private readonly deliveries: DeliveryQueue,
    private readonly projections: ProjectionQueue,
    private readonly handoff: DeliveryHandoff,
    private readonly delivery: DeliveryProcessor,
    @Inject(APP_CONFIG) private readonly config: WorkerConfig,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {
    this.batcher = new MicroBatcher({
      run: (events) => this.fanOutBatch(events),
      maxBatch: Math.max(1, config.FANOUT_CONCURRENCY),
      maxInFlight: 2,
      isolateFailures: true,
    });
  }

  onApplicationBootstrap(): void {
    this.worker = new Worker(QUEUES.eventFanout, (job: FanoutJob) => this.process(job), {
      connection: bullConnection(this.config, 'worker'),
      prefix: bullPrefix(this.config.REDIS_PREFIX),
      concurrency: this.config.FANOUT_CONCURRENCY,
      lockDuration: this.config.QUEUE_LOCK_DURATION_MS,
      stalledInterval: this.config.QUEUE_STALLED_INTERVAL_MS,
    });
    this.worker.on('error', () => undefined);
    this.worker.on('failed', (job, err) =>
      this.logger.warn({ jobId: job?.id, attemptsMade: job?.attemptsMade, err: { message: err.message } }, 'fan-out job failed; it will be retried'),
    );
  }

  /** Before pools close (PlatformModule closes them on application shutdown): finish in-flight work first. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.worker?.close();
    await this.batcher.drained();
    await this.worker?.disconnect();
  }

  process(job: FanoutJob): Promise<{ webhooks: number }> {
    return this.fanOut(job.data.event);
  }

  /** The work of one fan-out job, also run without the job by the relay's eager fan-out (EagerFanout). */
  async fanOut(event: EventEnvelope): Promise<{ webhooks: number }> {
    if (isProjectionEvent(event)) {
      // Agent and knowledge-base changes feed widget-api's agent projection (widget-api never reads the agents schema).
      await this.projections.add({
        name: 'project',
        data: { event },
        opts: { jobId: jobIds.projection(event.id), attempts: 10, backoff: { type: 'exponential', delay: 500 } },
      });
      return { webhooks: 0 };
    }
    if (!isPublicEventType(event.type)) return { webhooks: 0 };
    return { webhooks: await this.batcher.submit(event) };
  }

  private async fanOutBatch(events: EventEnvelope[]): Promise<number[]> {
    const readAt = performance.now(); // before the read: a webhook change notified from now on makes it stale
    const targets = await this.messages.fanOutMany(events);
    // New messages get a first attempt: eagerly from here (their jobs delayed meanwhile) as far as the limit allows,
    // else through the queue with their context handed over. Existing ones (a replay) go through the queue.
    const eager: EagerDelivery[] = [];
    const handedOver: string[] = [];
    const jobs = targets.flatMap((hooks, i) => {
      const event = events[i]!;
      return hooks.map((target) => {
        const job = deliveryJob(target, event.id);
        if (!target.newMessageId) return job;
        const context: DeliveryContext = { webhook: target.webhook, messageId: target.newMessageId, messageStatus: 'pending', event };
        const endpoint = this.delivery.reserveEager(target.webhook);
        if (endpoint !== undefined) {
          const delayed = { ...job, opts: { ...job.opts, delay: this.delivery.eagerLeaseMs } };
          eager.push({ job: delayed, context, readAt, endpoint });
          return delayed;
        }
        // Before the job exists: a delivery slot may pick it up before addBulk returns.
        this.handoff.put(job.opts.jobId, context, readAt);
        handedOver.push(job.opts.jobId);
        return job;
      });
    });
    try {
      await this.deliveries.addBulk(jobs);
    } catch (err) {
      handedOver.forEach((jobId) => this.handoff.forget(jobId));
      this.delivery.releaseEager(eager);
      throw err;
    }
    this.delivery.startEager(eager);
    return targets.map((hooks) => hooks.length);
  }
}
