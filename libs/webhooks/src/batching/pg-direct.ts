import { pgPool } from '@chatbot/database';
import type { QueryResultRow } from 'pg';
import type { DataSource } from 'typeorm';

/** The pg pool under a TypeORM DataSource (hot paths: relay, fan-out, delivery reads and writes). */
export { pgPool };

/**
 * Runs one statement on the DataSource's pool; returns its rows. Deliberately not a named (prepared) statement:
 * Postgres would cache a generic plan made while the tables were still small (a sequential scan joined to the unnest
 * input) and keep using it when they are large; an unnamed statement is planned with the actual arrays every time.
 */
export async function directQuery<R extends QueryResultRow>(dataSource: DataSource, text: string, values: unknown[]): Promise<R[]> {
  const result = await pgPool(dataSource).query<R>(text, values);
  return result.rows;
}
