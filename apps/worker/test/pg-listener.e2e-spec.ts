import { type IsolatedEnvironment, TcpProxy, isolatedEnvironment, waitFor } from '@chatbot/testing';
import { Client } from 'pg';
import type { WorkerConfig } from '../src/config/worker.config';
import { PgListener } from '../src/notifications/pg-listener';

const HEARTBEAT_MS = 100;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The worker's shared LISTEN connection against real Postgres, through a loopback TCP proxy: it delivers, proves it
 * still delivers (heartbeats), and replaces a connection that was killed or went silent.
 */
describe('PgListener (real Postgres)', () => {
  let env: IsolatedEnvironment;
  let proxy: TcpProxy;
  let notifier: Client;
  let listener: PgListener;
  const received: string[] = [];
  let listenings = 0;
  /** DATABASE_URL through the proxy. */
  let proxiedUrl = '';

  beforeAll(async () => {
    env = await isolatedEnvironment();
    const target = new URL(env.env['DATABASE_URL']!);
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    await proxy.start();
    const proxied = new URL(target);
    proxied.port = String(proxy.port);
    proxiedUrl = proxied.toString();
    notifier = new Client({ connectionString: env.env['DATABASE_URL'] });
    await notifier.connect();
    listener = new PgListener({ DATABASE_URL: proxiedUrl, PG_LISTEN_HEARTBEAT_MS: HEARTBEAT_MS } as WorkerConfig);
    listener.subscribe('pg_listener_test', (payload) => received.push(payload));
    listener.onListening(() => (listenings += 1));
    listener.onApplicationBootstrap();
    await waitFor(() => listener.listeningSince !== null, { intervalMs: 10, what: 'the first connection' });
  });

  afterAll(async () => {
    await listener?.beforeApplicationShutdown();
    await notifier?.end();
    await proxy?.cut();
    await env?.drop();
  });

  /** Notifies `payload` and waits until the listener's subscriber has it. */
  const roundTrip = async (payload: string): Promise<void> => {
    await notifier.query(`SELECT pg_notify('pg_listener_test', $1)`, [payload]);
    await waitFor(() => received.includes(payload), { intervalMs: 10, what: `notification ${payload}` });
  };

  const listenBackends = async (): Promise<number[]> =>
    (
      await notifier.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'worker:listen'`,
      )
    ).rows.map((row) => row.pid);

  it('delivers notifications; heartbeats keep confirming, never ahead of the clock', async () => {
    expect(listenings).toBe(1);
    await roundTrip('one');
    const since = listener.listeningSince!;
    const before = performance.now();
    await sleep(5 * HEARTBEAT_MS);
    const confirmed = listener.confirmedUpTo!;
    expect(confirmed).toBeGreaterThan(before); // a heartbeat sent after `before` came back
    expect(confirmed).toBeLessThanOrEqual(performance.now());
    expect(listener.listeningSince).toBe(since);
    expect(() => listener.subscribe('late_channel', () => undefined)).toThrow(/before the application starts/);
  });

  it('a killed connection is replaced: a new listening time, onListening again, notifications flow again', async () => {
    const [pid] = await listenBackends();
    const since = listener.listeningSince!;
    await notifier.query(`SELECT pg_terminate_backend($1)`, [pid]);
    await waitFor(() => listener.listeningSince !== null && listener.listeningSince > since, { intervalMs: 10, what: 'a new connection' });
    expect(listenings).toBe(2);
    expect(await listenBackends()).not.toContain(pid);
    await roundTrip('after-kill');
  });

  it('a connection that goes silent (no FIN) is given up after five unanswered heartbeats and replaced', async () => {
    await roundTrip('before-freeze');
    const [frozenPid] = await listenBackends();
    const since = listener.listeningSince!;
    const frozenAt = performance.now();
    proxy.freeze();
    // Meanwhile nothing vouches for the silent connection past the moment it froze.
    await sleep(2 * HEARTBEAT_MS);
    const confirmedWhileFrozen = listener.confirmedUpTo;
    expect(confirmedWhileFrozen === null || confirmedWhileFrozen <= frozenAt).toBe(true);
    await waitFor(() => listener.listeningSince !== null && listener.listeningSince > since, { intervalMs: 10, what: 'a replacement connection' });
    const gaveUpAfter = listener.listeningSince! - frozenAt;
    expect(gaveUpAfter).toBeGreaterThanOrEqual(4 * HEARTBEAT_MS);
    expect(gaveUpAfter).toBeLessThan(40 * HEARTBEAT_MS);
    expect(listenings).toBe(3);
    await roundTrip('after-freeze');
    // Postgres still holds the silent connection's backend (it saw no FIN either); end it, as TCP keepalive would.
    await notifier.query(`SELECT pg_terminate_backend($1)`, [frozenPid]);
  });

  it('shutdown waits at most the close bound for a silent connection with no query running (pg alone would wait for a FIN forever)', async () => {
    // A heartbeat interval longer than the test: no heartbeat is in flight, so pg's end() would wait for a FIN forever.
    const idle = new PgListener({ DATABASE_URL: proxiedUrl, PG_LISTEN_HEARTBEAT_MS: 600_000 } as WorkerConfig);
    idle.subscribe('pg_listener_idle', () => undefined);
    idle.onApplicationBootstrap();
    await waitFor(() => idle.listeningSince !== null, { intervalMs: 10, what: 'the idle listener' });
    const before = new Set(await listenBackends());
    proxy.freeze();
    const started = performance.now();
    await idle.beforeApplicationShutdown();
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(1500); // it did try to close politely first
    expect(took).toBeLessThan(5000);
    expect(idle.listeningSince).toBeNull();
    // Postgres never saw a FIN through the frozen proxy; end its backends (the main listener's too: it was frozen as well).
    for (const pid of before) await notifier.query(`SELECT pg_terminate_backend($1)`, [pid]);
    await waitFor(async () => (await listenBackends()).length === 1, { intervalMs: 20, what: "the main listener's replacement" });
  });

  it('after shutdown it does not reconnect', async () => {
    await listener.beforeApplicationShutdown();
    expect(listener.listeningSince).toBeNull();
    await sleep(1200);
    expect(await listenBackends()).toEqual([]);
  });
});
