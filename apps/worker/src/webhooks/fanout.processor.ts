import { Inject, Injectable, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import { type JobPayload, QUEUES, bullConnection, bullPrefix, isPublicEventType } from '@chatbot/events';
import { APP_CONFIG, APP_LOGGER, type AppLogger } from '@chatbot/platform';
import { asTenantId } from '@chatbot/tenant-auth';
import { WebhookMessageRepository, deliveryJob } from '@chatbot/webhooks';
import { type Job, Worker } from 'bullmq';
import type { WorkerConfig } from '../config/worker.config';
import { DeliveryQueue } from '../queues/worker-queues';

type FanoutJob = Job<JobPayload<typeof QUEUES.eventFanout, 'fan-out'>>;

/**
 * One event → one delivery job per active webhook subscribed to its type (jobId = eventId:webhookId). The event and
 * one message per webhook are stored first, so redelivery and recovery have what they need. Replays are harmless.
 */
@Injectable()
export class FanoutProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private worker: Worker | undefined;

  constructor(
    private readonly messages: WebhookMessageRepository,
    private readonly deliveries: DeliveryQueue,
    @Inject(APP_CONFIG) private readonly config: WorkerConfig,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

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
    await this.worker?.disconnect();
  }

  async process(job: FanoutJob): Promise<{ webhooks: number }> {
    const { event } = job.data;
    if (!isPublicEventType(event.type)) return { webhooks: 0 };
    const tenantId = asTenantId(event.tenant_id);
    const targets = await this.messages.fanOut(tenantId, event);
    if (targets.length === 0) return { webhooks: 0 };
    await this.deliveries.addBulk(targets.map((webhook) => deliveryJob(webhook, event.id)));
    return { webhooks: targets.length };
  }
}
