import { type BeforeApplicationShutdown, Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, APP_LOGGER, type AppLogger } from '@chatbot/platform';
import { DataSource } from 'typeorm';
import { type KbJobTarget, KbIngestionQueue } from '@chatbot/kb';
import type { WorkerConfig } from '../config/worker.config';

/** Due documents claimed per statement (a larger backlog is worked off over consecutive scans). */
const BATCH = 200;
/** A `pending` document untouched this long has no job (Redis was down when it was added, or its job was lost). */
const PENDING_GRACE = '30 seconds';

interface TargetRow {
  id: string;
  tenant_id: string;
  agent_id: string;
  version: number;
}

/**
 * Re-ingests url and sitemap sources whose `refreshRate` period has passed, and re-enqueues documents left `pending`
 * without a job. State lives in Postgres only (`next_refresh_at`), so a restart loses nothing: every
 * KB_REFRESH_SCAN_INTERVAL_MS the due rows are claimed with `FOR UPDATE SKIP LOCKED` (several replicas never take the
 * same rows), their next refresh time is pushed a period ahead, and `refresh` jobs are enqueued in the same
 * transaction (if Redis refuses, the claim rolls back and the next scan tries again). Job ids are `documentId.version`,
 * so a document is never queued twice for one version. A refresh with unchanged content (same hash) changes nothing.
 */
@Injectable()
export class KbRefreshScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly queue: KbIngestionQueue,
    @Inject(APP_CONFIG) private readonly config: WorkerConfig,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), this.config.KB_REFRESH_SCAN_INTERVAL_MS);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    this.running = this.scan()
      .then(() => undefined)
      .catch((err: Error) => this.logger.warn({ err: { message: err.message } }, 'kb refresh scan failed; retrying at the next interval'))
      .finally(() => {
        this.running = null;
      });
    await this.running;
  }

  /** One scan: refreshes due sources, re-enqueues orphaned pending documents. Returns how many jobs it enqueued. */
  async scan(): Promise<{ refreshed: number; requeued: number }> {
    const refreshed = await this.dataSource.transaction(async (manager) => {
      const rows = await manager.query<TargetRow[]>(
        `WITH due AS (
           SELECT id FROM agents.kb_documents
           WHERE refresh_rate <> 'never' AND next_refresh_at IS NOT NULL AND next_refresh_at <= now()
             AND status IN ('ready', 'failed')
           ORDER BY next_refresh_at
           LIMIT $1
           FOR UPDATE SKIP LOCKED
         ),
         claimed AS (
           UPDATE agents.kb_documents d
           SET next_refresh_at = now() + CASE d.refresh_rate WHEN '6h' THEN interval '6 hours' WHEN '12h' THEN interval '12 hours'
                                                            ELSE interval '24 hours' END
           FROM due WHERE d.id = due.id
           RETURNING d.id, d.tenant_id, d.agent_id, d.version
         )
         SELECT id, tenant_id, agent_id, version FROM claimed`,
        [BATCH],
      );
      await this.queue.enqueue('refresh', rows.map(toTarget));
      return rows.length;
    });
    const pending = await this.dataSource.query<TargetRow[]>(
      `SELECT id, tenant_id, agent_id, version FROM agents.kb_documents
       WHERE status = 'pending' AND source_type <> 'text' AND updated_at < now() - interval '${PENDING_GRACE}'
       ORDER BY updated_at LIMIT $1`,
      [BATCH],
    );
    await this.queue.enqueue('ingest', pending.map(toTarget));
    if (refreshed + pending.length > 0) this.logger.info({ refreshed, requeued: pending.length }, 'kb refresh scan enqueued jobs');
    return { refreshed, requeued: pending.length };
  }
}

function toTarget(row: TargetRow): KbJobTarget {
  return { id: row.id, tenantId: row.tenant_id, agentId: row.agent_id, version: row.version };
}
