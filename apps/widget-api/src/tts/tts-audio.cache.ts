import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, APP_LOGGER, type AppLogger, REDIS } from '@chatbot/platform';
import type { Redis } from 'ioredis';
import type { WidgetApiConfig } from '../config/widget-api.config';

/**
 * Stores one entry and keeps the cache under its byte cap. The index is a sorted set of `<hash>|<bytes>` scored by
 * expiry time (Redis clock): expired members only give their bytes back, and while the total would exceed the cap the
 * entry that expires first (the oldest) is deleted. Redis itself runs `noeviction`, so this is the only eviction.
 * KEYS: entry, index, byte counter. ARGV: value, ttl ms, cap bytes, size, hash, entry key prefix.
 */
const PUT_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function forget(member)
  local sep = string.find(member, '|', 1, true)
  redis.call('DECRBY', KEYS[3], tonumber(string.sub(member, sep + 1)))
  redis.call('ZREM', KEYS[2], member)
  return string.sub(member, 1, sep - 1)
end
for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do forget(member) end
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local size = tonumber(ARGV[4])
local cap = tonumber(ARGV[3])
if size > cap then return -1 end
local total = tonumber(redis.call('GET', KEYS[3]) or '0')
while total + size > cap do
  local oldest = redis.call('ZRANGE', KEYS[2], 0, 0)
  if #oldest == 0 then break end
  redis.call('DEL', ARGV[6] .. forget(oldest[1]))
  total = tonumber(redis.call('GET', KEYS[3]) or '0')
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[5] .. '|' .. ARGV[4])
redis.call('INCRBY', KEYS[3], size)
return 1
`;

/**
 * Content-hash cache of generated speech in Redis: `<prefix>:tts:a:<sha256>` → the serialized JSON response (so a hit
 * is sent as stored, without base64-encoding or serializing ~0.7 MB again), with a
 * TTL (TTS_CACHE_TTL_SECONDS) and a total byte cap (TTS_CACHE_MAX_BYTES). Redis trouble degrades to a miss: speech is
 * synthesised again, never refused because of the cache.
 */
@Injectable()
export class TtsAudioCache {
  private readonly prefix: string;
  private readonly ttlMs: number;
  private readonly maxBytes: number;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) config: WidgetApiConfig,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {
    this.prefix = `${config.REDIS_PREFIX}:tts:`;
    this.ttlMs = config.TTS_CACHE_TTL_SECONDS * 1000;
    this.maxBytes = config.TTS_CACHE_MAX_BYTES;
  }

  get enabled(): boolean {
    return this.maxBytes > 0;
  }

  async get(hash: string): Promise<Buffer | null> {
    if (!this.enabled) return null;
    try {
      return await this.redis.getBuffer(`${this.prefix}a:${hash}`);
    } catch (err) {
      this.logger.warn({ err: { message: (err as Error).message } }, 'tts cache read failed; synthesising');
      return null;
    }
  }

  async put(hash: string, value: Buffer): Promise<void> {
    if (!this.enabled) return;
    try {
      await this.redis.eval(
        PUT_SCRIPT,
        3,
        `${this.prefix}a:${hash}`,
        `${this.prefix}index`,
        `${this.prefix}bytes`,
        value,
        String(this.ttlMs),
        String(this.maxBytes),
        String(value.length),
        hash,
        `${this.prefix}a:`,
      );
    } catch (err) {
      this.logger.warn({ err: { message: (err as Error).message } }, 'tts cache write failed');
    }
  }
}
