import { DataSource, type EntitySchema, type MigrationInterface, type MixedList } from 'typeorm';
import { SnakeNamingStrategy } from './snake-naming.strategy';

type EntityList = MixedList<string | (abstract new (...args: never[]) => unknown) | EntitySchema>;

export interface DataSourceOptions {
  url: string;
  entities?: EntityList;
  poolSize?: number;
  applicationName?: string;
  /** Default schema for unqualified tables (also where the migrations table lives). */
  schema?: string;
  migrations?: (new () => MigrationInterface)[];
}

/**
 * The one way services open Postgres: snake_case names, UTC, no `synchronize` (schema changes go through
 * migrations), bounded pool, statement timeout so a stuck query cannot hold a request forever.
 */
export function createDataSource(options: DataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.url,
    entities: options.entities ?? [],
    namingStrategy: new SnakeNamingStrategy(),
    synchronize: false,
    migrationsRun: false,
    ...(options.schema ? { schema: options.schema } : {}),
    migrations: options.migrations ?? [],
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    logging: false,
    applicationName: options.applicationName ?? 'chatbot',
    extra: {
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 3000,
      idleTimeoutMillis: 30000,
      statement_timeout: 30000,
      options: '-c timezone=UTC',
    },
  });
}

/** Splits a postgres URL into the admin URL (database `postgres`) and the database name. */
export function parseDatabaseUrl(url: string): { adminUrl: string; database: string } {
  const parsed = new URL(url);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || 'postgres';
  const admin = new URL(url);
  admin.pathname = '/postgres';
  return { adminUrl: admin.toString(), database };
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}
