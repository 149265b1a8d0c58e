import { genericPlanPool, pgPool } from '@chatbot/database';
import type { QueryResultRow } from 'pg';
import type { DataSource } from 'typeorm';

/** The pg pool under a TypeORM DataSource (hot paths: relay, fan-out, delivery reads and writes). */
export { pgPool };

/**
 * Runs one statement; returns its rows.
 *
 * With a `name`, on the DataSource's generic-plan pool when it has one (the worker): parsed and planned once per
 * connection, which halves Postgres's CPU for a one-event fan-out (0.58 -> 0.27 ms) and cuts a 100-event one by ~30%
 * (bench/RESULTS.md, eleventh session). Only statements whose every table access can be an index lookup may be named
 * (see `genericPlanPool`); their spec EXPLAINs the generic plans on empty and on tiny analyzed tables. Without a name,
 * or without that pool: unnamed on the main pool, planned with the actual arrays at every execution. An UPDATE ...
 * FROM unnest(...) stays unnamed (its generic plan joins the table by a hash join over all of it).
 */
export async function directQuery<R extends QueryResultRow>(dataSource: DataSource, text: string, values: unknown[], name?: string): Promise<R[]> {
  const generic = name ? genericPlanPool(dataSource) : null;
  const result = generic && name ? await generic.query<R>({ name, text, values }) : await pgPool(dataSource).query<R>(text, values);
  return result.rows;
}
