import { randomBytes } from 'node:crypto';
import { type DataSourceOptions, createDataSource, dropDatabase, ensureDatabase, runMigrations, withDatabase } from '@chatbot/database';
import type { DataSource } from 'typeorm';
import { TEST_DB_PREFIX } from './jest/run-context';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { loadMigrationSets } = require('../../../scripts/migration-sets') as { loadMigrationSets: () => Parameters<typeof runMigrations>[1] };

export interface IsolatedEnvironment {
  env: Record<string, string>;
  drop: () => Promise<void>;
}

/**
 * A database and a Redis prefix of its own, for tests that run a worker: its outbox relay and queues then see only
 * this test's events, whatever other test files run beside it.
 */
export async function isolatedEnvironment(): Promise<IsolatedEnvironment> {
  const id = `${Date.now().toString(36)}_iso_${randomBytes(3).toString('hex')}`;
  const url = withDatabase(process.env['DATABASE_URL']!, `${TEST_DB_PREFIX}${id}`);
  await ensureDatabase(url);
  await runMigrations(url, loadMigrationSets());
  return {
    env: { DATABASE_URL: url, REDIS_PREFIX: `${process.env['REDIS_PREFIX'] ?? 'test'}:${id}` },
    drop: () => dropDatabase(url),
  };
}

/**
 * For a describe block: a database of its own (migrated, see `isolatedEnvironment`) made before its tests, and
 * `open(options)` for DataSources on it; every DataSource opened, then the database, go after the block.
 */
export function isolatedDatabase(): { open: (options: Omit<DataSourceOptions, 'url'>) => Promise<DataSource> } {
  let env: IsolatedEnvironment | undefined;
  const sources: DataSource[] = [];
  beforeAll(async () => {
    env = await isolatedEnvironment();
  });
  afterAll(async () => {
    await Promise.all(sources.map((s) => s.destroy()));
    await env?.drop();
  });
  return {
    open: async (options) => {
      if (!env) throw new Error('isolatedDatabase: open() runs inside tests or hooks, after its beforeAll');
      const source = await createDataSource({ ...options, url: env.env['DATABASE_URL']! }).initialize();
      sources.push(source);
      return source;
    },
  };
}
