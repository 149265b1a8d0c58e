import { type BeforeApplicationShutdown, Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { deletePublishedOutboxRows } from '@chatbot/events';
import { APP_CONFIG, APP_LOGGER, type AppLogger } from '@chatbot/platform';
import { DeliveryLogRepository, type PurgeResult, WebhookMessageRepository, WebhookRepository } from '@chatbot/webhooks';
import { DataSource } from 'typeorm';
import type { WorkerConfig } from '../config/worker.config';

const HOUR_MS = 3600_000;
/** How often the history of deleted webhooks is looked for (an empty tombstone table costs one index probe). */
export const WEBHOOK_PURGE_INTERVAL_MS = 60_000;
/**
 * How long a deleted webhook's tombstone is kept, so that whatever was in flight when it was deleted (a fan-out
 * statement, a delivery waiting up to WEBHOOK_TIMEOUT_MS, at most 60 s, for its endpoint) and writes a message or a
 * log row afterwards is removed by a later pass.
 */
export const WEBHOOK_PURGE_GRACE_MS = 10 * 60_000;

/**
 * Deletes what has outlived its retention setting, at boot and hourly:
 * - delivery log rows older than WEBHOOK_LOG_RETENTION_DAYS;
 * - webhook events older than WEBHOOK_EVENT_RETENTION_DAYS, with their messages, unless a delivery is still pending
 *   (redeliver and recover then have nothing for them: redeliver answers 404 "no longer kept");
 * - outbox rows published more than OUTBOX_RETENTION_HOURS ago (a published row has done its work: its fan-out job
 *   exists or ran). An unpublished row is never deleted, however old.
 * A failed sweep is logged and tried again the next hour; one failing does not stop the others.
 *
 * And, every minute, the messages and delivery logs of deleted webhooks (the delete route leaves a tombstone; see
 * WebhookRepository.purgeDeleted).
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private purgeTimer: NodeJS.Timeout | undefined;
  private purging: Promise<PurgeResult> | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly logs: DeliveryLogRepository,
    private readonly messages: WebhookMessageRepository,
    private readonly webhooks: WebhookRepository,
    @Inject(APP_CONFIG) private readonly config: WorkerConfig,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweepAll(), HOUR_MS);
    this.timer.unref();
    // A pass still running when the next minute comes is not joined by another.
    this.purgeTimer = setInterval(() => {
      if (!this.purging) void this.purgeDeletedWebhooks();
    }, WEBHOOK_PURGE_INTERVAL_MS);
    this.purgeTimer.unref();
    void this.sweepAll();
    void this.purgeDeletedWebhooks();
  }

  /** Timers stop; before pools close (PlatformModule closes them on application shutdown), a purge pass in progress finishes. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.purgeTimer);
    await this.purging;
  }

  /** One pass over deleted webhooks' tombstones, after any pass still running (passes never overlap). */
  purgeDeletedWebhooks(now = new Date()): Promise<PurgeResult> {
    const pass = (this.purging ?? Promise.resolve()).then(() => this.runPurge(now));
    this.purging = pass;
    void pass.finally(() => {
      if (this.purging === pass) this.purging = undefined;
    });
    return pass;
  }

  private async runPurge(now: Date): Promise<PurgeResult> {
    try {
      const result = await this.webhooks.purgeDeleted(now, { graceMs: WEBHOOK_PURGE_GRACE_MS });
      if (result.messages + result.logs + result.webhooks > 0) this.logger.info({ ...result }, 'history of deleted webhooks purged');
      return result;
    } catch (err) {
      this.logger.warn({ err: { message: (err as Error).message } }, 'deleted webhooks: history purge failed; retried in a minute');
      return { webhooks: 0, messages: 0, logs: 0 };
    }
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
