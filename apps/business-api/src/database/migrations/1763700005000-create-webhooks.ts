import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhooks, the events they are sent, one message per (event, webhook), and every delivery attempt. Secrets and
 * custom headers are stored only as SecretBox envelopes (AES-256-GCM).
 */
export class CreateWebhooks1763700005000 implements MigrationInterface {
  name = 'CreateWebhooks1763700005000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE business.webhooks (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        event_type text NOT NULL,
        webhook_url text NOT NULL,
        http_method text NOT NULL DEFAULT 'POST' CHECK (http_method IN ('GET', 'POST', 'PUT', 'PATCH')),
        headers_encrypted text,
        payload_template text,
        retry_config jsonb NOT NULL,
        is_active boolean NOT NULL DEFAULT true,
        secret_encrypted text NOT NULL,
        previous_secret_encrypted text,
        previous_secret_expires_at timestamptz,
        failing_since timestamptz,
        consecutive_failures integer NOT NULL DEFAULT 0,
        disabled_reason text,
        disabled_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX webhooks_tenant_id_idx ON business.webhooks (tenant_id)`);
    await q.query(`CREATE INDEX webhooks_fanout_idx ON business.webhooks (tenant_id, event_type) WHERE is_active`);

    await q.query(`
      CREATE TABLE business.webhook_events (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL,
        event_type text NOT NULL,
        envelope jsonb NOT NULL,
        occurred_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX webhook_events_tenant_id_idx ON business.webhook_events (tenant_id)`);

    await q.query(`
      CREATE TABLE business.webhook_messages (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        webhook_id uuid NOT NULL REFERENCES business.webhooks(id) ON DELETE CASCADE,
        event_id uuid NOT NULL REFERENCES business.webhook_events(id) ON DELETE CASCADE,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        last_attempt_at timestamptz,
        next_attempt_at timestamptz,
        delivered_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (webhook_id, event_id)
      )`);
    await q.query(`CREATE INDEX webhook_messages_tenant_id_idx ON business.webhook_messages (tenant_id)`);
    await q.query(`CREATE INDEX webhook_messages_recover_idx ON business.webhook_messages (webhook_id, status, created_at)`);

    await q.query(`
      CREATE TABLE business.webhook_delivery_logs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        webhook_id uuid NOT NULL REFERENCES business.webhooks(id) ON DELETE CASCADE,
        message_id uuid REFERENCES business.webhook_messages(id) ON DELETE SET NULL,
        event_id uuid NOT NULL,
        event_type text NOT NULL,
        attempt integer NOT NULL,
        is_test boolean NOT NULL DEFAULT false,
        request_url text NOT NULL,
        response_status integer,
        response_body text,
        error_message text,
        duration_ms integer NOT NULL,
        success boolean NOT NULL,
        next_attempt_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX webhook_delivery_logs_tenant_id_idx ON business.webhook_delivery_logs (tenant_id)`);
    await q.query(`CREATE INDEX webhook_delivery_logs_webhook_idx ON business.webhook_delivery_logs (webhook_id, created_at DESC)`);
    await q.query(`CREATE INDEX webhook_delivery_logs_created_at_idx ON business.webhook_delivery_logs (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE business.webhook_delivery_logs`);
    await q.query(`DROP TABLE business.webhook_messages`);
    await q.query(`DROP TABLE business.webhook_events`);
    await q.query(`DROP TABLE business.webhooks`);
  }
}
