import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { dropDatabase, ensureDatabase, runMigrations, withDatabase } from '@chatbot/database';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { loadMigrationSets } = require('../../../scripts/migration-sets') as { loadMigrationSets: () => Parameters<typeof runMigrations>[1] };

describe('migrations (real Postgres)', () => {
  const url = withDatabase(process.env['DATABASE_URL']!, `chatbot_test_mig_${randomBytes(4).toString('hex')}`);

  afterAll(async () => {
    await dropDatabase(url);
  });

  it('creates the database once, migrates every schema, and is idempotent under concurrent runners', async () => {
    expect(await ensureDatabase(url)).toBe(true);
    expect(await ensureDatabase(url)).toBe(false);

    // Two runners at once (two pods, two `npm start`s): the advisory lock serialises them.
    const [first, second] = await Promise.all([runMigrations(url, loadMigrationSets()), runMigrations(url, loadMigrationSets())]);
    const appliedTotal = [...first, ...second].reduce((n, r) => n + r.applied.length, 0);
    const expected = loadMigrationSets().reduce((n, s) => n + s.migrations.length, 0);
    expect(appliedTotal).toBe(expected);

    const again = await runMigrations(url, loadMigrationSets());
    expect(again.every((r) => r.applied.length === 0)).toBe(true);

    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      const schemas = await client.query<{ nspname: string }>(
        `SELECT nspname FROM pg_namespace WHERE nspname IN ('tenancy','events','widget','business','agents') ORDER BY 1`,
      );
      expect(schemas.rows.map((r) => r.nspname)).toEqual(['agents', 'business', 'events', 'tenancy', 'widget']);
      const tracked = await client.query<{ count: string }>('SELECT count(*) FROM tenancy.migrations');
      const tenancySet = loadMigrationSets().find((set) => set.schema === 'tenancy');
      expect(Number(tracked.rows[0]!.count)).toBe(tenancySet!.migrations.length);
      const timestamps = await client.query<{ data_type: string }>(
        `SELECT DISTINCT data_type FROM information_schema.columns WHERE table_schema IN ('tenancy','events') AND column_name LIKE '%_at'`,
      );
      expect(timestamps.rows.map((r) => r.data_type)).toEqual(['timestamp with time zone']);
      const indexed = await client.query(`SELECT 1 FROM pg_indexes WHERE schemaname = 'tenancy' AND indexname = 'api_keys_tenant_id_idx'`);
      expect(indexed.rowCount).toBe(1);
    } finally {
      await client.end();
    }
  });
});
