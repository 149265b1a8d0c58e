import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Deleting a webhook no longer scans its whole history tables.
 *
 * Messages and delivery logs referred to their webhook with `ON DELETE CASCADE` keys. The only indexes on those
 * columns are tenant-led ((tenant_id, webhook_id, created_at), by the design's tenancy rule), and the cascade's
 * internal `DELETE ... WHERE webhook_id = $1` cannot use them: every webhook deletion read every message and every
 * log row of every tenant, inside the API request and while holding the webhook's row lock. Measured with a million
 * messages and a million logs of another webhook beside it: 220 ms per delete (median of 5), growing with the
 * platform's tables, not with the webhook; 9.5 ms with the tombstone.
 *
 * Now the two keys go, and the delete route records a tombstone in `webhook_purges` in the same statement that deletes
 * the webhook. The worker deletes the tombstoned webhook's messages and logs in batches through the tenant-led indexes
 * (cost: that webhook's rows), and drops the tombstone once no late writer can add to them (see the worker's
 * RetentionService). Nothing reads a deleted webhook's history meanwhile: every route and delivery finds the webhook
 * gone first. Two foreign-key checks less per delivered event, too (the message insert and the log insert).
 *
 * `down` removes the history of webhooks that no longer exist (what the cascades would have removed), then restores
 * the keys.
 */
export class WebhookDeletionPurge1763700018000 implements MigrationInterface {
  name = 'WebhookDeletionPurge1763700018000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE IF NOT EXISTS business.webhook_purges (
        tenant_id uuid NOT NULL,
        webhook_id uuid NOT NULL,
        deleted_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, webhook_id)
      )`);
    await q.query(`ALTER TABLE business.webhook_messages DROP CONSTRAINT IF EXISTS webhook_messages_webhook_id_fkey`);
    await q.query(`ALTER TABLE business.webhook_delivery_logs DROP CONSTRAINT IF EXISTS webhook_delivery_logs_webhook_id_fkey`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['webhook_delivery_logs', 'webhook_messages']) {
      await q.query(
        `DELETE FROM business.${table} t WHERE NOT EXISTS (SELECT 1 FROM business.webhooks w WHERE w.id = t.webhook_id)`,
      );
    }
    await q.query(
      `ALTER TABLE business.webhook_messages ADD CONSTRAINT webhook_messages_webhook_id_fkey
         FOREIGN KEY (webhook_id) REFERENCES business.webhooks(id) ON DELETE CASCADE`,
    );
    await q.query(
      `ALTER TABLE business.webhook_delivery_logs ADD CONSTRAINT webhook_delivery_logs_webhook_id_fkey
         FOREIGN KEY (webhook_id) REFERENCES business.webhooks(id) ON DELETE CASCADE`,
    );
    await q.query(`DROP TABLE business.webhook_purges`);
  }
}
