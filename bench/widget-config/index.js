#!/usr/bin/env node
'use strict';
/*
 * bench/widget-config: cache-hit throughput and latency of the public `GET /api/widget/config`, beside a bare Fastify
 * route serving the same bytes (same body, same headers) in the same run, with the same client.
 *
 *   - fresh database (migrated with scripts/migrate.js) and Redis prefix; widget-api (built,
 *     `apps/widget-api/dist/main.js`) in a child process, `LOG_LEVEL=warn`, `WIDGET_CONFIG_RATE_LIMIT` high (the
 *     limiter stays on the path, it just never says no);
 *   - one chatbot projected the way production does it: an `agent_updated` job on the `widget-projection` queue,
 *     consumed by widget-api itself;
 *   - the bare baseline is Fastify (no Nest, no logger, no hooks) in a child process answering the exact response
 *     bytes and headers widget-api sent;
 *   - load: closed loop, BENCH_CONCURRENCY requests in flight over an undici keep-alive Pool, BENCH_SECONDS per
 *     measurement, alternating widget-api / bare for BENCH_ROUNDS rounds; throughput, p50/p99 and server CPU per
 *     request per run; medians reported, ratio = widget-api req/s ÷ bare req/s of the same round.
 *
 * Run: `npm run bench -- widget-config` (builds first). Everything it creates (database chatbot_bench_*, Redis keys
 * under a unique prefix, child processes) is removed at the end, also on failure or Ctrl-C.
 */
const { randomUUID } = require('node:crypto');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const ROOT = path.resolve(__dirname, '..', '..');
const { ChildProcesses, cpuSeconds, createLog, deleteRedisKeys, dropDatabase, fmt, freePort, median, num, percentile, sleep } = require('../lib/common');
const SETTINGS = {
  rounds: num('BENCH_ROUNDS', 5),
  seconds: num('BENCH_SECONDS', 8),
  concurrency: num('BENCH_CONCURRENCY', 32),
  warmupSeconds: num('BENCH_WARMUP_SECONDS', 3),
  deadlineMs: num('BENCH_DEADLINE_SECONDS', 600) * 1000,
};
const TARGET_RATIO = 0.7;
const BASE_DB_URL = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379';

const log = createLog();

// ---------------------------------------------------------------------------------------------------------------
// processes

const procs = new ChildProcesses('widget-config');

// ---------------------------------------------------------------------------------------------------------------
// load (this process): closed loop over an undici keep-alive pool

async function closedLoop(pool, requestOptions, concurrency, seconds, pid) {
  const latencies = [];
  let errors = 0;
  let firstError = '';
  const cpu0 = pid ? cpuSeconds(pid) : NaN;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        try {
          const res = await pool.request(requestOptions);
          await res.body.arrayBuffer();
          if (res.statusCode === 200) latencies.push(performance.now() - t);
          else {
            errors++;
            firstError ||= `status ${res.statusCode}`;
          }
        } catch (err) {
          errors++;
          firstError ||= err.message;
        }
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  const cpuMsPerReq = pid ? ((cpuSeconds(pid) - cpu0) * 1000) / Math.max(1, latencies.length) : NaN;
  if (firstError) log(`  ${errors} errors, first: ${firstError}`);
  return { rps: latencies.length / elapsed, n: latencies.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), errors, cpuMsPerReq };
}

// ---------------------------------------------------------------------------------------------------------------
// bare Fastify baseline (child process): serves whatever response it was given, byte for byte

async function childFastify() {
  const Fastify = require(require.resolve('fastify', { paths: [path.join(ROOT, 'apps', 'widget-api')] }));
  const app = Fastify({ logger: false, bodyLimit: 1 << 20 });
  let body = Buffer.alloc(0);
  let headers = {};
  app.post('/set', async (req) => {
    body = Buffer.from(req.body.body, 'base64');
    headers = req.body.headers;
    return { ok: true };
  });
  app.get('/api/widget/config', async (_req, reply) => reply.headers(headers).send(body));
  app.get('/health', async () => ({ ok: true }));
  await app.listen({ port: Number(process.argv[3]), host: '127.0.0.1' });
}

// ---------------------------------------------------------------------------------------------------------------

async function main() {
  const { Pool } = require(require.resolve('undici', { paths: [path.join(ROOT, 'apps', 'widget-api')] }));
  const { QUEUES, TypedQueue, jobIds } = require(path.join(ROOT, 'libs', 'events', 'dist'));
  const stamp = `${Date.now().toString(36)}_${process.pid}`;
  const dbName = `chatbot_bench_widget_${stamp}`;
  const prefix = `bench-widget-${stamp}`;
  const databaseUrl = BASE_DB_URL.replace(/\/[^/]*$/, `/${dbName}`);
  const env = { ...process.env, DATABASE_URL: databaseUrl, REDIS_URL, REDIS_PREFIX: prefix, NODE_ENV: 'development', LOG_LEVEL: 'warn' };
  const pools = [];
  let queue;

  let cleanedUp = false;
  const cleanup = async () => {
    if (cleanedUp) return;
    cleanedUp = true;
    log('cleanup: stopping children, dropping database, deleting Redis keys');
    await Promise.all(pools.map((p) => p.close().catch(() => undefined)));
    await queue?.close().catch(() => undefined);
    await procs.stopAll();
    await dropDatabase(BASE_DB_URL, dbName);
    await deleteRedisKeys(REDIS_URL, prefix);
  };
  const onSignal = () => cleanup().finally(() => process.exit(130));
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const watchdog = setTimeout(() => {
    process.stderr.write('bench deadline exceeded\n');
    cleanup().finally(() => process.exit(1));
  }, SETTINGS.deadlineMs);
  watchdog.unref();

  try {
    log(`node ${process.version}; database ${dbName}; settings ${JSON.stringify(SETTINGS)}; load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    await procs.runNode('migrate', 'scripts/migrate.js', [], env);
    const apiPort = await freePort();
    const api = await procs.start(
      'widget-api',
      ['apps/widget-api/dist/main.js'],
      { ...env, WIDGET_API_PORT: String(apiPort), WIDGET_CONFIG_RATE_LIMIT: '1000000000' },
      `http://127.0.0.1:${apiPort}/health/ready`,
    );
    const base = `http://127.0.0.1:${apiPort}`;

    // --- one chatbot, projected through the real queue ---------------------------------------------------------
    const tenantId = randomUUID();
    const agentId = randomUUID();
    queue = new TypedQueue(QUEUES.widgetProjection, { REDIS_URL, REDIS_PREFIX: prefix });
    const event = {
      id: randomUUID(),
      type: 'agent_updated',
      tenant_id: tenantId,
      occurred_at: new Date().toISOString(),
      data: {
        agent_id: agentId,
        version: 1,
        agent: {
          ID: agentId, agentPlatform: 'vg', title: 'Bench bot', disabled: false, theme: 'blue-light',
          customTheme: { themeType: 'light', primary: '#2563eb', nineColorPallet: Array.from({ length: 9 }, (_, i) => [i * 20, 100, 200]) },
          roundedImageURL: 'https://cdn.example.com/launcher.png', avatarImageUrl: 'https://cdn.example.com/avatar.png',
          headerImageUrl: 'https://cdn.example.com/header.png', fontFamily: 'Inter', lang: 'en', buttonsLayout: 'vertical',
          UIhandoffTitle: 'Talk to a human', UIhandoffSubtitle: 'We usually answer in a few minutes',
          vg_initMessages: ['Hi! How can I help you today?'], vg_prompt: 'secret prompt', messageDelayMS: 500,
          proactiveMessage: 'Questions about pricing?', autoStartWidget: false, chatForget: false, enableAudioSupport: true,
          allowedOrigins: ['https://shop.example.com'], welcomeMessage: 'Welcome!', businessName: 'Bench Inc.',
          lastModified: Date.now(),
        },
      },
    };
    await queue.add({ name: 'project', data: { event }, opts: { jobId: jobIds.projection(event.id) } });
    const configPath = `/api/widget/config?tenant=${tenantId}&chatbot=${agentId}`;
    let sample;
    const waitStart = Date.now();
    while (Date.now() - waitStart < 15000) {
      sample = await fetch(`${base}${configPath}`, { headers: { origin: 'https://shop.example.com' } });
      if (sample.status === 200) break;
      await sample.arrayBuffer();
      await sleep(50);
    }
    if (!sample || sample.status !== 200) throw new Error(`projection not served: ${sample?.status}`);
    const bytes = Buffer.from(await sample.arrayBuffer());
    const headers = {};
    for (const name of ['content-type', 'etag', 'cache-control', 'vary', 'access-control-allow-origin', 'access-control-expose-headers']) {
      const value = sample.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    log(`projected and served: ${bytes.length} bytes, etag ${headers.etag}`);

    // --- baseline ---------------------------------------------------------------------------------------------------
    const barePort = await freePort();
    const bare = await procs.start('fastify', [__filename, '--child', String(barePort)], env, `http://127.0.0.1:${barePort}/health`);
    await fetch(`http://127.0.0.1:${barePort}/set`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ body: bytes.toString('base64'), headers }) });
    const check = await fetch(`http://127.0.0.1:${barePort}${configPath}`, { headers: { origin: 'https://shop.example.com' } });
    if (!Buffer.from(await check.arrayBuffer()).equals(bytes)) throw new Error('baseline does not serve the same bytes');

    const apiPool = new Pool(base, { connections: SETTINGS.concurrency, pipelining: 1 });
    const barePool = new Pool(`http://127.0.0.1:${barePort}`, { connections: SETTINGS.concurrency, pipelining: 1 });
    pools.push(apiPool, barePool);
    const requestOptions = { method: 'GET', path: configPath, headers: { origin: 'https://shop.example.com' } };

    const warmApi = await closedLoop(apiPool, requestOptions, SETTINGS.concurrency, SETTINGS.warmupSeconds);
    const warmBare = await closedLoop(barePool, requestOptions, SETTINGS.concurrency, SETTINGS.warmupSeconds);
    log(`warm-up: widget-api ${fmt(warmApi.rps, 0)} req/s, bare ${fmt(warmBare.rps, 0)} req/s`);

    const rounds = [];
    for (let round = 1; round <= SETTINGS.rounds; round++) {
      const load = os.loadavg()[0];
      // alternate the order, so a drift in machine load does not always favour the same side
      const order = round % 2 ? ['api', 'bare'] : ['bare', 'api'];
      const r = { round, load };
      for (const side of order) {
        r[side] = side === 'api'
          ? await closedLoop(apiPool, requestOptions, SETTINGS.concurrency, SETTINGS.seconds, api.pid)
          : await closedLoop(barePool, requestOptions, SETTINGS.concurrency, SETTINGS.seconds, bare.pid);
      }
      r.ratio = r.api.rps / r.bare.rps;
      rounds.push(r);
      log(
        `round ${round}: widget-api ${fmt(r.api.rps, 0)} req/s p50 ${fmt(r.api.p50, 2)} p99 ${fmt(r.api.p99, 2)} ms ` +
          `(${fmt(r.api.cpuMsPerReq, 3)} ms CPU/req, errors ${r.api.errors}); bare ${fmt(r.bare.rps, 0)} req/s ` +
          `p50 ${fmt(r.bare.p50, 2)} p99 ${fmt(r.bare.p99, 2)} ms (${fmt(r.bare.cpuMsPerReq, 3)} ms CPU/req); ` +
          `ratio ${fmt(r.ratio * 100)}%; load ${fmt(load, 2)}`,
      );
    }
    const m = (f) => median(rounds.map(f));
    const ratio = m((r) => r.ratio);
    const cpuRatio = m((r) => r.bare.cpuMsPerReq / r.api.cpuMsPerReq);
    const lines = [
      '',
      `bench/widget-config — ${new Date().toISOString()} — ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
      `cache hit, ${bytes.length}-byte body, closed loop ${SETTINGS.concurrency} in flight × ${SETTINGS.seconds} s, medians of ${rounds.length} rounds:`,
      `                    req/s      p50 ms   p99 ms   server CPU ms/req   errors`,
      `  widget-api   ${fmt(m((r) => r.api.rps), 0).padStart(9)} ${fmt(m((r) => r.api.p50), 2).padStart(10)} ${fmt(m((r) => r.api.p99), 2).padStart(8)} ${fmt(m((r) => r.api.cpuMsPerReq), 3).padStart(12)}        ${rounds.map((r) => r.api.errors).join('/')}`,
      `  bare Fastify ${fmt(m((r) => r.bare.rps), 0).padStart(9)} ${fmt(m((r) => r.bare.p50), 2).padStart(10)} ${fmt(m((r) => r.bare.p99), 2).padStart(8)} ${fmt(m((r) => r.bare.cpuMsPerReq), 3).padStart(12)}        ${rounds.map((r) => r.bare.errors).join('/')}`,
      `  ratio per round: ${rounds.map((r) => `${fmt(r.ratio * 100)}%`).join(', ')}`,
      `  throughput ratio widget-api/bare (median): ${fmt(ratio * 100)}%; CPU-per-request ratio bare/widget-api: ${fmt(cpuRatio * 100)}%`,
      `target ≥ ${TARGET_RATIO * 100}% of bare Fastify throughput: ${ratio >= TARGET_RATIO ? 'PASS' : 'MISS'} (${fmt(ratio * 100)}%)`,
      `load average at round starts: ${rounds.map((r) => fmt(r.load, 2)).join(', ')}`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    clearTimeout(watchdog);
    await cleanup();
  }
}

if (process.argv[2] === '--child') {
  childFastify().catch((err) => {
    process.stderr.write(`${err.stack}\n`);
    process.exit(1);
  });
} else {
  main().catch((err) => {
    process.stderr.write(`bench/widget-config failed: ${err.stack ?? err}\n`);
    process.exit(1);
  });
}
