import { SecretBox, type TenantId } from '@chatbot/tenant-auth';
import type { WebhookEntity } from './entities/webhook.entity';

/** Associated data binding each encrypted field to its webhook row: a ciphertext copied elsewhere will not decrypt. */
const aad = (tenantId: string, webhookId: string, field: 'secret' | 'headers') => `${tenantId}:webhook:${webhookId}:${field}`;

interface Decrypted {
  current: string;
  previous: string | null;
  headers: Record<string, string>;
}

const CACHE_LIMIT = 10_000;

export class WebhookSecrets {
  /** Decrypted values keyed by the ciphertexts themselves: any change to a secret or header is a new key. */
  private readonly cache = new Map<string, Decrypted>();

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
    const decrypted = this.decrypted(webhook);
    const inOverlap = decrypted.previous !== null && webhook.previousSecretExpiresAt !== null && webhook.previousSecretExpiresAt > now;
    return inOverlap ? [decrypted.current, decrypted.previous!] : [decrypted.current];
  }

  currentSecret(webhook: WebhookEntity): string {
    return this.decrypted(webhook).current;
  }

  headers(webhook: WebhookEntity): Record<string, string> {
    return { ...this.decrypted(webhook).headers };
  }

  private decrypted(webhook: WebhookEntity): Decrypted {
    const key = `${webhook.id}|${webhook.secretEncrypted}|${webhook.previousSecretEncrypted ?? ''}|${webhook.headersEncrypted ?? ''}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const value: Decrypted = {
      current: this.box.decrypt(webhook.secretEncrypted, aad(webhook.tenantId, webhook.id, 'secret')),
      previous: webhook.previousSecretEncrypted ? this.box.decrypt(webhook.previousSecretEncrypted, aad(webhook.tenantId, webhook.id, 'secret')) : null,
      headers: webhook.headersEncrypted
        ? (JSON.parse(this.box.decrypt(webhook.headersEncrypted, aad(webhook.tenantId, webhook.id, 'headers'))) as Record<string, string>)
        : {},
    };
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(key, value);
    return value;
  }
}
