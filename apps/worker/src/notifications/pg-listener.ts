import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG } from '@chatbot/platform';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { WorkerConfig } from '../config/worker.config';

const CHANNEL_NAME = /^[a-z_][a-z0-9_]*$/;
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 10_000;
/** A heartbeat unanswered for this many intervals replaces the connection. */
const HEARTBEAT_TIMEOUTS = 5;
/** A connection given up gets this long to close politely (Terminate, FIN answered); then its socket is destroyed. */
const CLOSE_TIMEOUT_MS = 2000;

/** What a consumer may rely on about the notifications it has seen (times are `performance.now()` of this process). */
export interface NotificationFeed {
  /**
   * Every notification committed before this time has reached the subscribers: when the last heartbeat that came back
   * was sent, on a connection listening without a break since `listeningSince`. Null while there is none.
   */
  readonly confirmedUpTo: number | null;
  /** When the current connection started listening on every channel; null while there is none. */
  readonly listeningSince: number | null;
}

/**
 * The worker's one LISTEN connection, shared by every channel it needs (outbox wake-ups, webhook changes).
 *
 * - Consumers subscribe before the application starts (from their constructors); the connection opens at bootstrap.
 * - A lost connection is replaced with backoff (0.5 s doubling to 10 s); `onListening` handlers run after every
 *   (re)connection, so a consumer can catch up on what it may have missed (notifications are not queued for a client
 *   that is gone).
 * - A heartbeat proves the connection still delivers: every `PG_LISTEN_HEARTBEAT_MS` the connection notifies a channel
 *   of its own. Postgres delivers notifications in commit order, so when the heartbeat comes back, everything committed
 *   before it was sent has reached the subscribers (`confirmedUpTo`). A heartbeat that fails, or has not come back
 *   after five intervals, replaces the connection (a half-open TCP connection would otherwise look healthy and
 *   deliver nothing).
 */
@Injectable()
export class PgListener implements NotificationFeed, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly handlers = new Map<string, ((payload: string) => void)[]>();
  private readonly listeningHandlers: (() => void)[] = [];
  private client: Client | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  /** The heartbeat in flight: its sequence number (the NOTIFY payload) and when it was sent. */
  private heartbeat: { seq: string; sentAt: number } | null = null;
  private heartbeatSeq = 0;
  /** This process's own channel: nobody else listens on it, so heartbeats cost other listeners nothing. */
  private readonly heartbeatChannel = `worker_heartbeat_${randomBytes(8).toString('hex')}`;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Delay before the next connection attempt: doubles after each failed one, back to the first after a success. */
  private retryMs = FIRST_RETRY_MS;
  private started = false;
  private stopped = false;
  private _listeningSince: number | null = null;
  private _confirmedUpTo: number | null = null;

  constructor(@Inject(APP_CONFIG) private readonly config: WorkerConfig) {}

  get listeningSince(): number | null {
    return this._listeningSince;
  }

  get confirmedUpTo(): number | null {
    return this._confirmedUpTo;
  }

  /** `handler` gets the payload of every notification on `channel` (a lower-case SQL identifier). */
  subscribe(channel: string, handler: (payload: string) => void): void {
    if (!CHANNEL_NAME.test(channel)) throw new Error(`not a channel name: ${channel}`);
    if (this.started) throw new Error('PgListener: subscribe before the application starts');
    this.handlers.set(channel, [...(this.handlers.get(channel) ?? []), handler]);
  }

  /** `handler` runs each time a connection has started listening on every channel (the first time too). */
  onListening(handler: () => void): void {
    this.listeningHandlers.push(handler);
  }

  onApplicationBootstrap(): void {
    this.started = true;
    if (this.handlers.size > 0) void this.connect();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    await this.lost(this.client);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    // A heartbeat is a transaction of its own: it need not wait for a WAL flush (nothing in it has to survive a crash).
    const client = new Client({
      connectionString: this.config.DATABASE_URL,
      application_name: 'worker:listen',
      keepAlive: true,
      options: '-c synchronous_commit=off',
    });
    this.client = client;
    client.on('notification', (msg) => {
      if (this.client !== client) return;
      if (msg.channel === this.heartbeatChannel) return this.heartbeatArrived(msg.payload ?? '');
      for (const handler of this.handlers.get(msg.channel) ?? []) handler(msg.payload ?? '');
    });
    client.on('error', () => void this.lost(client));
    client.on('end', () => void this.lost(client));
    try {
      await client.connect();
      for (const channel of [...this.handlers.keys(), this.heartbeatChannel]) await client.query(`LISTEN ${channel}`);
      if (this.client !== client || this.stopped) return;
      this.retryMs = FIRST_RETRY_MS;
      const now = performance.now();
      this._listeningSince = now;
      this._confirmedUpTo = now;
      this.heartbeatTimer = setInterval(() => this.beat(client), this.config.PG_LISTEN_HEARTBEAT_MS);
      this.heartbeatTimer.unref();
      for (const handler of this.listeningHandlers) handler();
    } catch {
      void this.lost(client);
    }
  }

  /** Sends a heartbeat on the listening connection, or gives the connection up if the last one went unanswered. */
  private beat(client: Client): void {
    const now = performance.now();
    if (this.heartbeat !== null) {
      if (now - this.heartbeat.sentAt > HEARTBEAT_TIMEOUTS * this.config.PG_LISTEN_HEARTBEAT_MS) void this.lost(client);
      return;
    }
    const seq = String(++this.heartbeatSeq);
    this.heartbeat = { seq, sentAt: now };
    client.query(`NOTIFY ${this.heartbeatChannel}, '${seq}'`).catch(() => void this.lost(client));
  }

  private heartbeatArrived(payload: string): void {
    if (this.heartbeat?.seq !== payload) return;
    this._confirmedUpTo = this.heartbeat.sentAt;
    this.heartbeat = null;
  }

  /** Forgets `client` (if it is the current one), schedules its replacement unless stopping; resolves once it is closed. */
  private lost(client: Client | undefined): Promise<void> {
    if (!client || this.client !== client) return Promise.resolve();
    this.client = undefined;
    this._listeningSince = null;
    this._confirmedUpTo = null;
    this.heartbeat = null;
    clearInterval(this.heartbeatTimer);
    const closed = closeWithin(client, CLOSE_TIMEOUT_MS);
    if (this.stopped) return closed;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    return closed;
  }
}

/**
 * Ends a connection that may still be open (a heartbeat timed out, LISTEN failed, shutdown); the socket may be gone
 * already. pg's `end()` waits for the server's FIN, which a half-open connection never sends (pg destroys the socket
 * itself only while a query is running): after `ms` the socket is destroyed, so neither shutdown nor the socket waits
 * for TCP keepalive.
 */
function closeWithin(client: Client, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      client.connection.stream.destroy();
      resolve();
    }, ms);
    void client
      .end()
      .catch(() => undefined)
      .finally(() => {
        clearTimeout(timer);
        resolve();
      });
  });
}
