import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { dropDatabase, withDatabase } from '@chatbot/database';
import { freePort, request, testEnv, waitFor } from '@chatbot/testing';

const START = path.resolve(__dirname, '../../../scripts/start.js');

function run(env: Record<string, string | undefined>): { child: ChildProcessWithoutNullStreams; out: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [START], { env: env });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return { child, out: () => out, exit: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
}

describe('npm start (scripts/start.js, built output)', () => {
  it('says which dependency is unreachable, where it looked, and how to start it', async () => {
    const closed = await freePort();
    const pg = run({ ...testEnv(), DATABASE_URL: `postgres://postgres@127.0.0.1:${closed}/chatbot` });
    expect(await pg.exit).toBe(1);
    expect(pg.out()).toContain(`PostgreSQL is not reachable at postgres://postgres@127.0.0.1:${closed}/postgres`);
    expect(pg.out()).toContain('docker compose up -d postgres redis');

    const redis = run({ ...testEnv(), REDIS_URL: `redis://127.0.0.1:${closed}` });
    expect(await redis.exit).toBe(1);
    expect(redis.out()).toContain(`Redis is not reachable at redis://127.0.0.1:${closed}`);
    expect(redis.out()).toContain('docker compose up -d postgres redis');
  });

  it('creates the database, migrates, seeds the demo tenant, serves every app, and stops on SIGINT', async () => {
    const database = withDatabase(process.env['DATABASE_URL']!, `chatbot_test_start_${randomBytes(4).toString('hex')}`);
    const ports = { WIDGET_API_PORT: await freePort(), BUSINESS_API_PORT: await freePort(), AGENTS_API_PORT: await freePort(), WORKER_PORT: await freePort() };
    const started = run({
      ...testEnv(),
      LOG_LEVEL: 'warn',
      DATABASE_URL: database,
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    });
    try {
      await waitFor(() => started.out().includes('Chatbot platform is running.'), { timeoutMs: 25000, intervalMs: 100, what: 'start banner' });
      const out = started.out();
      expect(out).toContain('created the database');
      expect(out).not.toContain('NOT READY');
      const key = /Demo API key:\s+(cbk_\S+)/.exec(out)?.[1];
      expect(key).toBeDefined();
      const overview = await request<{ tier: string }>('GET', `http://127.0.0.1:${ports.WIDGET_API_PORT}/api/plan/overview`, { key: key! });
      expect(overview.status).toBe(200);
      expect(overview.body.tier).toBe('business');
      for (const port of Object.values(ports)) {
        expect((await request('GET', `http://127.0.0.1:${port}/health/ready`)).status).toBe(200);
      }
      for (const port of [ports.WIDGET_API_PORT, ports.BUSINESS_API_PORT, ports.AGENTS_API_PORT]) {
        expect(out).toContain(`http://127.0.0.1:${port}/docs`);
      }
      started.child.kill('SIGINT');
      expect(await started.exit).toBe(0);
      await expect(fetch(`http://127.0.0.1:${ports.AGENTS_API_PORT}/health/live`)).rejects.toThrow();
    } finally {
      if (started.child.exitCode === null) started.child.kill('SIGKILL');
      await dropDatabase(database);
    }
  });
});
