import { randomUUID } from 'node:crypto';
import { Client } from 'pg';

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
    const eventId = randomUUID();
    await db.query('BEGIN');
    try {
      const webhook = await db.query<{ id: string }>(
        `INSERT INTO business.webhooks (tenant_id, event_type, webhook_url, retry_config, secret_encrypted)
         VALUES ($1, 'conversation_started', 'http://127.0.0.1:9/hook', '{"max_retries":0,"backoff":"fixed"}', 'x') RETURNING id`,
        [tenantId],
      );
      await db.query(
        `INSERT INTO business.webhook_events (id, tenant_id, event_type, envelope, occurred_at) VALUES ($1, $2, 'conversation_started', '{}', now())`,
        [eventId, tenantId],
      );
      const message = await db.query<{ id: string }>(
        `INSERT INTO business.webhook_messages (tenant_id, webhook_id, event_id) VALUES ($1, $2, $3) RETURNING id`,
        [tenantId, webhook.rows[0]!.id, eventId],
      );
      // The same columns DeliveryResultWriter sets.
      await db.query(
        `UPDATE business.webhook_messages SET status = 'delivered', attempts = 1, last_error = NULL, next_attempt_at = NULL,
                last_attempt_at = now(), delivered_at = now() WHERE id = $1`,
        [message.rows[0]!.id],
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
