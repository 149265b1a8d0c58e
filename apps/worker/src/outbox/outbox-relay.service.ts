import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { type EventEnvelope, OUTBOX_NOTIFY_CHANNEL, type TypedJob, jobIds, type QUEUES } from '@chatbot/events';
import { APP_CONFIG, APP_LOGGER, type AppLogger, MetricsService } from '@chatbot/platform';
import { Client } from 'pg';
import { Counter } from 'prom-client';
import { DataSource } from 'typeorm';
import type { WorkerConfig } from '../config/worker.config';
import { FanoutQueue } from '../queues/worker-queues';

/** A claim older than this is considered abandoned (its relay died) and the rows are claimed again. */
const CLAIM_LEASE_SECONDS = 30;

interface OutboxRow {
  id: string;
  tenant_id: string;
  event_type: EventEnvelope['type'];
  payload: EventEnvelope['data'];
  occurred_at: Date;
}

/**
 * Publishes outbox rows to the fan-out queue. Rows are claimed with FOR UPDATE SKIP LOCKED under a short lease (several
 * relays never take the same row), enqueued with jobId = event id (a replayed row is not enqueued twice), then marked
 * published: if Redis is down the lease is released and the rows wait; if the relay dies, the lease expires and the
 * rows are claimed again. Woken by LISTEN/NOTIFY; polls as a fallback.
 */
@Injectable()
export class OutboxRelayService implements OnApplicationBootstrap, OnApplicationShutdown {
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

  async onApplicationShutdown(): Promise<void> {
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

  /**
   * Two statements per batch: claim-and-lease (UPDATE ... RETURNING over FOR UPDATE SKIP LOCKED), then mark published
   * once the fan-out jobs are in Redis. If Redis refuses, the lease is released at once and the rows wait.
   */
  private async publishBatch(): Promise<number> {
    // TypeORM answers an UPDATE ... RETURNING with [rows, affectedCount].
    const [rows] = await this.dataSource.query<[OutboxRow[], number]>(
      `UPDATE events.outbox o SET claimed_until = now() + make_interval(secs => $2), attempts = o.attempts + 1
         FROM (SELECT id FROM events.outbox
                WHERE published_at IS NULL AND (claimed_until IS NULL OR claimed_until < now())
                ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED) c
        WHERE o.id = c.id
        RETURNING o.id, o.tenant_id, o.event_type, o.payload, o.occurred_at`,
      [this.config.OUTBOX_BATCH_SIZE, CLAIM_LEASE_SECONDS],
    );
    if (rows.length === 0) return 0;
    const ids = rows.map((r) => r.id);
    try {
      const jobs: TypedJob<typeof QUEUES.eventFanout>[] = rows.map((row) => ({
        name: 'fan-out',
        data: {
          event: { id: row.id, type: row.event_type, tenant_id: row.tenant_id, occurred_at: row.occurred_at.toISOString(), data: row.payload },
        },
        opts: { jobId: jobIds.fanout(row.id), attempts: 20, backoff: { type: 'exponential', delay: 1000 } },
      }));
      await this.fanout.addBulk(jobs);
    } catch (err) {
      await this.dataSource
        .query(`UPDATE events.outbox SET claimed_until = NULL, last_error = $2 WHERE id = ANY($1::uuid[])`, [ids, (err as Error).message.slice(0, 500)])
        .catch(() => undefined);
      throw err;
    }
    await this.dataSource.query(`UPDATE events.outbox SET published_at = now(), claimed_until = NULL, last_error = NULL WHERE id = ANY($1::uuid[])`, [ids]);
    this.published.inc(rows.length);
    return rows.length;
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
