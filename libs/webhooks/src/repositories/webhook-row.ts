import type { WebhookEntity } from '../entities/webhook.entity';

/** A `business.webhooks` row read with raw SQL (hot paths skip TypeORM hydration). */
export interface WebhookRow {
  id: string;
  tenant_id: string;
  event_type: WebhookEntity['eventType'];
  webhook_url: string;
  http_method: WebhookEntity['httpMethod'];
  headers_encrypted: string | null;
  payload_template: string | null;
  retry_config: WebhookEntity['retryConfig'];
  is_active: boolean;
  secret_encrypted: string;
  previous_secret_encrypted: string | null;
  previous_secret_expires_at: Date | null;
  failing_since: Date | null;
  consecutive_failures: number;
  disabled_reason: string | null;
  disabled_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export const WEBHOOK_COLUMNS = `w.id, w.tenant_id, w.event_type, w.webhook_url, w.http_method, w.headers_encrypted, w.payload_template,
  w.retry_config, w.is_active, w.secret_encrypted, w.previous_secret_encrypted, w.previous_secret_expires_at,
  w.failing_since, w.consecutive_failures, w.disabled_reason, w.disabled_at, w.created_at, w.updated_at`;

export function webhookFromRow(row: WebhookRow): WebhookEntity {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    eventType: row.event_type,
    webhookUrl: row.webhook_url,
    httpMethod: row.http_method,
    headersEncrypted: row.headers_encrypted,
    payloadTemplate: row.payload_template,
    retryConfig: row.retry_config,
    isActive: row.is_active,
    secretEncrypted: row.secret_encrypted,
    previousSecretEncrypted: row.previous_secret_encrypted,
    previousSecretExpiresAt: row.previous_secret_expires_at,
    failingSince: row.failing_since,
    consecutiveFailures: row.consecutive_failures,
    disabledReason: row.disabled_reason,
    disabledAt: row.disabled_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** A webhook whose last attempt succeeded: nothing to reset after another success. */
export function isHealthy(webhook: Pick<WebhookEntity, 'consecutiveFailures' | 'failingSince'>): boolean {
  return webhook.consecutiveFailures === 0 && webhook.failingSince === null;
}
