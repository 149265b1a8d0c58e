import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, APP_LOGGER, type AppLogger, REDIS } from '@chatbot/platform';
import type { Redis } from 'ioredis';
import type { WidgetApiConfig } from '../config/widget-api.config';

const WINDOW_MS = 60_000;
/** How often local counts are pushed to (and the shared totals read back from) Redis. */
export const RATE_LIMIT_SYNC_MS = 200;
/** Above this many tracked IPs in one window the local table starts over (Redis keeps the true counts). */
const MAX_TRACKED_IPS = 200_000;

/** The Redis key holding every instance's hits of `ip` in the fixed window that contains `now`. */
export function rateLimitKey(redisPrefix: string, ip: string, now = Date.now()): string {
  return `${redisPrefix}:widget:rl:${Math.floor(now / WINDOW_MS)}:${ip}`;
}

interface Counter {
  window: number;
  /** The shared count (all instances) as Redis last answered, our own flushed hits included. */
  shared: number;
  /** Hits sent to Redis, answer not back yet. */
  inFlight: number;
  /** Hits not yet sent. */
  pending: number;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * Per-IP fixed window (`WIDGET_CONFIG_RATE_LIMIT` per minute), counted in-process and shared through Redis.
 *
 * The request path does no I/O: it compares `shared + inFlight + pending` with the limit. Every 200 ms the hits of
 * each active IP are flushed in one pipeline (`INCRBY` + `PEXPIRE` per IP) and the answer, the total of every
 * instance, becomes the new `shared`. So one instance is exact; N instances may together admit up to about
 * N × (one sync interval of traffic) more than the limit before all of them see the shared total — the price of
 * keeping Redis off the hot path. If Redis is down the limiter keeps counting locally (fails open for the shared part).
 */
@Injectable()
export class IpRateLimiter implements OnModuleInit, OnApplicationShutdown {
  private counters = new Map<string, Counter>();
  private readonly dirty = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private flushing = false;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: WidgetApiConfig,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  onModuleInit(): void {
    if (this.config.WIDGET_CONFIG_RATE_LIMIT === 0) return;
    this.timer = setInterval(() => void this.flush(), RATE_LIMIT_SYNC_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  hit(ip: string, now = Date.now()): RateDecision {
    const limit = this.config.WIDGET_CONFIG_RATE_LIMIT;
    if (limit === 0) return { allowed: true };
    const window = Math.floor(now / WINDOW_MS);
    let counter = this.counters.get(ip);
    if (!counter || counter.window !== window) {
      if (this.counters.size >= MAX_TRACKED_IPS) this.startOver(window);
      counter = { window, shared: 0, inFlight: 0, pending: 0 };
      this.counters.set(ip, counter);
    }
    if (counter.shared + counter.inFlight + counter.pending >= limit) {
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(((window + 1) * WINDOW_MS - now) / 1000)) };
    }
    counter.pending++;
    this.dirty.add(ip);
    return { allowed: true };
  }

  private startOver(window: number): void {
    const kept = new Map<string, Counter>();
    for (const [ip, counter] of this.counters) if (counter.window === window) kept.set(ip, counter);
    this.counters = kept.size >= MAX_TRACKED_IPS ? new Map<string, Counter>() : kept;
  }

  /** Pushes pending hits to Redis and reads back the shared totals. */
  async flush(): Promise<void> {
    if (this.flushing || this.dirty.size === 0) return;
    this.flushing = true;
    const batch: { ip: string; counter: Counter; n: number }[] = [];
    for (const ip of this.dirty) {
      const counter = this.counters.get(ip);
      if (!counter || counter.pending === 0) continue;
      batch.push({ ip, counter, n: counter.pending });
      counter.inFlight += counter.pending;
      counter.pending = 0;
    }
    this.dirty.clear();
    try {
      const pipeline = this.redis.pipeline();
      for (const { ip, counter, n } of batch) {
        const key = rateLimitKey(this.config.REDIS_PREFIX, ip, counter.window * WINDOW_MS);
        pipeline.incrby(key, n).pexpire(key, WINDOW_MS + 5_000);
      }
      const results = (await pipeline.exec()) ?? [];
      batch.forEach(({ counter, n }, i) => {
        counter.inFlight -= n;
        const [err, total] = results[i * 2] ?? [new Error('no reply'), null];
        if (err || typeof total !== 'number') counter.pending += n;
        else counter.shared = Math.max(counter.shared + n, total);
      });
    } catch (err) {
      // Redis unavailable: keep the hits as pending (still counted locally) and retry on the next tick.
      for (const { ip, counter, n } of batch) {
        counter.inFlight -= n;
        counter.pending += n;
        this.dirty.add(ip);
      }
      this.logger.debug({ err: { message: (err as Error).message } }, 'widget config rate limiter: redis sync failed');
    } finally {
      this.flushing = false;
    }
  }
}
