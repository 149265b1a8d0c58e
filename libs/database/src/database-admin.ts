import { Client } from 'pg';
import { parseDatabaseUrl } from './data-source';

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

export class DatabaseUnreachableError extends Error {
  constructor(url: string, cause: Error) {
    super(
      `PostgreSQL is not reachable at ${redact(url)} (${cause.message}).\n` +
        '  Start it, for example with `docker compose up -d postgres redis`,\n' +
        '  or point DATABASE_URL at a running server.',
    );
    this.name = 'DatabaseUnreachableError';
  }
}

async function withClient<T>(url: string, run: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
  } catch (err) {
    throw new DatabaseUnreachableError(url, err as Error);
  }
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** Creates the database named in `url` if it does not exist. Returns true when it created it. */
export async function ensureDatabase(url: string): Promise<boolean> {
  const { adminUrl, database } = parseDatabaseUrl(url);
  return withClient(adminUrl, async (client) => {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount && found.rowCount > 0) return false;
    try {
      await client.query(`CREATE DATABASE ${quoteIdent(database)}`);
    } catch (err) {
      // Another process created it between the check and the create.
      if ((err as { code?: string }).code !== '42P04') throw err;
      return false;
    }
    return true;
  });
}

export async function dropDatabase(url: string): Promise<void> {
  const { adminUrl, database } = parseDatabaseUrl(url);
  await withClient(adminUrl, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`);
  });
}

/** Throws DatabaseUnreachableError with a message that says where it looked and how to start Postgres. */
export async function checkPostgres(url: string): Promise<void> {
  const { adminUrl } = parseDatabaseUrl(url);
  await withClient(adminUrl, async (client) => {
    await client.query('SELECT 1');
  });
}
