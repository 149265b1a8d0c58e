import type { QueryRunner } from 'typeorm';

/**
 * `CREATE [UNIQUE] INDEX CONCURRENTLY IF NOT EXISTS <schema>.<name> ON <on>`, for migrations that run outside a transaction
 * (`transaction = false`) so that a live system keeps writing while the index builds. A concurrent build that failed
 * earlier (a crash, a cancelled statement) leaves an INVALID index behind that IF NOT EXISTS would keep: it is dropped
 * and built again, so a half-done migration is finished by the next run.
 */
export async function createIndexConcurrently(q: QueryRunner, schema: string, name: string, on: string, options: { unique?: boolean } = {}): Promise<void> {
  const invalid = (await q.query(
    `SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND NOT i.indisvalid`,
    [schema, name],
  )) as unknown[];
  if (invalid.length > 0) await q.query(`DROP INDEX CONCURRENTLY IF EXISTS ${schema}.${name}`);
  await q.query(`CREATE ${options.unique ? 'UNIQUE ' : ''}INDEX CONCURRENTLY IF NOT EXISTS ${name} ON ${on}`);
}
