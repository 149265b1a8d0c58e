import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every change to what a delivery of a webhook uses, and every deletion, raises `NOTIFY webhook_changed, '<id>'` when
 * its transaction commits (`WEBHOOK_CHANGED_CHANNEL` in @chatbot/webhooks). A trigger catches every writer: the API's
 * routes, the worker's auto-disable and 410 handling, and anyone with SQL.
 *
 * The worker listens, so it can keep what fan-out read for a delivery (the webhook row) until the delivery is sent
 * instead of for a fixed 2 s, and drop it as soon as the webhook changes (see the worker's DeliveryHandoff).
 *
 * The failure bookkeeping that deliveries themselves write (`consecutive_failures`, `failing_since`) and `updated_at`
 * raise nothing: they change on every failed attempt and mean nothing to a delivery. Any other column, including one
 * added later, counts as a change (the comparison removes those three from the whole row rather than listing the rest).
 */
export class WebhookChangeNotify1763700019000 implements MigrationInterface {
  name = 'WebhookChangeNotify1763700019000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION business.notify_webhook_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('webhook_changed', OLD.id::text);
        RETURN NULL;
      END
      $$`);
    // DROP + CREATE rather than CREATE OR REPLACE TRIGGER (Postgres 14+): up may run again over a half-done run.
    await q.query(`DROP TRIGGER IF EXISTS webhooks_notify_changed ON business.webhooks`);
    await q.query(`DROP TRIGGER IF EXISTS webhooks_notify_deleted ON business.webhooks`);
    await q.query(`
      CREATE TRIGGER webhooks_notify_changed AFTER UPDATE ON business.webhooks FOR EACH ROW
        WHEN ((to_jsonb(OLD) - '{consecutive_failures,failing_since,updated_at}'::text[])
              IS DISTINCT FROM (to_jsonb(NEW) - '{consecutive_failures,failing_since,updated_at}'::text[]))
        EXECUTE FUNCTION business.notify_webhook_changed()`);
    await q.query(`
      CREATE TRIGGER webhooks_notify_deleted AFTER DELETE ON business.webhooks FOR EACH ROW
        EXECUTE FUNCTION business.notify_webhook_changed()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER IF EXISTS webhooks_notify_deleted ON business.webhooks`);
    await q.query(`DROP TRIGGER IF EXISTS webhooks_notify_changed ON business.webhooks`);
    await q.query(`DROP FUNCTION IF EXISTS business.notify_webhook_changed()`);
  }
}
