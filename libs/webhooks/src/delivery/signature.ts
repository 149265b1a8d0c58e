// Standard Webhooks (https://www.standardwebhooks.com) signing, verifiable by any of its libraries.
import { type KeyObject, createHmac, createSecretKey, randomBytes } from 'node:crypto';

const SECRET_PREFIX = 'whsec_';

/** What gets signed: the message id (stable across retries), the send time and the exact body bytes. */
export interface SignParams {
  msgId: string;
  /** Unix time in seconds. */
  timestamp: number;
  body: string;
  /** Every secret currently valid (two during a rotation): one signature each. */
  secrets: readonly string[];
}

/** The three Standard Webhooks request headers. */
export type WebhookSignatureHeaders = Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string>;

/** A new signing secret: `whsec_` + base64 of 32 random bytes. */
export function generateWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

const KEY_CACHE_LIMIT = 10_000;
/** Decoded HMAC keys by secret: every delivery signs, and decoding plus key setup cost more than the HMAC itself. */
const keyCache = new Map<string, KeyObject>();

function secretKey(secret: string): KeyObject {
  const cached = keyCache.get(secret);
  if (cached) return cached;
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const raw = Buffer.from(encoded, 'base64');
  if (raw.length === 0) throw new Error('webhook signing secret is empty or not base64');
  const key = createSecretKey(raw);
  if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.clear();
  keyCache.set(secret, key);
  return key;
}

/** `v1,<base64 HMAC-SHA256 of "msgId.timestamp.body">` per secret, space-separated. Throws without a secret. */
export function signWebhook({ msgId, timestamp, body, secrets }: SignParams): string {
  if (secrets.length === 0) throw new Error('no webhook signing secret');
  if (!Number.isSafeInteger(timestamp)) throw new Error('webhook timestamp must be whole unix seconds');
  const content = `${msgId}.${timestamp}.${body}`;
  return secrets
    .map((secret) => `v1,${createHmac('sha256', secretKey(secret)).update(content, 'utf8').digest('base64')}`)
    .join(' ');
}

/** The `webhook-id`, `webhook-timestamp` and `webhook-signature` headers for one request. */
export function webhookHeaders(params: SignParams): WebhookSignatureHeaders {
  return {
    'webhook-id': params.msgId,
    'webhook-timestamp': String(params.timestamp),
    'webhook-signature': signWebhook(params),
  };
}
