import { Client } from 'pg';
import { ensureDatabase, parseDatabaseUrl, runMigrations, withDatabase } from '@chatbot/database';
import { RUN_ENV, TEST_DB_PREFIX, newRunId } from './run-context';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { loadMigrationSets } = require('../../../../scripts/migration-sets') as {
  loadMigrationSets: () => Parameters<typeof runMigrations>[1];
};

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/chatbot';

/** Drops databases left behind by test runs that crashed more than a day ago. */
async function dropStaleDatabases(baseUrl: string): Promise<void> {
  const client = new Client({ connectionString: parseDatabaseUrl(baseUrl).adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${TEST_DB_PREFIX}%`]);
    for (const { datname } of rows) {
      const stamp = parseInt(datname.slice(TEST_DB_PREFIX.length).split('_')[0] ?? '', 36);
      if (Number.isFinite(stamp) && Date.now() - stamp > 24 * 3600 * 1000) {
        await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`).catch(() => undefined);
      }
    }
  } finally {
    await client.end();
  }
}

/**
 * One database per test run, created and migrated here, dropped in teardown: two runs never collide. Workers inherit
 * DATABASE_URL and a Redis prefix unique to the run.
 */
export default async function globalSetup(): Promise<void> {
  const baseUrl = process.env[RUN_ENV.databaseUrl] ?? DEFAULT_URL;
  const runId = newRunId();
  const url = withDatabase(baseUrl, `${TEST_DB_PREFIX}${runId}`);
  await dropStaleDatabases(baseUrl).catch(() => undefined);
  await ensureDatabase(url);
  await runMigrations(url, loadMigrationSets());
  process.env[RUN_ENV.databaseUrl] = url;
  process.env[RUN_ENV.redisPrefix] = `test:${runId}`;
  process.env[RUN_ENV.runId] = runId;
  process.env['NODE_ENV'] = 'test';
  process.env['LOG_LEVEL'] ??= 'silent';
}
