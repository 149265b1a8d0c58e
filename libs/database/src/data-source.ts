import { Pool } from 'pg';
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
  /**
   * Connections (0: none, the default) of a second pool for the hot path's named statements: each is planned once
   * per connection (`plan_cache_mode = force_generic_plan`) instead of at every execution, with `enable_seqscan = off`
   * so that a plan made while a table is tiny (where a sequential scan is cheapest) still reads it through its index
   * when it has grown. See `genericPlanPool`.
   */
  genericPlanPoolSize?: number;
}

const CONNECTION = { connectionTimeoutMillis: 3000, idleTimeoutMillis: 30000, statement_timeout: 30000 } as const;
const SESSION_OPTIONS = '-c timezone=UTC';
const GENERIC_PLAN_OPTIONS = `${SESSION_OPTIONS} -c plan_cache_mode=force_generic_plan -c enable_seqscan=off`;

/** A DataSource that may own a second pool for generic plans (created on first use, ended with the DataSource). */
class PlatformDataSource extends DataSource {
  private genericPool: Pool | null = null;

  constructor(
    options: ConstructorParameters<typeof DataSource>[0],
    private readonly generic: { url: string; applicationName: string; size: number },
  ) {
    super(options);
  }

  genericPlanPool(): Pool | null {
    if (this.generic.size <= 0 || !this.isInitialized) return null;
    if (!this.genericPool) {
      this.genericPool = new Pool({
        connectionString: this.generic.url,
        application_name: `${this.generic.applicationName}:generic-plans`,
        max: this.generic.size,
        ...CONNECTION,
        options: GENERIC_PLAN_OPTIONS,
      });
      this.genericPool.on('error', () => undefined); // an idle connection's error; the next query reports its own
    }
    return this.genericPool;
  }

  override async destroy(): Promise<void> {
    const pool = this.genericPool;
    this.genericPool = null;
    await pool?.end();
    await super.destroy();
  }
}

/**
 * The pool for statements that may be planned once per connection (see `DataSourceOptions.genericPlanPoolSize`), or
 * null when the DataSource has none: the caller then runs the statement unnamed on the main pool, planned at every
 * execution. Only a statement whose every table access can be an index lookup (LATERAL ... LIMIT per input row, ON
 * CONFLICT arbiters) belongs there: with sequential scans disabled, a table the plan could only scan whole is still
 * scanned whole, at every execution.
 */
export function genericPlanPool(dataSource: DataSource): Pool | null {
  return dataSource instanceof PlatformDataSource ? dataSource.genericPlanPool() : null;
}

/**
 * The one way services open Postgres: snake_case names, UTC, no `synchronize` (schema changes go through
 * migrations), bounded pool, statement timeout so a stuck query cannot hold a request forever.
 */
export function createDataSource(options: DataSourceOptions): DataSource {
  const applicationName = options.applicationName ?? 'chatbot';
  const generic = { url: options.url, applicationName, size: options.genericPlanPoolSize ?? 0 };
  return new PlatformDataSource({
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
    applicationName,
    extra: { max: options.poolSize ?? 10, ...CONNECTION, options: SESSION_OPTIONS },
  }, generic);
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
