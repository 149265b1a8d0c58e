import { Inject, Injectable, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import { type EventEnvelope, OUTBOX_NOTIFY_CHANNEL, type TypedJob, jobIds, type QUEUES } from '@chatbot/events';
import { APP_CONFIG, APP_LOGGER, type AppLogger, MetricsService } from '@chatbot/platform';
import { Client } from 'pg';
import { Counter } from 'prom-client';
import { DataSource } from 'typeorm';
import type { WorkerConfig } from '../config/worker.config';
import { FanoutQueue } from '../queues/worker-queues';

interface OutboxRow {
  id: string;
  tenant_id: string;
  event_type: EventEnvelope['type'];
  payload: EventEnvelope['data'];
  occurred_at: Date;
}

/**
 * Publishes outbox rows to the fan-out queue. Rows are claimed with FOR UPDATE SKIP LOCKED (several relays never
 * take the same row), enqueued with jobId = event id (a replayed row is not enqueued twice), and marked published in
 * the same transaction: if Redis is down the transaction rolls back and the rows wait. Woken by LISTEN/NOTIFY; polls
 * as a fallback.
 */
@Injectable()
export class OutboxRelayService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private listener: Client | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private lastError = 0;
  private readonly published: Counter;

  constructor(
    private readonly dataSource: DataSource,
    private readonly fanout: FanoutQueue,
    @Inject(APP_CONFIG) private readonly config: WorkerConfig,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
    metrics: MetricsService,
  ) {
    this.published = new Counter({ name: 'outbox_events_published_total', help: 'Outbox events handed to the fan-out queue', registers: [metrics.registry] });
  }

  onApplicationBootstrap(): void {
    void this.listen();
    this.pollTimer = setInterval(() => this.wake(), this.config.OUTBOX_POLL_INTERVAL_MS);
    this.wake();
  }

  /** Before pools close (PlatformModule closes them on application shutdown): finish in-flight work first. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.pollTimer);
    await this.draining;
    await this.listener?.end().catch(() => undefined);
  }

  /** Runs a drain now, or once more after the current one. */
  wake(): void {
    if (this.stopped) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      let claimed: number;
      try {
        claimed = await this.publishBatch();
      } catch (err) {
        if (Date.now() - this.lastError > 10_000) {
          this.logger.warn({ err: { message: (err as Error).message } }, 'outbox relay: publish failed; rows stay unpublished and are retried');
          this.lastError = Date.now();
        }
        return;
      }
      if (claimed < this.config.OUTBOX_BATCH_SIZE) return;
    }
  }

  private async publishBatch(): Promise<number> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      const rows = (await runner.query(
        `SELECT id, tenant_id, event_type, payload, occurred_at FROM events.outbox
          WHERE published_at IS NULL ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [this.config.OUTBOX_BATCH_SIZE],
      )) as OutboxRow[];
      if (rows.length === 0) {
        await runner.commitTransaction();
        return 0;
      }
      const jobs: TypedJob<typeof QUEUES.eventFanout>[] = rows.map((row) => ({
        name: 'fan-out',
        data: {
          event: { id: row.id, type: row.event_type, tenant_id: row.tenant_id, occurred_at: row.occurred_at.toISOString(), data: row.payload },
        },
        opts: { jobId: jobIds.fanout(row.id), attempts: 20, backoff: { type: 'exponential', delay: 1000 } },
      }));
      try {
        await this.fanout.addBulk(jobs);
      } catch (err) {
        await runner.rollbackTransaction();
        await this.dataSource
          .query(`UPDATE events.outbox SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1::uuid[])`, [
            rows.map((r) => r.id),
            (err as Error).message.slice(0, 500),
          ])
          .catch(() => undefined);
        throw err;
      }
      await runner.query(`UPDATE events.outbox SET published_at = now(), attempts = attempts + 1 WHERE id = ANY($1::uuid[])`, [rows.map((r) => r.id)]);
      await runner.commitTransaction();
      this.published.inc(rows.length);
      return rows.length;
    } catch (err) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw err;
    } finally {
      await runner.release();
    }
  }

  /** A dedicated connection for LISTEN; reconnects with backoff (polling covers the gap). */
  private async listen(delayMs = 500): Promise<void> {
    if (this.stopped) return;
    const client = new Client({ connectionString: this.config.DATABASE_URL, application_name: 'worker:outbox-listen' });
    client.on('notification', () => this.wake());
    client.on('error', () => undefined);
    client.on('end', () => {
      if (this.listener === client && !this.stopped) {
        this.listener = undefined;
        setTimeout(() => void this.listen(), delayMs).unref();
      }
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_NOTIFY_CHANNEL}`);
      this.listener = client;
      this.wake();
    } catch {
      await client.end().catch(() => undefined);
      setTimeout(() => void this.listen(Math.min(delayMs * 2, 10_000)), delayMs).unref();
    }
  }
}
