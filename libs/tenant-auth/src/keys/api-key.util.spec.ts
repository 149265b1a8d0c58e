import { createHash } from 'node:crypto';
import { VISIBLE_PREFIX_LENGTH, generateApiKey, hashApiKey, looksLikeApiKey } from './api-key.util';

describe('API keys', () => {
  it('are long, random, recognisable, and hashed with SHA-256', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const { key, prefix, hash } = generateApiKey();
      expect(key).toMatch(/^cbk_[A-Za-z0-9]{43}$/);
      expect(looksLikeApiKey(key)).toBe(true);
      expect(prefix).toBe(key.slice(0, VISIBLE_PREFIX_LENGTH));
      expect(hash).toBe(createHash('sha256').update(key).digest('hex'));
      seen.add(key);
    }
    expect(seen.size).toBe(200);
  });

  it('rejects anything that is not shaped like a key before any lookup', () => {
    expect(looksLikeApiKey('')).toBe(false);
    expect(looksLikeApiKey('cbk_short')).toBe(false);
    expect(looksLikeApiKey(`sk_${'a'.repeat(44)}`)).toBe(false);
    expect(looksLikeApiKey(`cbk_${'a'.repeat(42)}!`)).toBe(false);
    expect(hashApiKey('a')).toHaveLength(64);
  });
});
