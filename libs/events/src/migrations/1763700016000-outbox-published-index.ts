import { createIndexConcurrently } from '@chatbot/database';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An index on `published_at` over published rows only, for the outbox retention sweep (the worker deletes rows
 * published more than OUTBOX_RETENTION_HOURS ago, oldest first, in batches that each start where the last one ended).
 * Unpublished rows are not in it; the relay keeps using `outbox_unpublished_idx`. Publishing a row already writes a
 * new entry in each index (it changes `published_at`, which the unpublished index's predicate reads, so it is never a
 * HOT update); this adds one more entry to that write.
 *
 * Built CONCURRENTLY outside a transaction, so producers keep writing events while it builds on a large outbox; a
 * failed build is finished by the next run (see createIndexConcurrently).
 */
export class OutboxPublishedIndex1763700016000 implements MigrationInterface {
  name = 'OutboxPublishedIndex1763700016000';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await createIndexConcurrently(q, 'events', 'outbox_published_idx', 'events.outbox (published_at) WHERE published_at IS NOT NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS events.outbox_published_idx`);
  }
}
