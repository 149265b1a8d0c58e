import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { deletePublishedOutboxRows } from '@chatbot/events';
import { APP_CONFIG, APP_LOGGER, type AppLogger } from '@chatbot/platform';
import { DeliveryLogRepository, WebhookMessageRepository } from '@chatbot/webhooks';
import { DataSource } from 'typeorm';
import type { WorkerConfig } from '../config/worker.config';

const HOUR_MS = 3600_000;

/**
 * Deletes what has outlived its retention setting, at boot and hourly:
 * - delivery log rows older than WEBHOOK_LOG_RETENTION_DAYS;
 * - webhook events older than WEBHOOK_EVENT_RETENTION_DAYS, with their messages, unless a delivery is still pending
 *   (redeliver and recover then have nothing for them: redeliver answers 404 "no longer kept");
 * - outbox rows published more than OUTBOX_RETENTION_HOURS ago (a published row has done its work: its fan-out job
 *   exists or ran). An unpublished row is never deleted, however old.
 * A failed sweep is logged and tried again the next hour; one failing does not stop the others.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly logs: DeliveryLogRepository,
    private readonly messages: WebhookMessageRepository,
    @Inject(APP_CONFIG) private readonly config: WorkerConfig,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweepAll(), HOUR_MS);
    this.timer.unref();
    void this.sweepAll();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async sweepAll(now = new Date()): Promise<void> {
    await this.sweepDeliveryLogs(now);
    await this.sweepWebhookEvents(now);
    await this.sweepOutbox(now);
  }

  sweepDeliveryLogs(now = new Date()): Promise<number> {
    const before = new Date(now.getTime() - this.config.WEBHOOK_LOG_RETENTION_DAYS * 24 * HOUR_MS);
    return this.sweep('delivery logs', before, () => this.logs.deleteOlderThan(before));
  }

  sweepWebhookEvents(now = new Date()): Promise<number> {
    const before = new Date(now.getTime() - this.config.WEBHOOK_EVENT_RETENTION_DAYS * 24 * HOUR_MS);
    return this.sweep('webhook events', before, () => this.messages.deleteEventsOlderThan(before));
  }

  sweepOutbox(now = new Date()): Promise<number> {
    const before = new Date(now.getTime() - this.config.OUTBOX_RETENTION_HOURS * HOUR_MS);
    return this.sweep('published outbox rows', before, () => deletePublishedOutboxRows(this.dataSource, before));
  }

  private async sweep(what: string, before: Date, run: () => Promise<number>): Promise<number> {
    try {
      const deleted = await run();
      if (deleted > 0) this.logger.info({ deleted, before: before.toISOString() }, `${what} past retention deleted`);
      return deleted;
    } catch (err) {
      this.logger.warn({ err: { message: (err as Error).message } }, `${what}: retention sweep failed`);
      return 0;
    }
  }
}
