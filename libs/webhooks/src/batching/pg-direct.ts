import { genericPlanPool, pgPool } from '@chatbot/database';
import type { QueryResultRow } from 'pg';
import type { DataSource } from 'typeorm';

/** The pg pool under a TypeORM DataSource (hot paths: relay, fan-out, delivery reads and writes). */
export { pgPool };

/** A statement that may be planned once per connection; rename it whenever its text changes. */
export interface NamedStatement {
  readonly name: string;
  readonly text: string;
}

/**
 * Runs one statement; returns its rows.
 *
 * A `NamedStatement`: on the DataSource's generic-plan pool when it has one (the worker): parsed and planned once per
 * connection, which halves Postgres's CPU for a one-event fan-out (0.58 -> 0.27 ms) and cuts a 100-event one by ~30%
 * (bench/RESULTS.md, eleventh session). Only statements whose every table access can be an index lookup may be named
 * (see `genericPlanPool`); their spec EXPLAINs the generic plans on empty and on tiny analyzed tables. A plain string,
 * or no such pool: unnamed on the main pool, planned with the actual arrays at every execution. An UPDATE ...
 * FROM unnest(...) stays unnamed (its generic plan joins the table by a hash join over all of it).
 */
export async function directQuery<R extends QueryResultRow>(dataSource: DataSource, statement: string | NamedStatement, values: unknown[]): Promise<R[]> {
  const { text, name } = typeof statement === 'string' ? { text: statement, name: undefined } : statement;
  const generic = name === undefined ? null : genericPlanPool(dataSource);
  const result = generic ? await generic.query<R>({ name, text, values }) : await pgPool(dataSource).query<R>(text, values);
  return result.rows;
}
