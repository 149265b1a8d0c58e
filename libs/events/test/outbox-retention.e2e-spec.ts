import { randomUUID } from 'node:crypto';
import { createDataSource, keysetSweepStatement } from '@chatbot/database';
import { EVENTS_ENTITIES, OUTBOX_SWEEP, deletePublishedOutboxRows } from '@chatbot/events';
import { type IsolatedEnvironment, isolatedEnvironment } from '@chatbot/testing';
import type { DataSource } from 'typeorm';

const HOUR_MS = 3600_000;

describe('outbox retention: deletePublishedOutboxRows (real Postgres, own database)', () => {
  let env: IsolatedEnvironment;
  let db: DataSource;

  beforeAll(async () => {
    // Its own database: no relay of another test publishes rows here, and the sweep sees only these rows.
    env = await isolatedEnvironment();
    db = await createDataSource({ url: env.env['DATABASE_URL']!, entities: EVENTS_ENTITIES }).initialize();
  });

  afterAll(async () => {
    await db?.destroy();
    await env?.drop();
  });

  beforeEach(async () => {
    await db.query('TRUNCATE events.outbox');
  });

  /** One outbox row as the relay leaves it; `publishedAt` null = not published yet. */
  const insertRow = async (createdAt: Date, publishedAt: Date | null): Promise<string> => {
    const id = randomUUID();
    await db.query(
      `INSERT INTO events.outbox (id, tenant_id, event_type, payload, occurred_at, created_at, published_at)
       VALUES ($1, $2, 'message_sent', '{}'::jsonb, $3, $3, $4)`,
      [id, randomUUID(), createdAt, publishedAt],
    );
    return id;
  };
  const remaining = async (): Promise<string[]> =>
    (await db.query<{ id: string }[]>('SELECT id FROM events.outbox ORDER BY id')).map((r) => r.id);

  it('deletes rows published before the cutoff; recent ones and unpublished ones (however old) stay', async () => {
    const now = Date.now();
    const oldPublished = await insertRow(new Date(now - 72 * HOUR_MS), new Date(now - 72 * HOUR_MS + 5));
    const recentPublished = await insertRow(new Date(now - HOUR_MS), new Date(now - HOUR_MS + 5));
    const oldUnpublished = await insertRow(new Date(now - 240 * HOUR_MS), null);
    const justBeforeCutoff = await insertRow(new Date(now - 25 * HOUR_MS), new Date(now - 24 * HOUR_MS - 1));
    const atCutoff = await insertRow(new Date(now - 25 * HOUR_MS), new Date(now - 24 * HOUR_MS));

    expect(await deletePublishedOutboxRows(db, new Date(now - 24 * HOUR_MS))).toBe(2);
    expect(await remaining()).toEqual([recentPublished, oldUnpublished, atCutoff].sort());
    expect(await remaining()).not.toContain(oldPublished);
    expect(await remaining()).not.toContain(justBeforeCutoff);
    // A second sweep with the same cutoff finds nothing.
    expect(await deletePublishedOutboxRows(db, new Date(now - 24 * HOUR_MS))).toBe(0);
  });

  it('works through a backlog in batches, oldest first, without skipping rows that share a published_at', async () => {
    const now = Date.now();
    const old: string[] = [];
    // 23 rows in 5 relay batches: rows of one batch share their published_at (the relay sets now() once per batch),
    // so batch boundaries of the sweep (4 rows) fall inside groups of equal timestamps.
    for (let group = 0; group < 5; group++) {
      const publishedAt = new Date(now - (100 - group) * HOUR_MS);
      for (let i = 0; i < (group === 4 ? 3 : 5); i++) old.push(await insertRow(new Date(publishedAt.getTime() - 10), publishedAt));
    }
    const recent = await insertRow(new Date(now - 10), new Date(now));
    const unpublished = await insertRow(new Date(now - 200 * HOUR_MS), null);

    expect(old).toHaveLength(23);
    expect(await deletePublishedOutboxRows(db, new Date(now - HOUR_MS), 4)).toBe(23);
    expect(await remaining()).toEqual([recent, unpublished].sort());
  });

  it('the sweep reads published rows through outbox_published_idx, a valid partial index', async () => {
    const [index] = await db.query<{ valid: boolean; def: string }[]>(
      `SELECT i.indisvalid AS valid, pg_get_indexdef(i.indexrelid) AS def
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'events' AND c.relname = 'outbox_published_idx'`,
    );
    expect(index?.valid).toBe(true);
    expect(index?.def).toMatch(/\(published_at\) WHERE \(published_at IS NOT NULL\)/);
    // The planner can prove the sweep's range implies the index predicate (with a sequential scan priced out: on a
    // table this small it would win on cost alone). EXPLAIN without ANALYZE: the statement the sweep runs, not run.
    const plan = await db.transaction(async (manager) => {
      await manager.query('SET LOCAL enable_seqscan = off');
      const rows = await manager.query<{ 'QUERY PLAN': string }[]>(`EXPLAIN ${keysetSweepStatement(OUTBOX_SWEEP)}`, [new Date(), null, 10]);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    expect(plan).toContain('outbox_published_idx');
  });

  it('rejects a batch size that is not a positive integer', async () => {
    await expect(deletePublishedOutboxRows(db, new Date(), 0)).rejects.toThrow(RangeError);
    await expect(deletePublishedOutboxRows(db, new Date(), 2.5)).rejects.toThrow(RangeError);
  });
});
