import type { Redis } from 'ioredis';
import type { AppLogger } from '../logging/logger';
import { createRedisClient } from './redis';

export interface InvalidatedCacheOptions<V = unknown> {
  /** Redis URL of the invalidation subscription. */
  redisUrl: string;
  /** Pub/sub channel; a message is a key to drop, or `prefix*` to drop every key starting with `prefix` (see `matcher`). */
  channel: string;
  /** Longest life of an entry; 0 disables the cache (every `get` misses). */
  ttlMs: number;
  /** Bound of the LRU. */
  maxEntries: number;
  /** Connection name, for logs and `CLIENT LIST`. */
  name: string;
  logger?: AppLogger;
  /**
   * For caches invalidated by something other than their key (API keys are looked up by hash but revoked by key id):
   * turns a message into the test of the entries it drops; null drops nothing. Replaces the key/prefix reading.
   */
  matcher?: (message: string) => ((key: string, value: V) => boolean) | null;
}

interface Entry<V> {
  value: V;
  expiresAt: number;
}

/**
 * An in-process LRU whose entries every instance drops as soon as someone publishes their key on a Redis channel.
 * It serves entries only while its subscription is live: while it is not (Redis down, reconnecting), every `get`
 * misses, so a missed invalidation can never keep a stale entry alive past the moment it is published. A load that
 * started before an invalidation does not fill the cache (`epoch`).
 *
 * Usage: `const epoch = cache.epoch; const v = await load(); cache.set(key, v, epoch);` and, after a change commits,
 * `await cache.publish(redis, key)`.
 */
export class InvalidatedCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly subscriber: Redis;
  private subscribed = false;
  private generation = 0;

  constructor(private readonly options: InvalidatedCacheOptions<V>) {
    this.subscriber = createRedisClient(options.redisUrl, options.name, options.logger, { enableOfflineQueue: true });
  }

  /** Bumped by every invalidation and reconnection. */
  get epoch(): number {
    return this.generation;
  }

  /** Whether entries are served (the subscription is live and the cache is enabled). */
  get live(): boolean {
    return this.subscribed && this.options.ttlMs > 0;
  }

  /** Connects and subscribes; resolves once entries can be served, or after `waitMs` (Redis down: bypassed). */
  async start(waitMs = 2000): Promise<void> {
    let onSubscribed: () => void = () => undefined;
    const subscribedOnce = new Promise<void>((resolve) => (onSubscribed = resolve));
    this.subscriber.on('message', (_channel: string, message: string) => this.drop(message));
    this.subscriber.on('ready', () => {
      this.clear(); // whatever was published while we were away is unknown
      this.subscriber.subscribe(this.options.channel).then(
        () => {
          this.subscribed = true;
          onSubscribed();
        },
        () => (this.subscribed = false),
      );
    });
    this.subscriber.on('close', () => {
      this.subscribed = false;
      this.clear();
    });
    try {
      await this.subscriber.connect();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([subscribedOnce, new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
      clearTimeout(timer);
    } catch (err) {
      this.options.logger?.warn({ err: { message: (err as Error).message }, cache: this.options.name }, 'cache bypassed: redis unavailable');
    }
  }

  stop(): void {
    this.subscribed = false;
    this.subscriber.disconnect();
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (!this.live || entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    // LRU: most recently used last (a Map keeps insertion order).
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Keeps `value` unless an invalidation happened since `epoch` (read before loading it). */
  set(key: string, value: V, epoch: number): void {
    if (!this.live || epoch !== this.generation) return;
    this.entries.delete(key);
    while (this.entries.size >= this.options.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, expiresAt: Date.now() + this.options.ttlMs });
  }

  /** Drops `key` here (or every key starting with `prefix` for `prefix*`; or what `matcher` says). Other instances: `publish`. */
  drop(message: string): void {
    this.generation++;
    if (this.options.matcher) {
      const hit = this.options.matcher(message);
      if (hit) for (const [key, entry] of [...this.entries]) if (hit(key, entry.value)) this.entries.delete(key);
    } else if (message.endsWith('*')) {
      const prefix = message.slice(0, -1);
      for (const key of [...this.entries.keys()]) if (key.startsWith(prefix)) this.entries.delete(key);
    } else {
      this.entries.delete(message);
    }
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
  }

  /**
   * Drops the key here at once and on every instance (through `publisher`, a client that is not in subscriber mode).
   * A failed publish is logged, not thrown: the change is committed, and other instances' entries expire after `ttlMs`.
   */
  async publish(publisher: Redis, message: string): Promise<void> {
    this.drop(message);
    try {
      await publisher.publish(this.options.channel, message);
    } catch (err) {
      this.options.logger?.warn({ err: { message: (err as Error).message }, cache: this.options.name }, 'cache invalidation not published');
    }
  }
}
