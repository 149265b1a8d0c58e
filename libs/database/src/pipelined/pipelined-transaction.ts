import type { Pool, PoolClient, QueryResult, QueryResultRow } from 'pg';
import type { DataSource } from 'typeorm';
import { type Statement, inlineStatement } from './literal-statement';

/** The pg pool under a TypeORM DataSource (hot paths query it directly, without a QueryRunner). */
export function pgPool(dataSource: DataSource): Pool {
  const pool = (dataSource.driver as unknown as { master?: Pool }).master;
  if (!pool) throw new Error('the DataSource is not initialized (no pg pool)');
  return pool;
}

/**
 * A transaction of the shape "read under lock, decide in code, write" in two round trips instead of one per
 * statement: `BEGIN` travels with the first statement, and the writes travel with `COMMIT`, as multi-statement
 * simple-protocol queries (values inlined as escaped literals, `inlineStatement`). Same isolation and locking as the
 * same statements sent one by one. On any error the transaction is rolled back (and a connection that cannot even
 * roll back is discarded).
 */
export async function pipelinedTransaction<T>(
  dataSource: DataSource,
  work: (tx: {
    /** The first statement (sent with BEGIN); its rows. */
    begin: <R extends QueryResultRow>(statement: Statement) => Promise<R[]>;
    /** Any statement in between, with real parameters. */
    query: <R extends QueryResultRow>(statement: Statement) => Promise<R[]>;
    /** Buffered: sent with COMMIT. */
    defer: (statement: Statement) => void;
  }) => Promise<T>,
): Promise<T> {
  const client: PoolClient = await pgPool(dataSource).connect();
  const deferred: string[] = [];
  let open = false;
  let broken: Error | undefined;
  try {
    const result = await work({
      begin: async <R extends QueryResultRow>(statement: Statement) => {
        if (open) throw new Error('begin() called twice');
        open = true;
        const results = (await client.query(`BEGIN; ${inlineStatement(statement)}`)) as unknown as QueryResult<R>[];
        return results[1]?.rows ?? [];
      },
      query: async <R extends QueryResultRow>(statement: Statement) => (await client.query<R>(statement.text, [...statement.values])).rows,
      defer: (statement: Statement) => void deferred.push(inlineStatement(statement)),
    });
    if (open) await client.query(`${deferred.join(';\n')}${deferred.length > 0 ? ';\n' : ''}COMMIT`);
    open = false;
    return result;
  } catch (err) {
    if (open) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
    }
    throw err;
  } finally {
    client.release(broken);
  }
}
