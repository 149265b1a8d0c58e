import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, APP_LOGGER, type AppLogger } from '@chatbot/platform';
import { DeliveryLogRepository } from '@chatbot/webhooks';
import type { WorkerConfig } from '../config/worker.config';

const HOUR_MS = 3600_000;

/** Deletes delivery log rows older than WEBHOOK_LOG_RETENTION_DAYS, at boot and hourly. */
@Injectable()
export class LogRetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly logs: DeliveryLogRepository,
    @Inject(APP_CONFIG) private readonly config: WorkerConfig,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), HOUR_MS);
    this.timer.unref();
    void this.sweep();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async sweep(now = new Date()): Promise<number> {
    const before = new Date(now.getTime() - this.config.WEBHOOK_LOG_RETENTION_DAYS * 24 * HOUR_MS);
    try {
      const deleted = await this.logs.deleteOlderThan(before);
      if (deleted > 0) this.logger.info({ deleted, before: before.toISOString() }, 'delivery logs past retention deleted');
      return deleted;
    } catch (err) {
      this.logger.warn({ err: { message: (err as Error).message } }, 'delivery log retention sweep failed');
      return 0;
    }
  }
}
