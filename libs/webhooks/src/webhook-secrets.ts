import { SecretBox, type TenantId } from '@chatbot/tenant-auth';
import type { WebhookEntity } from './entities/webhook.entity';

/** Associated data binding each encrypted field to its webhook row: a ciphertext copied elsewhere will not decrypt. */
const aad = (tenantId: string, webhookId: string, field: 'secret' | 'headers') => `${tenantId}:webhook:${webhookId}:${field}`;

export class WebhookSecrets {
  constructor(private readonly box: SecretBox) {}

  sealSecret(tenantId: TenantId, webhookId: string, secret: string): string {
    return this.box.encrypt(secret, aad(tenantId, webhookId, 'secret'));
  }

  sealHeaders(tenantId: TenantId, webhookId: string, headers: Record<string, string> | null): string | null {
    if (!headers || Object.keys(headers).length === 0) return null;
    return this.box.encrypt(JSON.stringify(headers), aad(tenantId, webhookId, 'headers'));
  }

  /** The signing secrets in force now: the current one, plus the previous one during its overlap window. */
  signingSecrets(webhook: WebhookEntity, now = new Date()): string[] {
    const secrets = [this.box.decrypt(webhook.secretEncrypted, aad(webhook.tenantId, webhook.id, 'secret'))];
    if (webhook.previousSecretEncrypted && webhook.previousSecretExpiresAt && webhook.previousSecretExpiresAt > now) {
      secrets.push(this.box.decrypt(webhook.previousSecretEncrypted, aad(webhook.tenantId, webhook.id, 'secret')));
    }
    return secrets;
  }

  currentSecret(webhook: WebhookEntity): string {
    return this.box.decrypt(webhook.secretEncrypted, aad(webhook.tenantId, webhook.id, 'secret'));
  }

  headers(webhook: WebhookEntity): Record<string, string> {
    if (!webhook.headersEncrypted) return {};
    return JSON.parse(this.box.decrypt(webhook.headersEncrypted, aad(webhook.tenantId, webhook.id, 'headers'))) as Record<string, string>;
  }
}
