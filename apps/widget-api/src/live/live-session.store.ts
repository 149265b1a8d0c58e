import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, REDIS } from '@chatbot/platform';
import type { Redis } from 'ioredis';
import type { WidgetApiConfig } from '../config/widget-api.config';
import type { LiveProvider } from './dto/live-session.dto';
import type { LiveLanguageCode } from './live-languages';

/** What the platform remembers of a Live session (in Redis, for exactly the session's lifetime). */
export interface LiveSessionRecord {
  sessionId: string;
  tenantId: string;
  agentId: string;
  provider: LiveProvider;
  languageCode: LiveLanguageCode;
  /** ISO 8601. */
  createdAt: string;
  expiresAt: string;
}

export type TokenConsumption =
  | { ok: true; session: LiveSessionRecord }
  | { ok: false; reason: 'unknown_or_expired' | 'already_used' };

const USED = 'used';

/**
 * Atomically reads a token key and marks it used (keeping its TTL): the first caller gets the session id, every later
 * caller gets `used`, and after the TTL nobody gets anything.
 */
const CONSUME_SCRIPT = `
local v = redis.call('GET', KEYS[1])
if v and v ~= '${USED}' then redis.call('SET', KEYS[1], '${USED}', 'KEEPTTL') end
return v`;

/**
 * Live sessions and their single-use connect tokens in Redis. A token is 32 random bytes (base64url) handed out once
 * in the websocketUrl; Redis keeps only its SHA-256, so a Redis dump cannot be replayed. Both keys expire with the
 * session.
 */
@Injectable()
export class LiveSessionStore {
  private readonly prefix: string;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) config: WidgetApiConfig,
  ) {
    this.prefix = `${config.REDIS_PREFIX}:widget:live`;
  }

  sessionKey(sessionId: string): string {
    return `${this.prefix}:session:${sessionId}`;
  }

  tokenKey(token: string): string {
    return `${this.prefix}:token:${hashToken(token)}`;
  }

  /** Stores the session; for platform sessions also mints its connect token (returned, never stored in clear). */
  async save(session: LiveSessionRecord, ttlSeconds: number, withToken: boolean): Promise<string | null> {
    const multi = this.redis.multi().set(this.sessionKey(session.sessionId), JSON.stringify(session), 'EX', ttlSeconds);
    let token: string | null = null;
    if (withToken) {
      token = randomBytes(32).toString('base64url');
      multi.set(this.tokenKey(token), session.sessionId, 'EX', ttlSeconds, 'NX');
    }
    const results = await multi.exec();
    const failed = results?.find(([err]) => err !== null);
    if (!results || failed) throw failed?.[0] ?? new Error('redis transaction aborted');
    return token;
  }

  async find(sessionId: string): Promise<LiveSessionRecord | null> {
    const raw = await this.redis.get(this.sessionKey(sessionId));
    return raw ? (JSON.parse(raw) as LiveSessionRecord) : null;
  }

  /** Single use: the first connect consumes the token; reuse and expiry are told apart while the session lives. */
  async consume(token: string): Promise<TokenConsumption> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return { ok: false, reason: 'unknown_or_expired' };
    const value = (await this.redis.eval(CONSUME_SCRIPT, 1, this.tokenKey(token))) as string | null;
    if (value === null) return { ok: false, reason: 'unknown_or_expired' };
    if (value === USED) return { ok: false, reason: 'already_used' };
    const session = await this.find(value);
    if (!session || Date.parse(session.expiresAt) <= Date.now()) return { ok: false, reason: 'unknown_or_expired' };
    return { ok: true, session };
  }

  /** Ends a session early (its token, if unused, stops working too since the session record is gone). */
  async end(sessionId: string): Promise<void> {
    await this.redis.del(this.sessionKey(sessionId));
  }
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
