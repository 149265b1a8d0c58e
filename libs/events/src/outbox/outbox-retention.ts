import { type KeysetSweepTarget, keysetSweep } from '@chatbot/database';
import type { DataSource, EntityManager } from 'typeorm';

/**
 * Deletes outbox rows published before `before`; unpublished rows (NULL `published_at`) are never touched, however
 * old. Oldest first, in keyset batches through `outbox_published_idx` (see keysetSweep). Returns the rows deleted.
 */
/** What the outbox sweep deletes: published rows, by `published_at` (through `outbox_published_idx`). */
export const OUTBOX_SWEEP: KeysetSweepTarget = { table: 'events.outbox', key: 'published_at' };

export function deletePublishedOutboxRows(db: DataSource | EntityManager, before: Date, batchSize = 5000): Promise<number> {
  return keysetSweep(db, OUTBOX_SWEEP, before, batchSize);
}
