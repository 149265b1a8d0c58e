import { Inject, Injectable, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import { type EventEnvelope, OUTBOX_NOTIFY_CHANNEL, type TypedJob, jobIds, type QUEUES } from '@chatbot/events';
import { APP_CONFIG, APP_LOGGER, type AppLogger, MetricsService } from '@chatbot/platform';
import { pgPool } from '@chatbot/webhooks';
import type { PoolClient, QueryResult } from 'pg';
import { Counter } from 'prom-client';
import { DataSource } from 'typeorm';
import type { WorkerConfig } from '../config/worker.config';
import { ThrottledWarning } from '../logging/throttled-warning';
import { PgListener } from '../notifications/pg-listener';
import { FanoutQueue } from '../queues/worker-queues';
import { EagerFanout } from '../webhooks/eager-fanout';

interface OutboxRow {
  id: string;
  tenant_id: string;
  event_type: EventEnvelope['type'];
  payload: EventEnvelope['data'];
  occurred_at: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Publishes outbox rows to the fan-out queue. Rows are claimed with FOR UPDATE SKIP LOCKED (several relays never
 * take the same row), enqueued with jobId = event id (a replayed row is not enqueued twice), and marked published in
 * the same transaction: if Redis is down the transaction rolls back and the rows wait. Woken by LISTEN/NOTIFY (the
 * worker's shared PgListener); polls as a fallback. Once published, up to FANOUT_EAGER_LIMIT events are fanned out
 * by this process at once, their jobs delayed meanwhile as a safety net (EagerFanout).
 */
@Injectable()
export class OutboxRelayService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private pollTimer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly warning: ThrottledWarning;
  private readonly published: Counter;

  constructor(
    private readonly dataSource: DataSource,
    private readonly fanout: FanoutQueue,
    private readonly eager: EagerFanout,
    @Inject(APP_CONFIG) private readonly config: WorkerConfig,
    @Inject(APP_LOGGER) logger: AppLogger,
    metrics: MetricsService,
    listener: PgListener,
  ) {
    this.warning = new ThrottledWarning(logger);
    listener.subscribe(OUTBOX_NOTIFY_CHANNEL, () => this.wake());
    // Rows committed while nobody listened raised no wake-up: look once the connection (re)starts listening.
    listener.onListening(() => this.wake());
    this.published = new Counter({ name: 'outbox_events_published_total', help: 'Outbox events handed to the fan-out queue', registers: [metrics.registry] });
  }

  onApplicationBootstrap(): void {
    this.pollTimer = setInterval(() => this.wake(), this.config.OUTBOX_POLL_INTERVAL_MS);
    this.wake();
  }

  /** Before pools close (PlatformModule closes them on application shutdown): finish in-flight work first. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.pollTimer);
    await this.draining;
    await this.eager.idle();
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
      const limit = this.eager.claimLimit(this.config.OUTBOX_BATCH_SIZE);
      if (limit === 0) {
        await this.eager.room();
        continue;
      }
      let claimed: number;
      try {
        claimed = await this.publishBatch(limit);
      } catch (err) {
        this.warning.warn('outbox relay: publish failed; rows stay unpublished and are retried', err);
        return;
      }
      if (claimed < limit) return;
    }
  }

  /**
   * One claim: `BEGIN; SELECT ... FOR UPDATE SKIP LOCKED` in one round trip, addBulk, then `UPDATE ...; COMMIT` in
   * another (simple-protocol multi-statement queries on one pooled connection; the ids are uuids read from the
   * uuid column, so they are inlined safely). Rows stay locked until the commit, exactly as with four statements.
   *
   * Two transaction-local settings, both measured on the bench (see bench/RESULTS.md):
   * - `enable_bitmapscan = off`: every published row leaves a dead entry in the partial "unpublished" index until
   *   vacuum. A bitmap scan (what the planner picks for the small LIMIT estimate) visits every one of them and its
   *   heap page on every claim, a cost that grows with the table (0.5-1.5 ms per claim after a few thousand events,
   *   i.e. per event at low rates). An ordered index scan marks them dead on first sight (kill_prior_tuple) and
   *   skips them afterwards (0.05 ms), and needs no sort.
   * - `synchronous_commit = off`: marking rows published need not wait for the WAL flush. If Postgres crashed before
   *   the flush, the rows would simply be published again: the fan-out job id is the event id (BullMQ ignores the
   *   duplicate add while that job is queued), and fan-out and delivery are idempotent after it completed (Postgres
   *   state decides, see `defaultJobOptions`): at-least-once holds, and nothing is lost, because the job was already
   *   in Redis. The relay drains serially, so the flush wait was latency for every later event.
   */
  private async publishBatch(limit: number): Promise<number> {
    const client = await pgPool(this.dataSource).connect();
    let broken = false;
    try {
      const claimed = (await client.query(
        `BEGIN; SET LOCAL enable_bitmapscan = off; SET LOCAL synchronous_commit = off;
         SELECT id, tenant_id, event_type, payload, occurred_at FROM events.outbox
          WHERE published_at IS NULL ORDER BY created_at LIMIT ${limit} FOR UPDATE SKIP LOCKED`,
      )) as unknown as [QueryResult, QueryResult, QueryResult, QueryResult<OutboxRow>];
      const rows = claimed[3].rows;
      if (rows.length === 0) {
        await client.query('COMMIT');
        return 0;
      }
      const ids = rows.map((row) => {
        if (!UUID.test(row.id)) throw new Error(`outbox row id is not a uuid: ${row.id}`);
        return row.id;
      });
      const events: EventEnvelope[] = rows.map((row) => ({
        id: row.id,
        type: row.event_type,
        tenant_id: row.tenant_id,
        occurred_at: row.occurred_at.toISOString(),
        data: row.payload,
      }));
      // The first `eager` events are fanned out by this process right after the commit; their jobs wait meanwhile.
      const eager = this.eager.reserve(events.length);
      const jobs: TypedJob<typeof QUEUES.eventFanout>[] = events.map((event, i) => ({
        name: 'fan-out',
        data: { event },
        opts: {
          jobId: jobIds.fanout(event.id),
          attempts: 20,
          backoff: { type: 'exponential', delay: 1000 },
          ...(i < eager ? { delay: this.eager.leaseMs } : {}),
        },
      }));
      try {
        await this.publish(client, ids, jobs);
      } catch (err) {
        this.eager.release(eager);
        throw err;
      }
      this.eager.start(events.slice(0, eager));
      this.published.inc(rows.length);
      return rows.length;
    } catch (err) {
      // Roll back whatever is open; a connection that cannot even do that is discarded, not returned to the pool.
      await client.query('ROLLBACK').catch(() => (broken = true));
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /** Adds the jobs, then marks the rows published and commits; if Redis refuses the jobs, rolls back (rows wait). */
  private async publish(client: PoolClient, ids: readonly string[], jobs: readonly TypedJob<typeof QUEUES.eventFanout>[]): Promise<void> {
    try {
      await this.fanout.addBulk(jobs);
    } catch (err) {
      await client.query('ROLLBACK');
      await client
        .query(`UPDATE events.outbox SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1::uuid[])`, [ids, (err as Error).message.slice(0, 500)])
        .catch(() => undefined);
      throw err;
    }
    await client.query(`UPDATE events.outbox SET published_at = now(), attempts = attempts + 1 WHERE id = ANY('{${ids.join(',')}}'::uuid[]); COMMIT`);
  }
}
