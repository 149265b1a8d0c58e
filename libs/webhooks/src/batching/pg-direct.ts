import type { Pool, QueryResultRow } from 'pg';
import type { DataSource } from 'typeorm';

/**
 * The pg pool under a TypeORM DataSource. Hot paths (relay, fan-out, delivery reads and writes) query it directly,
 * without a QueryRunner per statement.
 */
export function pgPool(dataSource: DataSource): Pool {
  const pool = (dataSource.driver as unknown as { master?: Pool }).master;
  if (!pool) throw new Error('the DataSource is not initialized (no pg pool)');
  return pool;
}

/**
 * Runs one statement on the DataSource's pool; returns its rows. Deliberately not a named (prepared) statement:
 * Postgres would cache a generic plan made while the tables were still small (a sequential scan joined to the unnest
 * input) and keep using it when they are large; an unnamed statement is planned with the actual arrays every time.
 */
export async function directQuery<R extends QueryResultRow>(dataSource: DataSource, text: string, values: unknown[]): Promise<R[]> {
  const result = await pgPool(dataSource).query<R>(text, values);
  return result.rows;
}
