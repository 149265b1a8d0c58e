import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { createDataSource, dropDatabase, ensureDatabase, runMigrations, withDatabase } from '@chatbot/database';
import type { DataSource, MigrationInterface } from 'typeorm';
import { WebhookWritePathIndexes1763700015000 } from '../src/database/migrations/1763700015000-webhook-write-path-indexes';
import { WebhookHistoryRetention1763700017000 } from '../src/database/migrations/1763700017000-webhook-history-retention';
import { WebhookDeletionPurge1763700018000 } from '../src/database/migrations/1763700018000-webhook-deletion-purge';
import { WebhookChangeNotify1763700019000 } from '../src/database/migrations/1763700019000-webhook-change-notify';
import { WEBHOOK_CHANGED_CHANNEL } from '@chatbot/webhooks';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { loadMigrationSets } = require('../../../scripts/migration-sets') as { loadMigrationSets: () => Parameters<typeof runMigrations>[1] };

/** A minimal webhook row of `tenantId` (the tables' foreign keys need one); its id. */
async function insertWebhook(db: Client, tenantId: string): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO business.webhooks (tenant_id, event_type, webhook_url, retry_config, secret_encrypted)
     VALUES ($1, 'conversation_started', 'http://127.0.0.1:9/hook', '{"max_retries":0,"backoff":"fixed"}', 'x') RETURNING id`,
    [tenantId],
  );
  return rows[0]!.id;
}

/** One event of `tenantId`, with one message to `webhookId` and one delivery log row of it; their ids. */
async function insertHistory(db: Client, tenantId: string, webhookId: string): Promise<{ eventId: string; messageId: string; logId: string }> {
  const eventId = randomUUID();
  await db.query(
    `INSERT INTO business.webhook_events (id, tenant_id, event_type, envelope, occurred_at) VALUES ($1, $2, 'conversation_started', '{}', now())`,
    [eventId, tenantId],
  );
  const message = await db.query<{ id: string }>(
    `INSERT INTO business.webhook_messages (tenant_id, webhook_id, event_id) VALUES ($1, $2, $3) RETURNING id`,
    [tenantId, webhookId, eventId],
  );
  const log = await db.query<{ id: string }>(
    `INSERT INTO business.webhook_delivery_logs (tenant_id, webhook_id, message_id, event_id, event_type, attempt, request_url, duration_ms, success)
     VALUES ($1, $2, $3, $4, 'conversation_started', 1, 'http://127.0.0.1:9/hook', 1, true) RETURNING id`,
    [tenantId, webhookId, message.rows[0]!.id, eventId],
  );
  return { eventId, messageId: message.rows[0]!.id, logId: log.rows[0]!.id };
}

/** The business schema's constraints, indexes and tables: 'constraint <name>' / 'index <name>' / 'table <name>' → definition. */
async function businessSchemaState(db: Client): Promise<Record<string, string>> {
  const { rows } = await db.query<{ name: string; def: string }>(
    `SELECT 'constraint ' || conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE connamespace = 'business'::regnamespace
     UNION ALL
     SELECT 'index ' || indexname, indexdef FROM pg_indexes WHERE schemaname = 'business'
     UNION ALL
     SELECT 'table ' || tablename, tablename FROM pg_tables WHERE schemaname = 'business'`,
  );
  return Object.fromEntries(rows.map((row) => [row.name, row.def]));
}

/**
 * `down` in a transaction (as TypeORM reverts), then `checkDown`, then `up` twice (idempotent): each `up` must return
 * `state` to `migrated`.
 */
async function downThenUpTwice(
  source: DataSource,
  migration: MigrationInterface,
  { state, migrated, checkDown }: { state: () => Promise<unknown>; migrated: unknown; checkDown: () => Promise<void> },
): Promise<void> {
  const runner = source.createQueryRunner();
  try {
    await runner.startTransaction();
    await migration.down(runner);
    await runner.commitTransaction();
    await checkDown();
    for (let i = 0; i < 2; i++) {
      await migration.up(runner);
      expect(await state()).toEqual(migrated);
    }
  } finally {
    await runner.release();
  }
}

/**
 * A database of the describe block's own, migrated in beforeAll and dropped in afterAll, for migration specs that drop
 * and create indexes the other suites' shared database must not see.
 */
function ownMigratedDatabase(applicationName: string): { readonly db: Client; readonly source: DataSource; readonly url: string } {
  const url = withDatabase(process.env['DATABASE_URL']!, `chatbot_test_mig_${randomBytes(4).toString('hex')}`);
  const source = createDataSource({ url, poolSize: 1, applicationName });
  let db: Client | undefined;
  beforeAll(async () => {
    await ensureDatabase(url);
    await runMigrations(url, loadMigrationSets());
    await source.initialize();
    db = new Client({ connectionString: url });
    await db.connect();
  }, 60_000);
  afterAll(async () => {
    await db?.end();
    if (source.isInitialized) await source.destroy();
    await dropDatabase(url);
  });
  return {
    get db(): Client {
      if (!db) throw new Error('the database is ready in beforeAll');
      return db;
    },
    source,
    url,
  };
}

/**
 * The webhook tables' indexes, as migrated (real Postgres): what the hot write path relies on
 * (migration 1763700015000, measured in bench/RESULTS.md).
 */
describe('business-api: webhook tables (real Postgres)', () => {
  let db: Client;

  beforeAll(async () => {
    db = new Client({ connectionString: process.env['DATABASE_URL'] });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
  });

  /** The table's index definitions (`pg_indexes.indexdef`). */
  const indexes = async (table: string): Promise<string[]> =>
    (await db.query<{ def: string }>(`SELECT indexdef AS def FROM pg_indexes WHERE schemaname = 'business' AND tablename = $1`, [table])).rows.map(
      (row) => row.def,
    );

  it.each(['webhooks', 'webhook_events', 'webhook_messages', 'webhook_delivery_logs'])('%s: an index is led by tenant_id', async (table) => {
    const defs = await indexes(table);
    expect(defs.some((def) => /USING btree \(tenant_id[,)]/.test(def))).toBe(true);
  });

  it('marking a message delivered is a HOT update (no indexed column changes), and fillfactor leaves room for it', async () => {
    const defs = await indexes('webhook_messages');
    expect(defs.filter((def) => /\bstatus\b/.test(def))).toEqual([]);
    const { rows: options } = await db.query<{ reloptions: string[] | null }>(
      `SELECT reloptions FROM pg_class WHERE oid = 'business.webhook_messages'::regclass`,
    );
    expect(options[0]!.reloptions).toContain('fillfactor=70');

    const tenantId = randomUUID();
    await db.query('BEGIN');
    try {
      const webhookId = await insertWebhook(db, tenantId);
      // Counted per table: the history's log row does not touch the messages' statistics.
      const { messageId } = await insertHistory(db, tenantId, webhookId);
      // The same columns DeliveryResultWriter sets.
      await db.query(
        `UPDATE business.webhook_messages SET status = 'delivered', attempts = 1, last_error = NULL, next_attempt_at = NULL,
                last_attempt_at = now(), delivered_at = now() WHERE id = $1`,
        [messageId],
      );
      const { rows } = await db.query<{ upd: string; hot: string }>(
        `SELECT n_tup_upd AS upd, n_tup_hot_upd AS hot FROM pg_stat_xact_user_tables WHERE relid = 'business.webhook_messages'::regclass`,
      );
      expect(rows[0]).toEqual({ upd: '1', hot: '1' });
    } finally {
      await db.query('ROLLBACK');
    }
  });

  it('the logs listing is served by one index in its order; the retention sweep has a BRIN index on created_at', async () => {
    const defs = await indexes('webhook_delivery_logs');
    expect(defs).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/USING btree \(tenant_id, webhook_id, created_at DESC\)/),
        expect.stringMatching(/USING brin \(created_at\)/),
      ]),
    );
    expect(defs).toHaveLength(3); // with the primary key: nothing else to maintain per row
  });
});

/**
 * Migration 1763700015000 builds its indexes CONCURRENTLY (outside a transaction), so a run can stop half-way; the next
 * run must finish it, including over the INVALID index a failed concurrent build leaves behind. Own database: the
 * migration drops and creates indexes, which the other suites' shared database must not see.
 */
describe('business-api: migration 1763700015000 resumes a half-done run (real Postgres)', () => {
  const migration = new WebhookWritePathIndexes1763700015000();
  const own = ownMigratedDatabase('test-migration-resume');

  /** name → [valid, definition] of the business schema's indexes on the two tables the migration changes. */
  const indexState = async (): Promise<Record<string, [boolean, string]>> => {
    const { rows } = await own.db.query<{ name: string; valid: boolean; def: string }>(
      `SELECT c.relname AS name, i.indisvalid AS valid, pg_get_indexdef(i.indexrelid) AS def
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid IN ('business.webhook_messages'::regclass, 'business.webhook_delivery_logs'::regclass)`,
    );
    return Object.fromEntries(rows.map((row) => [row.name, [row.valid, row.def]]));
  };

  it('after a failed concurrent build, the next run drops the INVALID leftover and ends where a clean run does; a third run changes nothing', async () => {
    const migrated = await indexState();
    expect(Object.values(migrated).every(([valid]) => valid)).toBe(true);

    // Back to the schema before the migration (as TypeORM reverts: in a transaction).
    const runner = own.source.createQueryRunner();
    try {
      await runner.startTransaction();
      await migration.down(runner);
      await runner.commitTransaction();

      // A half-done run: the messages part went through; the logs index build failed (here: an expression that
      // divides by zero on the row below), which leaves an INVALID index under the name the migration builds.
      await own.db.query(`CREATE INDEX CONCURRENTLY webhook_messages_tenant_webhook_idx ON business.webhook_messages (tenant_id, webhook_id, created_at)`);
      await own.db.query(`DROP INDEX CONCURRENTLY business.webhook_messages_tenant_id_idx`);
      const tenantId = randomUUID();
      const eventId = randomUUID();
      const webhookId = await insertWebhook(own.db, tenantId);
      await own.db.query(
        `INSERT INTO business.webhook_delivery_logs (tenant_id, webhook_id, event_id, event_type, attempt, request_url, duration_ms, success)
         VALUES ($1, $2, $3, 'conversation_started', 1, 'http://127.0.0.1:9/hook', 1, true)`,
        [tenantId, webhookId, eventId],
      );
      await expect(
        own.db.query(`CREATE INDEX CONCURRENTLY webhook_delivery_logs_tenant_webhook_idx ON business.webhook_delivery_logs ((1 / (attempt - attempt)))`),
      ).rejects.toThrow(/division by zero/);
      const halfDone = await indexState();
      expect(halfDone['webhook_delivery_logs_tenant_webhook_idx']?.[0]).toBe(false);
      expect(halfDone['webhook_messages_recover_idx']?.[0]).toBe(true);

      await migration.up(runner);
      expect(await indexState()).toEqual(migrated);
      await migration.up(runner);
      expect(await indexState()).toEqual(migrated);
    } finally {
      await runner.release();
    }
  });
});

/**
 * Migration 1763700017000 drops the log → message key; `down` must bring it back even after messages were deleted
 * under logs that still name them (event retention), and `up` must then return to the migrated state. Own database.
 */
describe('business-api: migration 1763700017000 goes down over dangling log references and up again (real Postgres)', () => {
  const migration = new WebhookHistoryRetention1763700017000();
  const own = ownMigratedDatabase('test-migration-17000');

  const schemaState = () => businessSchemaState(own.db);

  it('down clears the dangling message_id and restores the key and the old uniqueness; up returns to the migrated state', async () => {
    const migrated = await schemaState();
    expect(migrated['constraint webhook_delivery_logs_message_id_fkey']).toBeUndefined();
    expect(migrated['index webhook_messages_event_webhook_key']).toMatch(/UNIQUE INDEX .* \(event_id, webhook_id\)/);

    const tenantId = randomUUID();
    const { eventId, messageId, logId } = await insertHistory(own.db, tenantId, await insertWebhook(own.db, tenantId));
    await own.db.query(`DELETE FROM business.webhook_events WHERE id = $1`, [eventId]); // as the retention sweep does
    const messageIdOfLog = async () =>
      (await own.db.query<{ message_id: string | null }>(`SELECT message_id FROM business.webhook_delivery_logs WHERE id = $1`, [logId])).rows[0]!
        .message_id;
    expect(await messageIdOfLog()).toBe(messageId); // dangling: no key to clear it

    await downThenUpTwice(own.source, migration, {
      state: schemaState,
      migrated,
      checkDown: async () => {
        const down = await schemaState();
        expect(down['constraint webhook_delivery_logs_message_id_fkey']).toMatch(/FOREIGN KEY \(message_id\) .* ON DELETE SET NULL/);
        expect(down['constraint webhook_messages_webhook_id_event_id_key']).toBe('UNIQUE (webhook_id, event_id)');
        expect(down['index webhook_messages_event_webhook_key']).toBeUndefined();
        expect(await messageIdOfLog()).toBeNull();
      },
    });
  });
});

/**
 * Migration 1763700018000 drops the message → webhook and log → webhook keys (deleted webhooks' history is purged by
 * the worker from tombstones). `down` must first remove the history of webhooks that no longer exist, which the
 * restored cascades would have removed, then bring the keys back; `up` must return to the migrated state. Own database.
 */
describe('business-api: migration 1763700018000 goes down over a deleted webhook\'s history and up again (real Postgres)', () => {
  const migration = new WebhookDeletionPurge1763700018000();
  const own = ownMigratedDatabase('test-migration-18000');

  const schemaState = () => businessSchemaState(own.db);
  /** A webhook with one event, one message and one log row. */
  const webhookWithHistory = async (tenantId: string): Promise<string> => {
    const webhookId = await insertWebhook(own.db, tenantId);
    await insertHistory(own.db, tenantId, webhookId);
    return webhookId;
  };
  const historyOf = async (webhookId: string): Promise<number[]> => {
    const { rows } = await own.db.query<{ messages: number; logs: number }>(
      `SELECT (SELECT count(*)::int FROM business.webhook_messages WHERE webhook_id = $1) AS messages,
              (SELECT count(*)::int FROM business.webhook_delivery_logs WHERE webhook_id = $1) AS logs`,
      [webhookId],
    );
    return [rows[0]!.messages, rows[0]!.logs];
  };

  it('down removes the history of deleted webhooks and restores the cascading keys; up returns to the migrated state', async () => {
    const migrated = await schemaState();
    expect(migrated['constraint webhook_messages_webhook_id_fkey']).toBeUndefined();
    expect(migrated['constraint webhook_delivery_logs_webhook_id_fkey']).toBeUndefined();
    expect(migrated['constraint webhook_purges_pkey']).toBe('PRIMARY KEY (tenant_id, webhook_id)');

    const tenantId = randomUUID();
    const kept = await webhookWithHistory(tenantId);
    const deleted = await webhookWithHistory(tenantId);
    await own.db.query(`DELETE FROM business.webhooks WHERE id = $1`, [deleted]); // no key: its history stays behind
    expect(await historyOf(deleted)).toEqual([1, 1]);

    await downThenUpTwice(own.source, migration, {
      state: schemaState,
      migrated,
      checkDown: async () => {
        const down = await schemaState();
        expect(down['constraint webhook_messages_webhook_id_fkey']).toMatch(/FOREIGN KEY \(webhook_id\) REFERENCES business\.webhooks\(id\) ON DELETE CASCADE/);
        expect(down['constraint webhook_delivery_logs_webhook_id_fkey']).toMatch(/FOREIGN KEY \(webhook_id\) REFERENCES business\.webhooks\(id\) ON DELETE CASCADE/);
        expect(down['table webhook_purges']).toBeUndefined();
        expect(await historyOf(deleted)).toEqual([0, 0]);
        expect(await historyOf(kept)).toEqual([1, 1]);
      },
    });
    expect(await historyOf(kept)).toEqual([1, 1]);
  });
});

/**
 * Migration 1763700019000: a trigger notifies WEBHOOK_CHANGED_CHANNEL with the webhook's id when a webhook's delivery
 * settings change or it is deleted (the worker's delivery handoff drops what it holds of that webhook). Own database.
 */
describe('business-api: webhook change notifications (migration 1763700019000, real Postgres)', () => {
  const migration = new WebhookChangeNotify1763700019000();
  const own = ownMigratedDatabase('test-migration-19000');
  let listener: Client;
  const received: string[] = [];

  beforeAll(async () => {
    listener = new Client({ connectionString: own.url });
    await listener.connect();
    listener.on('notification', (msg) => received.push(msg.payload ?? ''));
    listener.on('error', () => undefined); // the database's own afterAll may drop it (and this connection) first
    await listener.query(`LISTEN ${WEBHOOK_CHANGED_CHANNEL}`);
  });

  afterAll(async () => {
    await listener?.end();
  });

  /**
   * Runs `sql` (`$1` = webhook id; with no `$1`, sent as a simple query that may hold several statements), then
   * notifies a marker from the same connection: notifications arrive in commit order, so once the marker is here,
   * whatever the statement raised is here too. What it raised.
   */
  const notifiedBy = async (sql: string, webhookId: string): Promise<string[]> => {
    received.length = 0;
    await own.db.query(sql, sql.includes('$1') ? [webhookId] : []);
    const marker = `marker-${randomUUID()}`;
    await own.db.query(`SELECT pg_notify($1, $2)`, [WEBHOOK_CHANGED_CHANNEL, marker]);
    for (let i = 0; i < 200 && !received.includes(marker); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(received).toContain(marker);
    return received.filter((payload) => payload !== marker);
  };

  it('a change to what a delivery uses, or a delete, notifies the id; creation, failure bookkeeping and no-op updates do not', async () => {
    const id = await insertWebhook(own.db, randomUUID());
    expect(await notifiedBy(`SELECT $1::uuid`, id)).toEqual([]); // the insert itself raised nothing

    for (const change of [
      `UPDATE business.webhooks SET webhook_url = 'http://127.0.0.1:9/other' WHERE id = $1`,
      `UPDATE business.webhooks SET http_method = 'PUT' WHERE id = $1`,
      `UPDATE business.webhooks SET headers_encrypted = 'h' WHERE id = $1`,
      `UPDATE business.webhooks SET payload_template = '{}' WHERE id = $1`,
      `UPDATE business.webhooks SET retry_config = '{"max_retries":3,"backoff":"linear"}' WHERE id = $1`,
      `UPDATE business.webhooks SET is_active = false, disabled_reason = 'x', disabled_at = now() WHERE id = $1`,
      `UPDATE business.webhooks SET previous_secret_encrypted = secret_encrypted, previous_secret_expires_at = now(), secret_encrypted = 'y' WHERE id = $1`,
      `UPDATE business.webhooks SET event_type = 'lead_captured' WHERE id = $1`,
    ]) {
      expect({ change, notified: await notifiedBy(change, id) }).toEqual({ change, notified: [id] });
    }
    for (const bookkeeping of [
      `UPDATE business.webhooks SET consecutive_failures = consecutive_failures + 1, failing_since = COALESCE(failing_since, now()) WHERE id = $1`,
      `UPDATE business.webhooks SET consecutive_failures = 0, failing_since = NULL WHERE id = $1`,
      `UPDATE business.webhooks SET updated_at = now() WHERE id = $1`,
      `UPDATE business.webhooks SET webhook_url = webhook_url, is_active = is_active WHERE id = $1`,
    ]) {
      expect({ bookkeeping, notified: await notifiedBy(bookkeeping, id) }).toEqual({ bookkeeping, notified: [] });
    }
    // Rolled back: nothing was committed, nothing is notified.
    expect(await notifiedBy(`BEGIN; UPDATE business.webhooks SET webhook_url = 'http://x' WHERE id = '${id}'; ROLLBACK`, id)).toEqual([]);
    expect(await notifiedBy(`DELETE FROM business.webhooks WHERE id = $1`, id)).toEqual([id]);
  });

  it('down removes the triggers and their function; up restores them, and may run twice', async () => {
    const triggers = async (): Promise<string[]> =>
      (
        await own.db.query<{ tgname: string }>(
          `SELECT tgname FROM pg_trigger WHERE tgrelid = 'business.webhooks'::regclass AND NOT tgisinternal ORDER BY tgname`,
        )
      ).rows.map((row) => row.tgname);
    expect(await triggers()).toEqual(['webhooks_notify_changed', 'webhooks_notify_deleted']);
    await downThenUpTwice(own.source, migration, {
      state: triggers,
      migrated: ['webhooks_notify_changed', 'webhooks_notify_deleted'],
      checkDown: async () => {
        expect(await triggers()).toEqual([]);
        const fn = await own.db.query(`SELECT 1 FROM pg_proc WHERE proname = 'notify_webhook_changed'`);
        expect(fn.rowCount).toBe(0);
        const id = await insertWebhook(own.db, randomUUID());
        expect(await notifiedBy(`UPDATE business.webhooks SET webhook_url = 'http://127.0.0.1:9/down' WHERE id = $1`, id)).toEqual([]);
      },
    });
    const id = await insertWebhook(own.db, randomUUID());
    expect(await notifiedBy(`UPDATE business.webhooks SET webhook_url = 'http://127.0.0.1:9/up' WHERE id = $1`, id)).toEqual([id]);
  });
});
