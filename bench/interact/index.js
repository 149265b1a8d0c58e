#!/usr/bin/env node
'use strict';
/*
 * bench/interact: Chat Interact with the offline engine over a 10k-chunk knowledge base, at a steady open-loop rate,
 * beside a bare Fastify route serving a response of the same size in the same run (same client, same rate).
 *
 *   - agents-api (built, `apps/agents-api/dist/main.js`) runs in a child process with CHAT_ENGINE=offline;
 *   - the knowledge base is generated: BENCH_KB_DOCS text documents through `POST /v3/agents/:id/kb` until
 *     `kb/stats` shows at least BENCH_KB_CHUNKS chunks; words come from a fixed vocabulary (Zipf-like), so questions
 *     built from a document's words have real matches;
 *   - load: BENCH_RATE req/s for BENCH_SECONDS, open loop (requests start on schedule whether or not earlier ones
 *     finished; latency counts from the scheduled start), `text` actions from BENCH_USERS users (so conversations grow
 *     like real ones), undici keep-alive pool; the same schedule is then replayed against the bare Fastify baseline.
 *   - BENCH_ROUNDS rounds; medians reported. Also a closed-loop saturation run (BENCH_SAT_CONCURRENCY in flight).
 *
 * Run: `npm run bench -- interact` (builds first). Everything it creates (database chatbot_bench_*, Redis keys under a
 * unique prefix, child processes) is removed at the end, also on failure or Ctrl-C.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const ROOT = path.resolve(__dirname, '..', '..');
const { ChildProcesses, cpuSeconds, createLog, deleteRedisKeys, dropDatabase, fmt, freePort, median, num, sleep, stats } = require('../lib/common');
const SETTINGS = {
  rounds: num('BENCH_ROUNDS', 3),
  rate: num('BENCH_RATE', 100),
  seconds: num('BENCH_SECONDS', 20),
  users: num('BENCH_USERS', 500),
  kbChunks: num('BENCH_KB_CHUNKS', 10000),
  kbDocs: num('BENCH_KB_DOCS', 250),
  satConcurrency: num('BENCH_SAT_CONCURRENCY', 16),
  satSeconds: num('BENCH_SAT_SECONDS', 10),
  warmup: num('BENCH_WARMUP', 300),
  deadlineMs: num('BENCH_DEADLINE_SECONDS', 900) * 1000,
};
const TARGET_P99_MS = 30;
const BASE_DB_URL = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379';

const log = createLog();

// ---------------------------------------------------------------------------------------------------------------
// deterministic synthetic corpus: a fixed vocabulary, Zipf-like word choice, one topic per document

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'pe', 'da', 'gu', 'fi', 'ho', 'ze', 'ba', 'qu', 'ri', 'to', 'le', 'mu'];
function vocabulary(size, random) {
  const words = new Set();
  while (words.size < size) {
    const n = 2 + Math.floor(random() * 3);
    let w = '';
    for (let i = 0; i < n; i++) w += SYLLABLES[Math.floor(random() * SYLLABLES.length)];
    words.add(w);
  }
  return [...words];
}
function corpus(docs, chunksPerDoc) {
  const random = rng(42);
  const vocab = vocabulary(6000, random);
  const zipf = () => vocab[Math.min(vocab.length - 1, Math.floor(Math.pow(random(), 2.2) * vocab.length))];
  const out = [];
  for (let d = 0; d < docs; d++) {
    const topic = [zipf(), zipf(), zipf()];
    const sections = [];
    for (let c = 0; c < chunksPerDoc; c++) {
      const sentences = [];
      for (let s = 0; s < 6; s++) {
        const words = [];
        const len = 10 + Math.floor(random() * 10);
        for (let w = 0; w < len; w++) words.push(random() < 0.15 ? topic[Math.floor(random() * 3)] : zipf());
        sentences.push(words.join(' ').replace(/^./, (x) => x.toUpperCase()) + '.');
      }
      sections.push(`## Section ${c + 1} ${topic[0]}\n\n${sentences.slice(0, 3).join(' ')}\n\n${sentences.slice(3).join(' ')}`);
    }
    out.push({ name: `Doc ${d} ${topic.join(' ')}`, content: `# ${topic.join(' ')}\n\n${sections.join('\n\n')}`, topic });
  }
  return out;
}
function questions(docs, count) {
  const random = rng(7);
  const out = [];
  for (let i = 0; i < count; i++) {
    const doc = docs[Math.floor(random() * docs.length)];
    const words = doc.content.replace(/[#.\n]/g, ' ').split(/\s+/).filter((w) => w.length > 3);
    const pick = () => words[Math.floor(random() * words.length)];
    out.push(`What do you know about ${pick()} and ${pick()} ${pick()}?`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// processes

const procs = new ChildProcesses('interact');

/** CPU seconds of every Postgres process on the machine, by pid (the bench's database is the only busy one). */
function postgresCpuSnapshot() {
  const byPid = new Map();
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'postgres') continue;
      byPid.set(pid, cpuSeconds(pid));
    } catch {
      // gone
    }
  }
  return byPid;
}

/**
 * Postgres CPU seconds spent since `before`: per process, so a backend that exits meanwhile (an idle pool connection,
 * an autovacuum worker) does not make the sum negative; the CPU of processes that exited is not counted (an undercount).
 */
function postgresCpuSince(before) {
  let total = 0;
  for (const [pid, seconds] of postgresCpuSnapshot()) total += seconds - (before.get(pid) ?? 0);
  return total;
}

// ---------------------------------------------------------------------------------------------------------------
// load generation (this process; undici keep-alive pool)

async function openLoop(pool, makeRequest, rate, seconds) {
  const total = Math.round(rate * seconds);
  const latencies = [];
  let errors = 0;
  const start = performance.now();
  const inflight = [];
  for (let i = 0; i < total; i++) {
    const scheduled = start + (i * 1000) / rate;
    const wait = scheduled - performance.now();
    if (wait > 1) await sleep(wait);
    inflight.push(
      (async () => {
        try {
          const res = await pool.request(makeRequest(i));
          const body = await res.body.text();
          if (res.statusCode !== 200) {
            errors++;
            if (errors <= 3) log(`error ${res.statusCode}: ${body.slice(0, 300)}`);
            return;
          }
          latencies.push(performance.now() - scheduled);
        } catch (err) {
          errors++;
          if (errors <= 3) log(`request failed: ${err.message}`);
        }
      })(),
    );
  }
  await Promise.all(inflight);
  return { ...stats(latencies), errors, seconds: (performance.now() - start) / 1000 };
}

async function closedLoop(pool, makeRequest, concurrency, seconds) {
  let done = 0;
  let errors = 0;
  let i = 0;
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        try {
          const res = await pool.request(makeRequest(i++));
          await res.body.text();
          if (res.statusCode === 200) done++;
          else errors++;
        } catch {
          errors++;
        }
      }
    }),
  );
  return { rps: done / ((performance.now() - start) / 1000), errors };
}

// ---------------------------------------------------------------------------------------------------------------
// bare Fastify baseline (child process): one POST route answering fixed bytes of the interact response's size

async function childFastify() {
  const Fastify = require(require.resolve('fastify', { paths: [path.join(ROOT, 'apps', 'agents-api')] }));
  const app = Fastify({ logger: false });
  let body = '{}';
  app.post('/set', async (req) => {
    body = JSON.stringify(req.body);
    return { ok: true };
  });
  app.post('/v3/agents/:agentId/interact/:userId', async (_req, reply) => reply.header('content-type', 'application/json; charset=utf-8').send(body));
  app.get('/health', async () => ({ ok: true }));
  await app.listen({ port: Number(process.argv[3]), host: '127.0.0.1' });
}

// ---------------------------------------------------------------------------------------------------------------

async function main() {
  const { Client } = require(require.resolve('pg', { paths: [ROOT] }));
  const { Pool } = require(require.resolve('undici', { paths: [path.join(ROOT, 'apps', 'agents-api')] }));
  const stamp = `${Date.now().toString(36)}_${process.pid}`;
  const dbName = `chatbot_bench_interact_${stamp}`;
  const prefix = `bench-interact-${stamp}`;
  const databaseUrl = BASE_DB_URL.replace(/\/[^/]*$/, `/${dbName}`);
  const env = { ...process.env, DATABASE_URL: databaseUrl, REDIS_URL, REDIS_PREFIX: prefix, NODE_ENV: 'development', LOG_LEVEL: 'warn' };
  const pools = [];

  let cleanedUp = false;
  const cleanup = async () => {
    if (cleanedUp) return;
    cleanedUp = true;
    log('cleanup: stopping children, dropping database, deleting Redis keys');
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
    log(`node ${process.version}; database ${dbName}; settings ${JSON.stringify(SETTINGS)}`);
    await procs.runNode('migrate', 'scripts/migrate.js', [], env);
    if (process.env.BENCH_LOG_STATEMENTS) {
      // Investigation aid: every statement's duration in the Postgres log (aggregate them afterwards).
      const admin = new Client({ connectionString: BASE_DB_URL });
      await admin.connect();
      await admin.query(`ALTER DATABASE "${dbName}" SET log_min_duration_statement = 0`);
      await admin.end();
    }
    const tenant = JSON.parse(
      (await procs.runNode('tenant', 'libs/tenant-auth/dist/cli/main.js', ['tenant', 'create', '--name', 'Bench', '--plan', 'business', '--json'], env)).trim(),
    );
    const apiPort = await freePort();
    const api = await procs.start('agents-api', ['apps/agents-api/dist/main.js'], { ...env, AGENTS_API_PORT: String(apiPort), CHAT_ENGINE: 'offline', BODY_LIMIT_BYTES: String(8 << 20) }, `http://127.0.0.1:${apiPort}/health/ready`);
    const base = `http://127.0.0.1:${apiPort}`;
    const auth = { authorization: `Bearer ${tenant.apiKey}`, 'content-type': 'application/json' };
    const agent = await (await fetch(`${base}/v3/agents`, { method: 'POST', headers: auth, body: JSON.stringify({ agent: { title: 'Bench bot', vg_kbTopChunks: 5 } }) })).json();
    const agentId = agent.data.ID;

    // --- knowledge base ------------------------------------------------------------------------------------------
    const chunksPerDoc = Math.ceil(SETTINGS.kbChunks / SETTINGS.kbDocs);
    const docs = corpus(SETTINGS.kbDocs, chunksPerDoc);
    const kbStart = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < docs.length) {
          const doc = docs[next++];
          const res = await fetch(`${base}/v3/agents/${agentId}/kb`, { method: 'POST', headers: auth, body: JSON.stringify({ name: doc.name, content: doc.content, tags: ['bench'] }) });
          if (!res.ok) throw new Error(`kb upload failed ${res.status}: ${(await res.text()).slice(0, 500)}`);
        }
      }),
    );
    const kbSeconds = (performance.now() - kbStart) / 1000;
    const kbStats = (await (await fetch(`${base}/v3/agents/${agentId}/kb/stats`, { headers: auth })).json()).data;
    log(`knowledge base: ${JSON.stringify(kbStats)} in ${fmt(kbSeconds)} s`);
    {
      // Statistics, as autovacuum's ANALYZE has them within a minute of a bulk load on a quiet server (bench/kb does
      // the same): search leaves lexemes found in more than 5% of chunks out of its partial-match levels.
      const admin = new Client({ connectionString: databaseUrl });
      await admin.connect();
      await admin.query('ANALYZE agents.kb_chunks');
      await admin.query('ANALYZE agents.kb_documents');
      await admin.end();
    }
    const chunkCount = Number(kbStats.chunks ?? kbStats.chunksCount ?? kbStats.chunkCount);
    if (!(chunkCount >= SETTINGS.kbChunks)) throw new Error(`knowledge base has ${chunkCount} chunks, wanted ${SETTINGS.kbChunks}; raise BENCH_KB_DOCS`);

    // --- baseline server ---------------------------------------------------------------------------------------------
    const barePort = await freePort();
    await procs.start('fastify', [__filename, '--child', String(barePort)], env, `http://127.0.0.1:${barePort}/health`);
    const apiPool = new Pool(base, { connections: 64, pipelining: 1 });
    const barePool = new Pool(`http://127.0.0.1:${barePort}`, { connections: 64, pipelining: 1 });
    pools.push(apiPool, barePool);

    const qs = questions(docs, 5000);
    let counter = 0;
    const makeRequest = (i) => ({
      method: 'POST',
      path: `/v3/agents/${agentId}/interact/user-${(counter + i) % SETTINGS.users}`,
      headers: auth,
      body: JSON.stringify({ action: { type: 'text', payload: qs[(counter + i) % qs.length] } }),
    });

    // Warm-up (JIT, pools, plans), and a real response whose size the baseline serves.
    const warm = await closedLoop(apiPool, makeRequest, 4, Math.max(2, SETTINGS.warmup / 100));
    counter += 100_000;
    const sample = await apiPool.request(makeRequest(0));
    const sampleBody = await sample.body.json();
    const answered = sampleBody.actionMessages?.[0]?.item?.sources?.length ?? 0;
    await fetch(`http://127.0.0.1:${barePort}/set`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(sampleBody) });
    const responseBytes = Buffer.byteLength(JSON.stringify(sampleBody));
    log(`warm-up: ${fmt(warm.rps)} req/s; sample response ${responseBytes} bytes, ${answered} sources`);
    await closedLoop(barePool, makeRequest, 4, 2);

    if (process.env.BENCH_SETUP_ONLY) {
      log(`setup only: agent ${agentId}, tenant ${tenant.tenantId}; sample questions: ${JSON.stringify(qs.slice(0, 5))}`);
      return;
    }
    const rounds = [];
    for (let round = 1; round <= SETTINGS.rounds; round++) {
      const load0 = os.loadavg()[0];
      const cpu0 = cpuSeconds(api.pid);
      const pg0 = postgresCpuSnapshot();
      counter += 100_000;
      const steady = await openLoop(apiPool, makeRequest, SETTINGS.rate, SETTINGS.seconds);
      const apiCpuMsPerReq = ((cpuSeconds(api.pid) - cpu0) * 1000) / steady.n;
      const pgCpuMsPerReq = (postgresCpuSince(pg0) * 1000) / steady.n;
      const baseline = await openLoop(barePool, makeRequest, SETTINGS.rate, SETTINGS.seconds);
      counter += 100_000;
      const sat = await closedLoop(apiPool, makeRequest, SETTINGS.satConcurrency, SETTINGS.satSeconds);
      const satBare = await closedLoop(barePool, makeRequest, SETTINGS.satConcurrency, SETTINGS.satSeconds);
      const r = { round, load: load0, steady, baseline, sat, satBare, apiCpuMsPerReq, pgCpuMsPerReq };
      rounds.push(r);
      log(
        `round ${round}: interact p50 ${fmt(steady.p50)} p90 ${fmt(steady.p90)} p99 ${fmt(steady.p99)} ms (errors ${steady.errors}); ` +
          `bare p50 ${fmt(baseline.p50)} p99 ${fmt(baseline.p99)} ms; saturation ${fmt(sat.rps, 0)} vs bare ${fmt(satBare.rps, 0)} req/s; ` +
          `CPU per request: agents-api ${fmt(apiCpuMsPerReq, 2)} ms, Postgres ${fmt(pgCpuMsPerReq, 2)} ms; load ${fmt(load0, 2)}`,
      );
    }
    const m = (f) => median(rounds.map(f));
    const p99 = m((r) => r.steady.p99);
    const lines = [
      '',
      `bench/interact — ${new Date().toISOString()} — ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
      `knowledge base: ${chunkCount} chunks in ${SETTINGS.kbDocs} documents (ingested in ${fmt(kbSeconds)} s = ${fmt(chunkCount / kbSeconds, 0)} chunks/s through POST /kb)`,
      `steady ${SETTINGS.rate} req/s × ${SETTINGS.seconds} s, offline engine, ${SETTINGS.users} users, medians of ${rounds.length} rounds:`,
      `                      p50      p90      p99      max   errors`,
      `  interact       ${fmt(m((r) => r.steady.p50)).padStart(8)} ${fmt(m((r) => r.steady.p90)).padStart(8)} ${fmt(p99).padStart(8)} ${fmt(m((r) => r.steady.max)).padStart(8)}   ${rounds.map((r) => r.steady.errors).join('/')}`,
      `  bare Fastify   ${fmt(m((r) => r.baseline.p50)).padStart(8)} ${fmt(m((r) => r.baseline.p90)).padStart(8)} ${fmt(m((r) => r.baseline.p99)).padStart(8)} ${fmt(m((r) => r.baseline.max)).padStart(8)}   ${rounds.map((r) => r.baseline.errors).join('/')}`,
      `  interact p99 per round: ${rounds.map((r) => fmt(r.steady.p99)).join(', ')} ms`,
      `  ratio interact/bare p50: ${fmt(m((r) => r.steady.p50 / r.baseline.p50), 2)}×, p99: ${fmt(m((r) => r.steady.p99 / r.baseline.p99), 2)}×`,
      `  CPU per interact: agents-api ${fmt(m((r) => r.apiCpuMsPerReq), 2)} ms, Postgres ${fmt(m((r) => r.pgCpuMsPerReq), 2)} ms`,
      `saturation (closed loop, ${SETTINGS.satConcurrency} in flight): interact ${fmt(m((r) => r.sat.rps), 0)} req/s, bare Fastify ${fmt(m((r) => r.satBare.rps), 0)} req/s, ratio ${fmt(m((r) => r.sat.rps / r.satBare.rps) * 100)}%`,
      `target p99 ≤ ${TARGET_P99_MS} ms at ${SETTINGS.rate} req/s: ${p99 <= TARGET_P99_MS ? 'PASS' : 'MISS'} (${fmt(p99)} ms)`,
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
    process.stderr.write(`bench/interact failed: ${err.stack ?? err}\n`);
    process.exit(1);
  });
}
