import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A claim lease instead of a held transaction: the relay claims rows with one UPDATE ... RETURNING, enqueues them,
 * then marks them published. A relay that dies in between leaves a lease that expires, and the rows are claimed again
 * (the queue's jobId = event id absorbs the replay).
 */
export class OutboxClaimLease1763700006000 implements MigrationInterface {
  name = 'OutboxClaimLease1763700006000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE events.outbox ADD COLUMN claimed_until timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE events.outbox DROP COLUMN claimed_until`);
  }
}
