import { type ConfigOf, envVar, intSchema as int } from '@chatbot/platform';
import { z } from 'zod';

/** Webhook delivery settings, shared by business-api (test sends) and the worker (deliveries). */
export const webhookDeliveryEnvSchema = {
  WEBHOOK_TIMEOUT_MS: envVar(int(100, 60000), {
    default: '15000',
    description: 'Timeout of one webhook delivery attempt (connect + response), in ms.',
  }),
  WEBHOOK_MAX_RESPONSE_BYTES: envVar(int(0, 1048576), {
    default: '20480',
    description: 'How much of a receiver response body is read and kept in the delivery log.',
  }),
  WEBHOOK_SSRF_PROTECTION: envVar(z.enum(['auto', 'on', 'off'], { message: 'must be auto, on or off' }), {
    default: 'auto',
    description:
      'Refuse webhook deliveries to private, loopback, link-local and metadata addresses. auto = on when NODE_ENV=production.',
  }),
  WEBHOOK_SSRF_ALLOWLIST: envVar(z.string(), {
    default: '',
    description: 'Comma-separated CIDRs, IPs or hostnames webhooks may reach despite the SSRF guard (development, on-prem receivers).',
  }),
  WEBHOOK_RETRY_AFTER_MAX_MS: envVar(int(0, 86400000), {
    default: '3600000',
    description: 'Longest Retry-After a receiver may ask for; longer values are clamped.',
  }),
  WEBHOOK_AUTO_DISABLE_AFTER_MS: envVar(int(1000, 90 * 86400000), {
    default: String(5 * 86400000),
    description: 'A webhook failing continuously this long (and at least WEBHOOK_AUTO_DISABLE_MIN_FAILURES times) is disabled.',
  }),
  WEBHOOK_AUTO_DISABLE_MIN_FAILURES: envVar(int(1, 100000), {
    default: '10',
    description: 'Consecutive failed attempts needed, besides the period, before a webhook is disabled.',
  }),
  WEBHOOK_SECRET_ROTATION_OVERLAP_MS: envVar(int(0, 30 * 86400000), {
    default: '86400000',
    description: 'After rotate-secret, how long the old secret keeps signing beside the new one.',
  }),
} as const;

export type WebhookDeliveryConfig = ConfigOf<typeof webhookDeliveryEnvSchema> & { NODE_ENV: 'development' | 'test' | 'production' };

export function ssrfPolicyFrom(config: WebhookDeliveryConfig): { enabled: boolean; allowlist: string[] } {
  const enabled = config.WEBHOOK_SSRF_PROTECTION === 'on' || (config.WEBHOOK_SSRF_PROTECTION === 'auto' && config.NODE_ENV === 'production');
  const allowlist = config.WEBHOOK_SSRF_ALLOWLIST.split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  return { enabled, allowlist };
}
