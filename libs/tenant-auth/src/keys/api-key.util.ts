import { createHash, randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const API_KEY_PREFIX = 'cbk_';
const BODY_LENGTH = 43; // ~256 bits of base62
export const VISIBLE_PREFIX_LENGTH = API_KEY_PREFIX.length + 8;

function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // Rejection sampling keeps every character equally likely.
      if (byte < 248 && out.length < length) out += ALPHABET[byte % 62];
    }
  }
  return out;
}

export function generateApiKey(): { key: string; prefix: string; hash: string } {
  const key = API_KEY_PREFIX + randomBase62(BODY_LENGTH);
  return { key, prefix: key.slice(0, VISIBLE_PREFIX_LENGTH), hash: hashApiKey(key) };
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Cheap shape check before any lookup: anything else is certainly not one of our keys. */
export function looksLikeApiKey(value: string): boolean {
  return value.length === API_KEY_PREFIX.length + BODY_LENGTH && value.startsWith(API_KEY_PREFIX) && /^[A-Za-z0-9_]+$/.test(value);
}
