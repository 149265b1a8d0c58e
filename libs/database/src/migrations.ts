import type { MigrationInterface } from 'typeorm';
import { createDataSource } from './data-source';

/** The migrations of one Postgres schema, owned by one app or library, tracked in `<schema>.migrations`. */
export interface MigrationSet {
  /** Postgres schema the set owns, e.g. `tenancy`, `events`, `agents`. */
  schema: string;
  migrations: (new () => MigrationInterface)[];
}

export interface MigrationRunResult {
  schema: string;
  applied: string[];
}

const MIGRATION_LOCK_KEY = 727_001;
const LOCK_POLL_MS = 200;

/**
 * Runs each set's pending migrations in order. Idempotent; a Postgres advisory lock keeps two runners (two pods,
 * two `npm start`s) from racing.
 */
export async function runMigrations(url: string, sets: readonly MigrationSet[]): Promise<MigrationRunResult[]> {
  const results: MigrationRunResult[] = [];
  const lockSource = createDataSource({ url, poolSize: 1, applicationName: 'migrate-lock' });
  await lockSource.initialize();
  const runner = lockSource.createQueryRunner();
  await runner.connect();
  try {
    // Polled, not a blocking pg_advisory_lock(): a runner blocked inside that statement holds a snapshot, and a
    // migration that builds an index CONCURRENTLY waits for every older snapshot to go away, so the runner holding
    // the lock would wait for the one waiting for it (two pods starting at once would hang). Between polls the
    // waiting runner has no transaction open.
    for (;;) {
      const [row] = (await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [MIGRATION_LOCK_KEY])) as { locked: boolean }[];
      if (row?.locked) break;
      await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
    }
    for (const set of sets) {
      const bootstrap = createDataSource({ url, poolSize: 1, applicationName: `migrate-${set.schema}` });
      await bootstrap.initialize();
      await bootstrap.query(`CREATE SCHEMA IF NOT EXISTS "${set.schema}"`);
      await bootstrap.destroy();
      const source = createDataSource({
        url,
        poolSize: 2,
        applicationName: `migrate-${set.schema}`,
        schema: set.schema,
        migrations: set.migrations,
      });
      await source.initialize();
      try {
        const applied = await source.runMigrations({ transaction: 'each' });
        results.push({ schema: set.schema, applied: applied.map((m) => m.name) });
      } finally {
        await source.destroy();
      }
    }
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await runner.release();
    await lockSource.destroy();
  }
  return results;
}
