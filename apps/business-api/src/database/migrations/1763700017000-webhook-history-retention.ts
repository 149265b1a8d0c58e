import { createIndexConcurrently } from '@chatbot/database';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhook history that can be deleted: by webhook (DELETE /api/chatbot-webhooks/:id) and by age (the worker's
 * retention sweep of webhook events, WEBHOOK_EVENT_RETENTION_DAYS).
 *
 * - Delivery logs' `message_id` loses its foreign key (ON DELETE SET NULL). Nothing reads the column, and with no
 *   index on it every deleted message ran a sequential scan of all delivery logs to null it: deleting a webhook with
 *   11,300 messages and logs took 2.2 s inside its transaction (14 ms without the key), growing with messages × logs.
 *   It stays as a plain reference. One foreign-key check less per logged attempt, too.
 * - Messages' uniqueness becomes (event_id, webhook_id) instead of (webhook_id, event_id): the same rule, the same
 *   number of index entries per message, but led by event_id, so deleting an event finds its messages (the cascade)
 *   and the sweep checks for pending ones through an index. Fan-out's `ON CONFLICT (webhook_id, event_id)` infers it
 *   (inference ignores column order); the delivery-context read looks up both columns. The new unique index is built
 *   before the old constraint goes, so uniqueness is enforced throughout.
 * - Webhook events get a `created_at` index: the retention sweep deletes the oldest first, in keyset batches.
 *
 * `up` runs outside a transaction so that the indexes build CONCURRENTLY (writes go on); each step is idempotent, and a
 * failed build is finished by the next run (see createIndexConcurrently). `down` runs in a transaction.
 */
export class WebhookHistoryRetention1763700017000 implements MigrationInterface {
  name = 'WebhookHistoryRetention1763700017000';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE business.webhook_delivery_logs DROP CONSTRAINT IF EXISTS webhook_delivery_logs_message_id_fkey`);
    await createIndexConcurrently(q, 'business', 'webhook_messages_event_webhook_key', 'business.webhook_messages (event_id, webhook_id)', { unique: true });
    await q.query(`ALTER TABLE business.webhook_messages DROP CONSTRAINT IF EXISTS webhook_messages_webhook_id_event_id_key`);
    await createIndexConcurrently(q, 'business', 'webhook_events_created_at_idx', 'business.webhook_events (created_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX business.webhook_events_created_at_idx`);
    await q.query(`ALTER TABLE business.webhook_messages ADD CONSTRAINT webhook_messages_webhook_id_event_id_key UNIQUE (webhook_id, event_id)`);
    await q.query(`DROP INDEX business.webhook_messages_event_webhook_key`);
    // Since `up`, deleted messages (event retention) may have left log rows pointing at nothing; the key's
    // ON DELETE SET NULL would have cleared them, so clear them before the key is validated.
    await q.query(
      `UPDATE business.webhook_delivery_logs l SET message_id = NULL
        WHERE l.message_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM business.webhook_messages m WHERE m.id = l.message_id)`,
    );
    await q.query(
      `ALTER TABLE business.webhook_delivery_logs ADD CONSTRAINT webhook_delivery_logs_message_id_fkey
         FOREIGN KEY (message_id) REFERENCES business.webhook_messages(id) ON DELETE SET NULL`,
    );
  }
}
