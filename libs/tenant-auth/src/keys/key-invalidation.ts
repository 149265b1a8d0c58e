import type { CommonConfig } from '@chatbot/platform';

/** A message on the invalidation channel: drop cached keys by key id, or every key of a tenant. */
export type KeyInvalidation = { kind: 'key'; keyId: string } | { kind: 'tenant'; tenantId: string };

export function invalidationChannel(config: Pick<CommonConfig, 'REDIS_PREFIX'>): string {
  return `${config.REDIS_PREFIX}:tenancy:invalidate`;
}

export function parseInvalidation(raw: string): KeyInvalidation | null {
  try {
    const value = JSON.parse(raw) as Partial<KeyInvalidation>;
    if (value.kind === 'key' && typeof value.keyId === 'string') return { kind: 'key', keyId: value.keyId };
    if (value.kind === 'tenant' && typeof value.tenantId === 'string') return { kind: 'tenant', tenantId: value.tenantId };
  } catch {
    // ignore malformed messages
  }
  return null;
}
