import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import path from 'node:path';
import { freePort, testEnv, waitFor } from '@chatbot/testing';

const ROOT = path.resolve(__dirname, '../../..');
const APPS = [
  { name: 'widget-api', portVar: 'WIDGET_API_PORT' },
  { name: 'business-api', portVar: 'BUSINESS_API_PORT' },
  { name: 'agents-api', portVar: 'AGENTS_API_PORT' },
  { name: 'worker', portVar: 'WORKER_PORT' },
] as const;

interface Started {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startProcess(app: string, env: Record<string, string | undefined>): Started {
  const child = spawn(process.execPath, [path.join(ROOT, 'apps', app, 'dist/main.js')], { env: env });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exit };
}

describe('services as real processes (built output)', () => {
  it.each(APPS)('$name refuses to start on bad config and names every bad variable', async ({ name, portVar }) => {
    const started = startProcess(name, {
      ...testEnv(),
      DATABASE_URL: 'mysql://nope',
      [portVar]: 'eighty',
      LOG_LEVEL: 'loud',
      REDIS_PREFIX: 'has spaces',
    });
    const { code } = await started.exit;
    expect(code).toBe(78);
    const message = started.stderr();
    expect(message).toContain('invalid configuration, refusing to start');
    for (const variable of ['DATABASE_URL', portVar, 'LOG_LEVEL', 'REDIS_PREFIX']) expect(message).toContain(`${variable}:`);
    expect(message).not.toContain('mysql://nope'); // secrets are not echoed
  });

  it('refuses production without SECRETS_MASTER_KEYS', async () => {
    const started = startProcess('agents-api', { ...testEnv(), NODE_ENV: 'production', SECRETS_MASTER_KEYS: '' });
    expect((await started.exit).code).toBe(78);
    expect(started.stderr()).toContain('SECRETS_MASTER_KEYS: is required when NODE_ENV=production');
  });

  it.each(APPS)('$name boots, logs JSON with a request id, and exits 0 on SIGTERM', async ({ name, portVar }) => {
    const port = await freePort();
    const started = startProcess(name, { ...testEnv(), LOG_LEVEL: 'info', [portVar]: String(port), HOST: '127.0.0.1' });
    try {
      await waitFor(
        async () => {
          try {
            return (await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200;
          } catch {
            return false;
          }
        },
        { timeoutMs: 20000, intervalMs: 100, what: `${name} ready` },
      );
      const res = await fetch(`http://127.0.0.1:${port}/health/live`, { headers: { 'x-request-id': `probe-${name}` } });
      expect(res.status).toBe(200);
      started.child.kill('SIGTERM');
      const { code } = await started.exit;
      expect(code).toBe(0);
      const lines = started
        .stdout()
        .split('\n')
        .filter((line) => line.trim())
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines.every((line) => line['service'] === name && typeof line['level'] === 'string' && typeof line['time'] === 'string')).toBe(true);
      expect(lines.some((line) => line['reqId'] === `probe-${name}`)).toBe(true);
      expect(lines.some((line) => line['msg'] === 'shutdown complete')).toBe(true);
    } finally {
      if (started.child.exitCode === null) started.child.kill('SIGKILL');
    }
  });
});
