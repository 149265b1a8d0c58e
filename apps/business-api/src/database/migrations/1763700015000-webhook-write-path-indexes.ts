import { createIndexConcurrently } from '@chatbot/database';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Fewer index writes per delivered event (measured on bench/webhooks, see bench/RESULTS.md).
 *
 * - Messages: the tenant index and the (webhook_id, status, created_at) recovery index become one
 *   (tenant_id, webhook_id, created_at) index. Recovery filters the status on the rows it reads (it is scoped to
 *   one webhook and a time range). With no index on `status`, marking a message delivered changes no indexed column,
 *   so Postgres can update it in place (a HOT update: no new entry in any of the table's indexes); fillfactor 70
 *   leaves each page room for that.
 * - Delivery logs: the tenant index and the (webhook_id, created_at DESC) listing index become one
 *   (tenant_id, webhook_id, created_at DESC) index, which is what the listing query filters and orders by; the
 *   retention sweep's created_at index becomes a BRIN index (rows arrive in created_at order; a BRIN entry is
 *   updated once per 128 pages instead of one B-tree insertion per row).
 *
 * Every tenant-owned row stays indexed by tenant_id (the leading column of each new index).
 *
 * `up` runs outside a transaction so that it can build and drop CONCURRENTLY: on a live system with large tables,
 * deliveries keep writing messages and logs while the indexes build (a plain CREATE INDEX would block those writes for
 * the whole build). Each new index is created before the ones it replaces are dropped, so every query keeps an index.
 * Every step is idempotent, so a run that stopped half-way (a crash, a cancelled build) is finished by the next one:
 * a concurrent build that failed leaves an INVALID index behind, which is dropped and rebuilt. `down` runs in a
 * transaction (TypeORM always reverts in one), with plain statements.
 */
export class WebhookWritePathIndexes1763700015000 implements MigrationInterface {
  name = 'WebhookWritePathIndexes1763700015000';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await createIndexConcurrently(q, 'business', 'webhook_messages_tenant_webhook_idx', 'business.webhook_messages (tenant_id, webhook_id, created_at)');
    await q.query(`DROP INDEX CONCURRENTLY IF EXISTS business.webhook_messages_tenant_id_idx`);
    await q.query(`DROP INDEX CONCURRENTLY IF EXISTS business.webhook_messages_recover_idx`);
    // SHARE UPDATE EXCLUSIVE: reads and writes go on; only pages written from now on keep the free space.
    await q.query(`ALTER TABLE business.webhook_messages SET (fillfactor = 70)`);

    await createIndexConcurrently(q, 'business', 'webhook_delivery_logs_tenant_webhook_idx', 'business.webhook_delivery_logs (tenant_id, webhook_id, created_at DESC)');
    await q.query(`DROP INDEX CONCURRENTLY IF EXISTS business.webhook_delivery_logs_tenant_id_idx`);
    await q.query(`DROP INDEX CONCURRENTLY IF EXISTS business.webhook_delivery_logs_webhook_idx`);
    await createIndexConcurrently(q, 'business', 'webhook_delivery_logs_created_at_brin', 'business.webhook_delivery_logs USING brin (created_at)');
    await q.query(`DROP INDEX CONCURRENTLY IF EXISTS business.webhook_delivery_logs_created_at_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX webhook_delivery_logs_created_at_idx ON business.webhook_delivery_logs (created_at)`);
    await q.query(`DROP INDEX business.webhook_delivery_logs_created_at_brin`);
    await q.query(`CREATE INDEX webhook_delivery_logs_webhook_idx ON business.webhook_delivery_logs (webhook_id, created_at DESC)`);
    await q.query(`CREATE INDEX webhook_delivery_logs_tenant_id_idx ON business.webhook_delivery_logs (tenant_id)`);
    await q.query(`DROP INDEX business.webhook_delivery_logs_tenant_webhook_idx`);

    await q.query(`ALTER TABLE business.webhook_messages RESET (fillfactor)`);
    await q.query(`CREATE INDEX webhook_messages_recover_idx ON business.webhook_messages (webhook_id, status, created_at)`);
    await q.query(`CREATE INDEX webhook_messages_tenant_id_idx ON business.webhook_messages (tenant_id)`);
    await q.query(`DROP INDEX business.webhook_messages_tenant_webhook_idx`);
  }
}
