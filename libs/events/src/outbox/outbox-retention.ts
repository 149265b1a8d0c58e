import type { DataSource, EntityManager } from 'typeorm';

interface SweepBatch {
  count: number;
  last: string | null;
}

/**
 * Deletes outbox rows published before `before`; unpublished rows are never touched, however old. Oldest first, in
 * batches of `batchSize` rows, each its own short statement (no long lock, no huge transaction), each starting at the
 * `published_at` where the previous one stopped (through `outbox_published_idx`), so a large backlog is not rescanned
 * from the start batch after batch. Returns the number of rows deleted.
 */
export async function deletePublishedOutboxRows(db: DataSource | EntityManager, before: Date, batchSize = 5000): Promise<number> {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  let total = 0;
  // Text, not a Date: keeps the microseconds, so the next batch starts exactly at the last deleted timestamp.
  let from: string | null = null;
  for (;;) {
    const rows: SweepBatch[] = await db.query<SweepBatch[]>(
      `WITH doomed AS (
         SELECT id FROM events.outbox
          WHERE published_at < $1 AND published_at >= COALESCE($2::timestamptz, '-infinity')
          ORDER BY published_at
          LIMIT $3
       ), deleted AS (
         DELETE FROM events.outbox o USING doomed d WHERE o.id = d.id RETURNING o.published_at
       )
       SELECT count(*)::int AS count, max(published_at)::text AS last FROM deleted`,
      [before, from, batchSize],
    );
    const batch = rows[0];
    const count = batch?.count ?? 0;
    total += count;
    if (count < batchSize || !batch?.last) return total;
    from = batch.last;
  }
}
