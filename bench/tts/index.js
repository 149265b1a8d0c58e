#!/usr/bin/env node
'use strict';
/*
 * bench/tts: POST /api/tts/generate served from the content-hash cache (Redis), closed loop, beside a bare Fastify route
 * answering the same bytes in the same run (same client, same concurrency); and offline synthesis time for 200
 * characters with the embedded eSpeak NG (WebAssembly), through the route (cache misses) and in-process (engine only).
 *
 *   - widget-api (built, `apps/widget-api/dist/main.js`) runs in a child process; the tenant has no Google service
 *     account, so the provider is eSpeak NG; the agent is inserted into widget-api's projection directly;
 *   - cache-hit phase: BENCH_CONCURRENCY requests in flight for BENCH_SECONDS against each target, BENCH_ROUNDS rounds,
 *     targets alternating; medians of the rounds reported;
 *   - synthesis: BENCH_SYNTH_N distinct 200-character texts through the route (each a miss) and BENCH_SYNTH_N runs of
 *     the engine in this process (dist/tts/espeak-synthesizer.js, one worker thread).
 *
 * Run: `npm run bench -- tts` (builds first). Everything it creates (database chatbot_bench_tts_*, Redis keys under a
 * unique prefix, child processes) is removed at the end, also on failure or Ctrl-C.
 */
const crypto = require('node:crypto');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const ROOT = path.resolve(__dirname, '..', '..');
const { ChildProcesses, createLog, deleteRedisKeys, dropDatabase, fmt: fmtNumber, freePort, median, num, stats } = require('../lib/common');
const APP = path.join(ROOT, 'apps', 'widget-api');
const SETTINGS = {
  rounds: num('BENCH_ROUNDS', 3),
  seconds: num('BENCH_SECONDS', 8),
  concurrency: num('BENCH_CONCURRENCY', 4),
  warmup: num('BENCH_WARMUP', 200),
  synthN: num('BENCH_SYNTH_N', 15),
  deadlineMs: num('BENCH_DEADLINE_SECONDS', 600) * 1000,
};
const BASE_DB_URL = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379';

const log = createLog();
const fmt = (v, d = 2) => fmtNumber(v, d);

/** 200 characters of ordinary English; `i` varies the text so every one is a cache miss. */
function text200(i) {
  const base = `Thanks for reaching out! Order number ${1000 + i} left our warehouse this morning and should arrive within three business days. You will get a tracking link by email soon.`;
  return (base + ' Anything else I can help with today?').slice(0, 200);
}

// ---------------------------------------------------------------------------------------------------------------
// processes

const procs = new ChildProcesses('tts');

/** Closed loop: `concurrency` requests in flight for `seconds`; per-request latency. */
async function closedLoop(pool, request, concurrency, seconds) {
  const latencies = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        try {
          const res = await pool.request(request);
          const body = await res.body.arrayBuffer();
          if (res.statusCode === 200 && body.byteLength > 0) latencies.push(performance.now() - t);
          else errors++;
        } catch {
          errors++;
        }
      }
    }),
  );
  return { ...stats(latencies), rps: latencies.length / ((performance.now() - start) / 1000), errors };
}

// bare Fastify baseline (child process): one POST route answering the cached response's bytes
async function childFastify() {
  const Fastify = require(require.resolve('fastify', { paths: [APP] }));
  const app = Fastify({ logger: false, bodyLimit: 64 << 20 });
  let body = '{}';
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_req, buf, done) => done(null, buf));
  app.post('/set', async (req) => {
    body = req.body;
    return { ok: true };
  });
  app.post('/api/tts/generate', async (_req, reply) => reply.header('content-type', 'application/json; charset=utf-8').send(body));
  app.get('/health', async () => ({ ok: true }));
  await app.listen({ port: Number(process.argv[3]), host: '127.0.0.1' });
}

async function main() {
  const { Client } = require(require.resolve('pg', { paths: [ROOT] }));
  const { Pool } = require(require.resolve('undici', { paths: [APP] }));
  const stamp = `${Date.now().toString(36)}_${process.pid}`;
  const dbName = `chatbot_bench_tts_${stamp}`;
  const prefix = `bench-tts-${stamp}`;
  const databaseUrl = BASE_DB_URL.replace(/\/[^/]*$/, `/${dbName}`);
  const env = { ...process.env, DATABASE_URL: databaseUrl, REDIS_URL, REDIS_PREFIX: prefix, NODE_ENV: 'development', LOG_LEVEL: 'warn' };
  const pools = [];
  let synthesizer = null;

  let cleanedUp = false;
  const cleanup = async () => {
    if (cleanedUp) return;
    cleanedUp = true;
    log('cleanup: stopping children, dropping database, deleting Redis keys');
    if (synthesizer) await synthesizer.close().catch(() => undefined);
    await Promise.all(pools.map((p) => p.close().catch(() => undefined)));
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
    log(`node ${process.version}; ${os.cpus().length} cpus; load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; settings ${JSON.stringify(SETTINGS)}`);
    await procs.runNode('migrate', 'scripts/migrate.js', [], env);
    const tenant = JSON.parse(
      (await procs.runNode('tenant', 'libs/tenant-auth/dist/cli/main.js', ['tenant', 'create', '--name', 'Bench TTS', '--plan', 'team', '--json'], env)).trim(),
    );
    const agentId = crypto.randomUUID();
    const db = new Client({ connectionString: databaseUrl });
    await db.connect();
    await db.query('INSERT INTO widget.agent_projections (agent_id, tenant_id, version, agent) VALUES ($1, $2, 1, $3::jsonb)', [
      agentId,
      tenant.tenantId,
      JSON.stringify({ ID: agentId, title: 'Bench bot', lang: 'en' }),
    ]);
    await db.end();

    const apiPort = await freePort();
    await procs.start('widget-api', ['apps/widget-api/dist/main.js'], { ...env, WIDGET_API_PORT: String(apiPort) }, `http://127.0.0.1:${apiPort}/health/ready`);
    const basePort = await freePort();
    await procs.start('fastify', [__filename, '--child', String(basePort)], env, `http://127.0.0.1:${basePort}/health`);

    const apiPool = new Pool(`http://127.0.0.1:${apiPort}`, { connections: SETTINGS.concurrency * 2, pipelining: 1 });
    const basePool = new Pool(`http://127.0.0.1:${basePort}`, { connections: SETTINGS.concurrency * 2, pipelining: 1 });
    pools.push(apiPool, basePool);
    const headers = { authorization: `Bearer ${tenant.apiKey}`, 'content-type': 'application/json' };
    const generate = (text) => ({
      path: '/api/tts/generate',
      method: 'POST',
      headers,
      body: JSON.stringify({ tenantId: tenant.tenantId, chatbotId: agentId, text }),
    });

    // --- offline synthesis through the route: every text distinct, so every request is a miss (eSpeak runs)
    const missMs = [];
    let sample = null;
    for (let i = 0; i < SETTINGS.synthN; i++) {
      const t = performance.now();
      const res = await apiPool.request(generate(text200(i)));
      const body = await res.body.text();
      if (res.statusCode !== 200 || res.headers['x-tts-cache'] !== 'miss') throw new Error(`miss ${i}: ${res.statusCode} ${body.slice(0, 300)}`);
      missMs.push(performance.now() - t);
      if (i === 0) sample = { body, parsed: JSON.parse(body) };
    }
    log(`route misses (200 chars, eSpeak): median ${fmt(median(missMs), 1)} ms over ${missMs.length}`);

    // --- engine only, in this process (one worker thread), same texts
    const { EspeakSynthesizer } = require(path.join(APP, 'dist', 'tts', 'espeak-synthesizer.js'));
    const { parseWav } = require(path.join(APP, 'dist', 'tts', 'wav.js'));
    synthesizer = new EspeakSynthesizer(1, 60000);
    await synthesizer.synthesize('warm up', 'en-us+f3');
    const engineMs = [];
    let audioSeconds = NaN;
    for (let i = 0; i < SETTINGS.synthN; i++) {
      const t = performance.now();
      const wav = await synthesizer.synthesize(text200(i), 'en-us+f3');
      engineMs.push(performance.now() - t);
      audioSeconds = parseWav(wav).durationSeconds;
    }
    await synthesizer.close();
    synthesizer = null;
    log(`engine only (200 chars): median ${fmt(median(engineMs), 1)} ms over ${engineMs.length}; ${fmt(audioSeconds, 2)} s of audio`);

    // --- cache hits vs bare Fastify serving the same bytes
    const hitText = text200(0);
    await (await basePool.request({ path: '/set', method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: sample.body })).body.text();
    const check = await apiPool.request(generate(hitText));
    const checkBody = await check.body.text();
    if (check.headers['x-tts-cache'] !== 'hit' || checkBody !== sample.body) throw new Error('the cached response differs from the first one');
    const responseBytes = Buffer.byteLength(sample.body);
    log(`response: ${responseBytes} bytes (${sample.parsed.mimeType}, ${sample.parsed.estimatedDurationSeconds} s of audio)`);
    for (let i = 0; i < SETTINGS.warmup; i++) {
      await (await apiPool.request(generate(hitText))).body.text();
      await (await basePool.request(generate(hitText))).body.text();
    }
    const rounds = [];
    for (let r = 0; r < SETTINGS.rounds; r++) {
      const api = await closedLoop(apiPool, generate(hitText), SETTINGS.concurrency, SETTINGS.seconds);
      const base = await closedLoop(basePool, generate(hitText), SETTINGS.concurrency, SETTINGS.seconds);
      rounds.push({ api, base });
      log(
        `round ${r + 1}: cache hit p50 ${fmt(api.p50)} p99 ${fmt(api.p99)} ms ${fmt(api.rps, 0)} req/s (err ${api.errors}) | ` +
          `bare fastify p50 ${fmt(base.p50)} p99 ${fmt(base.p99)} ms ${fmt(base.rps, 0)} req/s (err ${base.errors})`,
      );
    }
    const m = (pick) => median(rounds.map(pick));
    const summary = {
      node: process.version,
      cpus: os.cpus().length,
      loadAfter: os.loadavg().map((l) => Number(l.toFixed(2))),
      responseBytes,
      cacheHit: { p50: m((x) => x.api.p50), p99: m((x) => x.api.p99), rps: m((x) => x.api.rps) },
      bareFastify: { p50: m((x) => x.base.p50), p99: m((x) => x.base.p99), rps: m((x) => x.base.rps) },
      synthesis200: { routeMissMedianMs: median(missMs), engineMedianMs: median(engineMs), audioSeconds },
    };
    summary.ratios = {
      p50: summary.cacheHit.p50 / summary.bareFastify.p50,
      p99: summary.cacheHit.p99 / summary.bareFastify.p99,
      throughput: summary.cacheHit.rps / summary.bareFastify.rps,
    };
    process.stdout.write(
      [
        '',
        `bench/tts — ${new Date().toISOString()} — node ${process.version}, ${os.cpus().length} cpus, load after ${summary.loadAfter.join(' ')}`,
        `response ${responseBytes} bytes; closed loop, ${SETTINGS.concurrency} in flight, ${SETTINGS.seconds} s × ${SETTINGS.rounds} rounds (medians)`,
        `| | p50 ms | p99 ms | req/s |`,
        `|---|---:|---:|---:|`,
        `| POST /api/tts/generate, cache hit | ${fmt(summary.cacheHit.p50)} | ${fmt(summary.cacheHit.p99)} | ${fmt(summary.cacheHit.rps, 0)} |`,
        `| bare Fastify, same bytes | ${fmt(summary.bareFastify.p50)} | ${fmt(summary.bareFastify.p99)} | ${fmt(summary.bareFastify.rps, 0)} |`,
        `| ratio (hit / bare) | ${fmt(summary.ratios.p50)}× | ${fmt(summary.ratios.p99)}× | ${fmt(summary.ratios.throughput * 100, 0)}% |`,
        `offline synthesis, 200 chars (${fmt(audioSeconds, 2)} s of audio), median of ${SETTINGS.synthN}: engine ${fmt(median(engineMs), 1)} ms; through the route (miss) ${fmt(median(missMs), 1)} ms`,
        `JSON ${JSON.stringify(summary)}`,
        '',
      ].join('\n'),
    );
  } finally {
    await cleanup();
  }
}

if (process.argv[2] === '--child') {
  childFastify().catch((err) => {
    process.stderr.write(`${err.stack}\n`);
    process.exit(1);
  });
} else {
  main().then(
    () => process.exit(0),
    (err) => {
      process.stderr.write(`${err.stack}\n`);
      process.exit(1);
    },
  );
}
