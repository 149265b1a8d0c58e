import type { DataSource, EntityManager } from 'typeorm';

/** What a retention sweep deletes: rows of `table` whose timestamp column `key` is older than the cutoff. */
export interface KeysetSweepTarget {
  /** Schema-qualified table with a uuid `id` primary key, e.g. `events.outbox`. */
  table: string;
  /** A timestamptz column with a B-tree index (the rows are read in its order). */
  key: string;
  /** An extra condition on the row, aliased `t`, that must hold for it to go (e.g. nothing pending refers to it). */
  onlyIf?: string;
  /**
   * A condition on the row, aliased `t`, with parameters of its own numbered from `$4` (their values are keysetSweep's
   * `scopeValues`), e.g. `t.tenant_id = $4 AND t.webhook_id = $5` for one webhook's rows. With an index led by the
   * scope's columns and ending in `key`, each batch is a range scan of that index.
   */
  scope?: string;
}

interface SweepBatch {
  count: number;
  last: string | null;
}

/**
 * Deletes the rows of `target` whose `key` is before `before`, oldest first, in batches of `batchSize`: each batch a
 * short statement of its own (no long lock, no huge transaction) that starts at the key where the previous one stopped,
 * so a large backlog is not rescanned from its start batch after batch. Rows sharing the last key of a batch are looked
 * at again by the next one (ties across a boundary are not skipped); the key travels as text, which keeps a
 * timestamp's microseconds. Rows whose key is NULL are never deleted. Returns the number of rows deleted.
 *
 * `target`'s names come from code, never from input: they are inlined into the statement.
 */
export async function keysetSweep(
  db: DataSource | EntityManager,
  target: KeysetSweepTarget,
  before: Date,
  batchSize: number,
  scopeValues: readonly unknown[] = [],
): Promise<number> {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  if (Boolean(target.scope) !== scopeValues.length > 0) throw new TypeError(`${target.table}: a scope and its values go together`);
  const sql = keysetSweepStatement(target);
  let total = 0;
  let from: string | null = null;
  for (;;) {
    const rows: SweepBatch[] = await db.query<SweepBatch[]>(sql, [before, from, batchSize, ...scopeValues]);
    const batch = rows[0];
    const count = batch?.count ?? 0;
    total += count;
    if (count < batchSize || !batch?.last) return total;
    from = batch.last;
  }
}

/**
 * One batch of keysetSweep: `$1` the cutoff, `$2` the last key of the previous batch (NULL for the first), `$3` the
 * batch size, then the scope's values; answers one row `{ count, last }`. Exported so that tests can EXPLAIN the very
 * statement the sweep runs.
 */
export function keysetSweepStatement({ table, key, onlyIf, scope }: KeysetSweepTarget): string {
  const extra = [scope, onlyIf].filter(Boolean).map((condition) => `\n         AND ${condition}`).join('');
  return `WITH doomed AS (
      SELECT t.id FROM ${table} t
       WHERE t.${key} < $1 AND t.${key} >= COALESCE($2::timestamptz, '-infinity')${extra}
       ORDER BY t.${key}
       LIMIT $3
    ), deleted AS (
      DELETE FROM ${table} o USING doomed d WHERE o.id = d.id RETURNING o.${key} AS key
    )
    SELECT count(*)::int AS count, max(key)::text AS last FROM deleted`;
}
