#!/usr/bin/env node
'use strict';
/*
 * bench/webhooks: end-to-end webhook pipeline benchmark (outbox row committed → receiver got the POST), with ONE
 * worker process, beside baselines measured in the same run:
 *   - raw BullMQ no-op job rate (Queue + Worker, concurrency 50, addBulk, in a child process, timed after
 *     BENCH_BULL_WARMUP_JOBS untimed jobs),
 *   - raw undici POST loop (50 concurrent) to the same receiver (in a child process, like the worker).
 * Warm-up: BENCH_WARMUP_EVENTS single events (and a signature check), then BENCH_WARMUP_SATURATIONS saturation runs
 * that are not reported (the worker is measured warm, as a long-running one is).
 * Phases, repeated BENCH_ROUNDS times (each round: baselines, steady, saturation; medians are reported):
 *   - steady: BENCH_STEADY_RATE events/s for BENCH_STEADY_SECONDS, one transaction per event, open-loop schedule;
 *   - saturation: BENCH_SAT_EVENTS events as fast as possible, BENCH_SAT_PRODUCERS concurrent producers writing
 *     transactions of BENCH_SAT_TX_SIZE events.
 *   Each transaction is the outbox writer's own multi-row statement (rows + NOTIFY) sent alone, one round trip: the
 *   load generator stays as light as it can, so the machine's CPU goes to the pipeline.
 * The receiver and the producer live in this process, so commit and arrival share one clock (performance.now()).
 * After each phase the per-stage timeline of every event is read back (transaction start times from Postgres)
 * and CPU time per event is sampled from /proc, to show where the time goes.
 *
 * Run: `node bench/webhooks/index.js` or `npm run bench -- webhooks` (needs `npm run build` first).
 * Everything it creates (database chatbot_bench_*, Redis keys under a unique prefix, child processes) is removed at
 * the end, also on failure or Ctrl-C, except the child processes' logs when BENCH_KEEP_LOGS=1 (for a diagnostic run,
 * e.g. with BENCH_NODE_ARGS="--trace-gc") and the database when BENCH_KEEP_DB is set (bench/lib/common.js).
 */

const { fork } = require('node:child_process');
const http = require('node:http');
const os = require('node:os');
const { performance } = require('node:perf_hooks');

const {
  ChildProcesses,
  createLog,
  deleteRedisKeys,
  dropDatabase,
  fmt,
  freePort,
  machineCpu,
  machineShares,
  median,
  num,
  percentile,
  pidsNamed,
  procCpuMs,
  rawBullmqNoop,
  sampleEventData,
  sleep,
  stats,
  stopChild,
  tail,
} = require('../lib/common');

const BASE_DB_URL = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379';

const SETTINGS = {
  rounds: num('BENCH_ROUNDS', 3),
  steadyRate: num('BENCH_STEADY_RATE', 200),
  steadySeconds: num('BENCH_STEADY_SECONDS', 20),
  // 1,100-2,900 events/s on node-svc VMs (bench/RESULTS.md): a 5000-event run lasts 2-4 s, the whole bench ~2.5 min.
  // Longer runs measure ~5-10% more (the ramp-up, where BullMQ fills each worker's slots one fetch at a time, is
  // amortised); the default is kept so that results stay comparable across sessions.
  satEvents: num('BENCH_SAT_EVENTS', 5000),
  satTxSize: num('BENCH_SAT_TX_SIZE', 100),
  satProducers: num('BENCH_SAT_PRODUCERS', 4),
  bullJobs: num('BENCH_BULL_JOBS', 20000),
  bullConcurrency: num('BENCH_BULL_CONCURRENCY', 50),
  undiciRequests: num('BENCH_UNDICI_REQUESTS', 20000),
  undiciConcurrency: num('BENCH_UNDICI_CONCURRENCY', 50),
  warmupEvents: num('BENCH_WARMUP_EVENTS', 300),
  /**
   * Saturation runs before the rounds, not reported: a worker that has been running is warm (optimised code, grown
   * heap). Measured: worker CPU per event fell from 0.30-0.36 ms in the first two saturation runs to 0.22-0.25 from
   * the third on (bench/RESULTS.md, sixth session). The raw BullMQ child gets the same treatment (BENCH_BULL_WARMUP_JOBS).
   */
  warmupSaturations: num('BENCH_WARMUP_SATURATIONS', 2, { allowZero: true }),
  bullWarmupJobs: num('BENCH_BULL_WARMUP_JOBS', 10000, { allowZero: true }),
  /** One low-rate run first (0 s disables it): the pipeline's latency floor when the machine is not saturated. */
  floorRate: num('BENCH_FLOOR_RATE', 20),
  floorSeconds: num('BENCH_FLOOR_SECONDS', 8, { allowZero: true }),
  /** Hard stop for the whole bench (cleanup still runs). */
  deadlineMs: num('BENCH_DEADLINE_SECONDS', 420) * 1000,
};

const TARGETS = { steadyP99Ms: 25, saturationRatio: 0.3 };

/** Worker settings used by the bench; BENCH_WORKER_ENV='{"NAME":"value"}' overrides (for investigations). */
const WORKER_TUNING = {
  LOG_LEVEL: 'warn',
  NODE_ENV: 'development', // loopback receivers allowed (SSRF guard off)
  OUTBOX_POLL_INTERVAL_MS: '1000', // LISTEN/NOTIFY wakes the relay; polling is only the fallback
  OUTBOX_BATCH_SIZE: '200',
  // Deliveries in flight (default 50). At saturation a delivery slot is held for ~15-20 ms (fetch, send, group-committed
  // log row, finish), so 50 slots cap the worker near 2,500/s; 150 measured +6-12% events/s and -18% Postgres CPU per
  // event (larger result-writer batches), 300 no better than 150 (bench/RESULTS.md, sixth session).
  WEBHOOK_DELIVERY_CONCURRENCY: '150',
  // First attempts fan-out starts itself, beside the delivery slots above (default 200). At saturation an attempt lasts
  // 50-150 ms (it waits for a core), so 3,000-4,000 events/s keep up to ~500 in flight: with 150, a third of the
  // deliveries overflowed to the queue (the costlier path), with 500 about 7% (bench/RESULTS.md, nineteenth session).
  WEBHOOK_EAGER_LIMIT: '500',
  // All bench traffic goes to one endpoint: with the default cap (5) most deliveries would bounce through the delayed
  // set (50-200 ms) instead of being sent; = the whole delivery concurrency (queued + eager).
  WEBHOOK_ENDPOINT_CONCURRENCY: '650',
  // Fan-out jobs in progress together share one statement and one addBulk: the concurrency is the largest batch (the
  // default, 20, caps batches at 20 events; 100 measured ~15-20% more saturation throughput than 20, 200 a few % more
  // than 100). Not a pool size.
  FANOUT_CONCURRENCY: '200',
  DATABASE_POOL_SIZE: '10', // the default
  ...(process.env.BENCH_WORKER_ENV ? JSON.parse(process.env.BENCH_WORKER_ENV) : {}),
};

// ---------------------------------------------------------------------------------------------------------------
// small helpers (the shared ones are in bench/lib/common.js)

const now = () => performance.now();
const epochOf = (perfMs) => performance.timeOrigin + perfMs;
const T0 = now();
const log = createLog();

const fmtInt = (v) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '-');

async function waitFor(predicate, timeoutMs, intervalMs = 20) {
  const deadline = now() + timeoutMs;
  for (;;) {
    if (await predicate()) return true;
    if (now() > deadline) return false;
    await sleep(intervalMs);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// child processes (worker, business-api, CLI, migrate, baselines): tracked so cleanup can stop them by pid

const IS_CHILD = process.argv[2] === '--child';
/** Child-process logs (worker, business-api) in bench-webhooks-*; removed at cleanup unless BENCH_KEEP_LOGS=1. */
const procs = new ChildProcesses('webhooks');
// BENCH_NODE_ARGS: extra node/V8 flags for the services (investigations, e.g. GC flags NODE_OPTIONS refuses).
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
/** Migrations and the CLI get 60 s each here (the shared default is 120 s): a hung one fails well inside the deadline. */
const RUN_NODE_TIMEOUT_MS = 60000;

/** Runs a baseline in a child process (this file with --child); resolves with the result it sends over IPC. */
function runChild(mode, params, timeoutMs = 60000) {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['--child', mode], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    procs.children.add(child);
    let result;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`baseline ${mode} timed out`));
    }, timeoutMs);
    child.on('message', (msg) => {
      if (msg && msg.ready) child.send(params);
      else result = msg;
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      procs.children.delete(child);
      if (result && !result.error) resolve(result);
      else reject(new Error(`baseline ${mode} failed: ${result?.error ?? `exit code ${code}`}`));
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// main bench

async function main() {
  require('reflect-metadata');
  const { createDataSource, pgPool, withDatabase } = require('@chatbot/database');
  const { EVENTS_ENTITIES, outboxEventsStatement, bullPrefix, QUEUES } = require('@chatbot/events');
  const { Redis } = require('ioredis');
  const { Queue } = require('bullmq');

  const stamp = new Date().toISOString().replace(/[-:TZ.]/g, '').slice(0, 14);
  const dbName = `chatbot_bench_${stamp}_${process.pid}`;
  const prefix = `bench-wh-${stamp}-${process.pid}`;
  const databaseUrl = withDatabase(BASE_DB_URL, dbName);
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    REDIS_PREFIX: prefix,
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
  };

  let db;
  let redis;
  let queues = [];
  let receiver;
  let cleanedUp = false;
  const cleanup = async () => {
    if (cleanedUp) return;
    cleanedUp = true;
    log('cleanup: stopping child processes, dropping database, deleting Redis keys');
    const keepLogs = process.env.BENCH_KEEP_LOGS === '1';
    await procs.stopAll({ keepLogs });
    await Promise.all(queues.map((q) => q.close().catch(() => undefined)));
    if (db?.isInitialized) await db.destroy().catch(() => undefined);
    if (receiver) await new Promise((resolve) => receiver.close(() => resolve())).catch(() => undefined);
    redis?.disconnect(); // the queues' shared connection: closing a queue leaves a connection it was given open
    await dropDatabase(withDatabase(BASE_DB_URL, 'postgres'), dbName);
    const { deleted, error } = await deleteRedisKeys(REDIS_URL, prefix);
    if (error) process.stderr.write(`cleanup: could not delete Redis keys ${prefix}*: ${error.message}\n`);
    else log(`cleanup: deleted ${deleted} Redis keys under ${prefix}`);
    if (keepLogs && procs.logDir) log(`cleanup: kept the child processes' logs in ${procs.logDir} (BENCH_KEEP_LOGS=1)`);
  };

  let interrupted = false;
  const onSignal = (signal) => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`\n${signal}: cleaning up\n`);
    cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench exceeded ${SETTINGS.deadlineMs / 1000}s: aborting\n`);
    cleanup().finally(() => process.exit(1));
  }, SETTINGS.deadlineMs);
  watchdog.unref();

  try {
    return await runBench();
  } finally {
    clearTimeout(watchdog);
    await cleanup();
  }

  async function runBench() {
    // --- receiver (this process) -------------------------------------------------------------------------------
    const arrivals = new Map(); // event id -> performance.now() when the body was fully received
    let duplicates = 0;
    let baselineHits = 0;
    let firstDelivery = null;
    receiver = http.createServer((req, res) => {
      if (req.url === '/baseline') {
        req.resume();
        req.on('end', () => {
          baselineHits++;
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('ok');
        });
        return;
      }
      const chunks = firstDelivery ? null : [];
      if (chunks) req.on('data', (c) => chunks.push(c));
      else req.resume();
      req.on('end', () => {
        const at = now();
        const id = req.headers['webhook-id'];
        if (id) {
          if (arrivals.has(id)) duplicates++;
          else arrivals.set(id, at);
        }
        if (chunks && !firstDelivery) firstDelivery = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok');
      });
    });
    receiver.keepAliveTimeout = 60000;
    receiver.headersTimeout = 61000;
    await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const receiverPort = receiver.address().port;
    const hookUrl = `http://127.0.0.1:${receiverPort}/hook`;
    log(`node ${process.version} (${process.execPath}); receiver on 127.0.0.1:${receiverPort}; database ${dbName}; Redis prefix ${prefix}; logs in ${procs.logDirectory()}`);

    // --- database, tenant, webhook -----------------------------------------------------------------------------
    await procs.runNode('migrate', 'scripts/migrate.js', [], env, RUN_NODE_TIMEOUT_MS);
    const tenant = JSON.parse(
      (
        await procs.runNode(
          'tenant create',
          'libs/tenant-auth/dist/cli/main.js',
          ['tenant', 'create', '--name', 'Bench', '--plan', 'business', '--json'],
          env,
          RUN_NODE_TIMEOUT_MS,
        )
      ).trim(),
    );
    const apiPort = await freePort();
    const api = await procs.start(
      'business-api',
      [...NODE_ARGS, 'apps/business-api/dist/main.js'],
      { ...env, BUSINESS_API_PORT: String(apiPort) },
      `http://127.0.0.1:${apiPort}/health/ready`,
    );
    const created = await fetch(`http://127.0.0.1:${apiPort}/api/chatbot-webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tenant.apiKey}`, 'x-tenant-id': tenant.tenantId, 'content-type': 'application/json' },
      body: JSON.stringify({ event_type: 'message_sent', webhook_url: hookUrl, retry_config: { max_retries: 0, backoff: 'fixed' } }),
    });
    const webhook = await created.json();
    if (created.status !== 201) throw new Error(`creating the webhook failed: ${created.status} ${JSON.stringify(webhook)}`);
    await stopChild(api);
    log(`tenant ${tenant.tenantId}, webhook ${webhook.id} → ${hookUrl} (business-api stopped)`);

    // --- worker --------------------------------------------------------------------------------------------------
    const workerPort = await freePort();
    const workerEnv = { ...env, ...WORKER_TUNING, WORKER_PORT: String(workerPort) };
    const worker = await procs.start('worker', [...NODE_ARGS, 'apps/worker/dist/main.js'], workerEnv, `http://127.0.0.1:${workerPort}/health/ready`);
    const workerLog = procs.logFile('worker');
    log(`worker pid ${worker.pid} ready; tuning ${JSON.stringify(WORKER_TUNING)}`);

    // --- producer side -------------------------------------------------------------------------------------------
    db = await createDataSource({ url: databaseUrl, entities: EVENTS_ENTITIES, poolSize: 10, applicationName: 'bench-producer' }).initialize();
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
    const bull = bullPrefix(prefix);
    queues = [QUEUES.eventFanout, QUEUES.webhookDelivery].map((name) => new Queue(name, { connection: redis, prefix: bull }));
    let seq = 0;
    // One transaction of `count` events in one round trip: the outbox writer's statement sent alone (see the header).
    const producerPool = pgPool(db);
    const produce = async (count) => {
      const events = Array.from({ length: count }, () => ({ tenantId: tenant.tenantId, type: 'message_sent', data: sampleEventData(seq++) }));
      const { statement, ids } = outboxEventsStatement(events);
      await producerPool.query(statement.text, statement.values);
      return ids;
    };
    const produceOne = async () => ({ id: (await produce(1))[0] });

    const redisPids = pidsNamed('redis-server');
    const cpuSnapshot = async () => {
      const backends = await db.query(`SELECT pid, application_name FROM pg_stat_activity WHERE datname = $1`, [dbName]);
      const pg = { worker: 0, bench: 0 };
      for (const b of backends) {
        const ms = procCpuMs(b.pid);
        if (ms === null) continue;
        if (String(b.application_name).startsWith('worker')) pg.worker += ms;
        else pg.bench += ms;
      }
      const pgPids = new Map(backends.map((b) => [b.pid, procCpuMs(b.pid) ?? 0]));
      const bench = process.cpuUsage();
      return {
        at: now(),
        worker: procCpuMs(worker.pid) ?? NaN,
        pgPids,
        pgApps: new Map(backends.map((b) => [b.pid, String(b.application_name)])),
        redis: redisPids.reduce((sum, pid) => sum + (procCpuMs(pid) ?? 0), 0),
        bench: (bench.user + bench.system) / 1000,
        machine: machineCpu(),
      };
    };
    const cpuDelta = (a, b, events) => {
      const pg = { worker: 0, bench: 0 };
      for (const [pid, ms] of b.pgPids) {
        const before = a.pgPids.get(pid) ?? 0; // a backend opened during the phase counts from zero
        const app = b.pgApps.get(pid) ?? '';
        pg[app.startsWith('worker') ? 'worker' : 'bench'] += ms - before;
      }
      const wall = b.at - a.at;
      const { busy: machineBusy, steal } = machineShares(a.machine, b.machine);
      return {
        wallMs: wall,
        perEventMs: {
          worker: (b.worker - a.worker) / events,
          pgWorker: pg.worker / events,
          pgBench: pg.bench / events,
          redis: (b.redis - a.redis) / events,
          bench: (b.bench - a.bench) / events,
        },
        workerCores: (b.worker - a.worker) / wall,
        machineBusy,
        steal,
      };
    };

    const waitArrived = (ids, timeoutMs) => waitFor(() => ids.every((id) => arrivals.has(id)), timeoutMs, 20);
    const quiesce = async () => {
      // Every job finished (delivery-log transactions included) and the outbox drained, so runs do not overlap.
      const ok = await waitFor(
        async () => {
          const counts = await Promise.all(queues.map((q) => q.getJobCounts('waiting', 'active', 'delayed', 'prioritized')));
          const busy = counts.reduce((sum, c) => sum + c.waiting + c.active + c.delayed + c.prioritized, 0);
          if (busy > 0) return false;
          const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM events.outbox WHERE published_at IS NULL`);
          return n === 0;
        },
        30000,
        50,
      );
      if (!ok) log('warning: pipeline not quiet after 30 s');
      await sleep(300);
    };

    /**
     * Per-event stage timeline (epoch ms), read back from Postgres: the fan-out and delivery jobs are removed from Redis
     * when they complete, so their BullMQ timestamps are gone by now. Each timestamp is a `now()`, i.e. the start of the
     * transaction that wrote it: the relay's claim (outbox.published_at), fan-out's store of the event and its message
     * (webhook_messages.created_at) and the result writer's update of the message (webhook_messages.delivered_at).
     */
    const timeline = async (commits) => {
      const ids = [...commits.keys()];
      const marks = new Map();
      for (let i = 0; i < ids.length; i += 5000) {
        const rows = await db.query(
          `SELECT o.id, (extract(epoch FROM o.published_at) * 1000)::float8 AS pub,
                  (extract(epoch FROM m.created_at) * 1000)::float8 AS stored,
                  (extract(epoch FROM m.delivered_at) * 1000)::float8 AS written
             FROM events.outbox o JOIN business.webhook_messages m ON m.event_id = o.id AND m.webhook_id = $2
            WHERE o.id = ANY($1::uuid[])`,
          [ids.slice(i, i + 5000), webhook.id],
        );
        for (const r of rows) marks.set(r.id, r);
      }
      const stages = {
        relayWake: [], // commit → relay claim transaction started (outbox.published_at)
        toFanout: [], // claim → fan-out's transaction started (addBulk, fan-out job waits in queue, batch forms)
        toArrival: [], // fan-out's transaction → receiver got it (store, delivery job added, waits in queue, sign, HTTP)
        afterArrival: [], // receiver got it → result writer's transaction started (log row + message delivered)
        total: [],
      };
      const rows = [];
      for (const [id, commit] of commits) {
        const arrival = arrivals.get(id);
        const m = marks.get(id);
        if (arrival === undefined || !m || m.pub === null || m.stored === null || m.written === null) continue;
        const a = epochOf(arrival);
        const row = {
          relayWake: m.pub - epochOf(commit),
          toFanout: m.stored - m.pub,
          toArrival: a - m.stored,
          afterArrival: m.written - a,
          total: arrival - commit,
        };
        rows.push(row);
        for (const k of Object.keys(stages)) stages[k].push(row[k]);
      }
      // Where do the slowest 1% spend their time?
      const slow = [...rows].sort((x, y) => y.total - x.total).slice(0, Math.max(1, Math.ceil(rows.length / 100)));
      const slowMean = {};
      for (const k of Object.keys(stages)) slowMean[k] = slow.reduce((s, r) => s + r[k], 0) / slow.length;
      const out = {};
      for (const k of Object.keys(stages)) out[k] = stats(stages[k]);
      return { stages: out, slowMean, n: rows.length };
    };

    // --- warm-up (JIT, pools, connections) and a signature sanity check -----------------------------------------
    {
      const ids = [];
      for (let i = 0; i < SETTINGS.warmupEvents; i++) {
        ids.push((await produceOne()).id);
        if (i % 10 === 9) await sleep(10);
      }
      if (!(await waitArrived(ids, 30000))) throw new Error(`warm-up: only ${ids.filter((id) => arrivals.has(id)).length}/${ids.length} events arrived:\n${tail(workerLog)}`);
      let signature = 'not checked (standardwebhooks not installed)';
      try {
        const { Webhook } = require('standardwebhooks');
        new Webhook(webhook.secret).verify(firstDelivery.body, firstDelivery.headers);
        signature = 'valid (standardwebhooks)';
      } catch (err) {
        if (err.code !== 'MODULE_NOT_FOUND') signature = `INVALID: ${err.message}`;
      }
      await quiesce();
      log(`warm-up: ${ids.length} events delivered; signature of the first delivery ${signature}`);
    }

    // --- phases ----------------------------------------------------------------------------------------------------
    let baselineRuns = 0;
    const baselineBull = async () => {
      // A fresh key prefix each time, so rounds are independent (ids of failed jobs would carry over otherwise).
      const redisBefore = redisPids.reduce((sum, pid) => sum + (procCpuMs(pid) ?? 0), 0);
      const machineBefore = machineCpu();
      const r = await runChild('bullmq', {
        redisUrl: REDIS_URL,
        prefix: `${prefix}:baseline${++baselineRuns}`,
        jobs: SETTINGS.bullJobs,
        warmupJobs: SETTINGS.bullWarmupJobs,
        concurrency: SETTINGS.bullConcurrency,
      });
      // BullMQ's own CPU per no-op job (the child's queue + worker, plus redis-server): the floor under every job.
      // (over the warm-up jobs too: Redis CPU is sampled around the whole child)
      r.redisCpuMsPerJob = (redisPids.reduce((sum, pid) => sum + (procCpuMs(pid) ?? 0), 0) - redisBefore) / (SETTINGS.bullJobs + SETTINGS.bullWarmupJobs);
      r.cpuMsPerJob = r.childCpuMsPerJob + r.redisCpuMsPerJob;
      r.steal = machineShares(machineBefore, machineCpu()).steal;
      log(
        `raw BullMQ no-op: ${fmtInt(r.rate)} jobs/s (add ${fmtInt(r.addRate)} jobs/s); CPU ${fmt(r.cpuMsPerJob, 3)} ms/job ` +
          `(node ${fmt(r.childCpuMsPerJob, 3)} + redis ${fmt(r.redisCpuMsPerJob, 3)}); host steal ${fmt(r.steal * 100)}%`,
      );
      return r;
    };
    const baselineUndici = async () => {
      const before = baselineHits;
      const r = await runChild('undici', { url: `http://127.0.0.1:${receiverPort}/baseline`, requests: SETTINGS.undiciRequests, concurrency: SETTINGS.undiciConcurrency });
      r.receiverHits = baselineHits - before;
      log(`raw undici POST: ${fmtInt(r.rate)} req/s p50 ${fmt(r.p50, 2)} ms p99 ${fmt(r.p99, 2)} ms`);
      return r;
    };

    const steady = async (rate = SETTINGS.steadyRate, seconds = SETTINGS.steadySeconds) => {
      const total = Math.round(rate * seconds);
      const interval = 1000 / rate;
      const commits = new Map();
      const lags = [];
      const inflight = new Set();
      let failed = 0;
      const cpuA = await cpuSnapshot();
      const start = now() + 20;
      let i = 0;
      await new Promise((resolve) => {
        const tick = () => {
          const t = now();
          while (i < total && start + i * interval <= t) {
            lags.push(t - (start + i * interval));
            i++;
            const p = produceOne().then(
              (event) => commits.set(event.id, now()),
              () => failed++,
            );
            inflight.add(p);
            p.finally(() => inflight.delete(p));
          }
          if (i >= total) return resolve();
          setTimeout(tick, Math.max(0, start + i * interval - now()));
        };
        setTimeout(tick, Math.max(0, start - now()));
      });
      await Promise.all([...inflight]);
      const producedAt = now();
      const ids = [...commits.keys()];
      await waitArrived(ids, 30000);
      const cpuB = await cpuSnapshot();
      const delivered = ids.filter((id) => arrivals.has(id)).length;
      const lat = stats(ids.filter((id) => arrivals.has(id)).map((id) => arrivals.get(id) - commits.get(id)));
      const produceSeconds = (producedAt - start) / 1000;
      await quiesce();
      const tl = await timeline(commits);
      const cpu = cpuDelta(cpuA, cpuB, delivered);
      const r = { produced: commits.size, failed, delivered, lat, producerLag: stats(lags), achievedRate: commits.size / produceSeconds, tl, cpu };
      log(
        `steady ${rate}/s: produced ${r.produced} delivered ${delivered}; e2e p50 ${fmt(lat.p50)} p90 ${fmt(lat.p90)} p99 ${fmt(lat.p99)} max ${fmt(lat.max)} ms; ` +
          `producer lag p99 ${fmt(r.producerLag.p99)} ms`,
      );
      return r;
    };

    const saturation = async () => {
      const n = SETTINGS.satEvents;
      const batches = Math.ceil(n / SETTINGS.satTxSize);
      const commits = new Map();
      let next = 0;
      let firstCommit = Infinity;
      let lastCommit = 0;
      const cpuA = await cpuSnapshot();
      const start = now();
      const producer = async () => {
        while (next < batches) {
          const b = next++;
          const size = Math.min(SETTINGS.satTxSize, n - b * SETTINGS.satTxSize);
          const ids = await produce(size);
          const t = now();
          firstCommit = Math.min(firstCommit, t);
          lastCommit = Math.max(lastCommit, t);
          for (const id of ids) commits.set(id, t);
        }
      };
      await Promise.all(Array.from({ length: SETTINGS.satProducers }, producer));
      const ids = [...commits.keys()];
      await waitArrived(ids, 120000);
      const cpuB = await cpuSnapshot();
      const arrived = ids.filter((id) => arrivals.has(id));
      const lastArrival = Math.max(...arrived.map((id) => arrivals.get(id)));
      const firstArrival = Math.min(...arrived.map((id) => arrivals.get(id)));
      const seconds = (lastArrival - firstCommit) / 1000;
      const lat = stats(arrived.map((id) => arrivals.get(id) - commits.get(id)));
      await quiesce();
      const tl = await timeline(commits);
      const cpu = cpuDelta(cpuA, cpuB, arrived.length);
      const r = {
        produced: commits.size,
        delivered: arrived.length,
        rate: arrived.length / seconds,
        seconds,
        insertRate: commits.size / ((lastCommit - start) / 1000),
        insertSeconds: (lastCommit - start) / 1000,
        firstArrivalAfterMs: firstArrival - firstCommit,
        lat,
        tl,
        cpu,
      };
      log(
        `saturation ${n}: delivered ${r.delivered} in ${fmt(seconds, 2)} s = ${fmtInt(r.rate)} events/s ` +
          `(inserts done after ${fmt(r.insertSeconds, 2)} s, ${fmtInt(r.insertRate)} events/s); CPU/event ` +
          `worker ${fmt(cpu.perEventMs.worker, 3)} pg ${fmt(cpu.perEventMs.pgWorker, 3)} redis ${fmt(cpu.perEventMs.redis, 3)} ms, machine ${fmt(cpu.machineBusy * 100)}% busy, host steal ${fmt(cpu.steal * 100)}%`,
      );
      return r;
    };

    let floor = null;
    if (SETTINGS.floorSeconds > 0) {
      log(`latency floor: ${SETTINGS.floorRate} events/s for ${SETTINGS.floorSeconds} s`);
      floor = await steady(SETTINGS.floorRate, SETTINGS.floorSeconds);
    }
    for (let i = 1; i <= SETTINGS.warmupSaturations; i++) {
      log(`warm-up saturation ${i}/${SETTINGS.warmupSaturations} (not reported)`);
      await saturation();
    }
    const rounds = [];
    for (let round = 1; round <= SETTINGS.rounds; round++) {
      log(`round ${round}/${SETTINGS.rounds}`);
      const bullR = await baselineBull();
      const undiciR = await baselineUndici();
      await quiesce();
      const steadyR = await steady();
      const satR = await saturation();
      rounds.push({ bull: bullR, undici: undiciR, steady: steadyR, sat: satR, ratio: satR.rate / bullR.rate });
    }

    // sanity: every delivery logged once, every message delivered
    const [logsRow] = await db.query(
      `SELECT count(*)::int AS logs, count(*) FILTER (WHERE success)::int AS ok FROM business.webhook_delivery_logs WHERE webhook_id = $1`,
      [webhook.id],
    );
    const [msgRow] = await db.query(
      `SELECT count(*)::int AS messages, count(*) FILTER (WHERE status = 'delivered')::int AS delivered FROM business.webhook_messages WHERE webhook_id = $1`,
      [webhook.id],
    );
    const workerLogTail = tail(workerLog, 10);
    const report = { rounds, floor, duplicates, arrivals: arrivals.size, logsRow, msgRow, workerLogTail, webhookId: webhook.id };
    printReport(report);
    return report;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// report

function printReport({ rounds, floor, duplicates, arrivals, logsRow, msgRow, workerLogTail }) {
  const out = [];
  const p = (line = '') => out.push(line);
  const mark = (ok) => (ok ? 'PASS' : 'MISS');
  const cols = rounds.map((_, i) => `run ${i + 1}`);
  const row = (label, values, medianValue, extra = '') =>
    p(`  ${label.padEnd(44)}${values.map((v) => String(v).padStart(10)).join('')}${String(medianValue).padStart(10)}  ${extra}`);
  const header = (title) => {
    p();
    p(title);
    p(`  ${''.padEnd(44)}${cols.map((c) => c.padStart(10)).join('')}${'median'.padStart(10)}`);
  };
  const series = (get) => rounds.map(get);

  p();
  p(`bench/webhooks  node ${process.version}  ${os.cpus().length} cpus  ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB  ${new Date().toISOString()}`);
  p(`bench time ${fmt((now() - T0) / 1000, 0)} s; settings ${JSON.stringify(SETTINGS)}`);
  p(`worker env: ${Object.entries(WORKER_TUNING).map(([k, v]) => `${k}=${v}`).join(' ')}`);

  header('Baselines (same run)');
  {
    const b = series((r) => r.bull.rate);
    row(`raw BullMQ no-op jobs/s (conc ${SETTINGS.bullConcurrency}, ${SETTINGS.bullJobs} jobs)`, b.map(fmtInt), fmtInt(median(b)));
    const bc = series((r) => r.bull.cpuMsPerJob);
    row('  BullMQ CPU ms per no-op job (node + redis)', bc.map((v) => fmt(v, 3)), fmt(median(bc), 3));
    const u = series((r) => r.undici.rate);
    row(`raw undici POST req/s (${SETTINGS.undiciConcurrency} conc, ${SETTINGS.undiciRequests} req)`, u.map(fmtInt), fmtInt(median(u)));
    const u50 = series((r) => r.undici.p50);
    row('  undici latency p50 ms', u50.map((v) => fmt(v, 2)), fmt(median(u50), 2));
    const u99 = series((r) => r.undici.p99);
    row('  undici latency p99 ms', u99.map((v) => fmt(v, 2)), fmt(median(u99), 2));
  }

  header(`Steady ${SETTINGS.steadyRate} events/s x ${SETTINGS.steadySeconds} s (1 event per transaction; commit -> receiver)`);
  {
    row('produced / delivered', series((r) => `${r.steady.produced}/${r.steady.delivered}`), '', mark(rounds.every((r) => r.steady.delivered === r.steady.produced && r.steady.failed === 0)));
    row('achieved produce rate events/s', series((r) => fmt(r.steady.achievedRate)), fmt(median(series((r) => r.steady.achievedRate))));
    for (const k of ['p50', 'p90', 'p99', 'max']) {
      const v = series((r) => r.steady.lat[k]);
      const m = median(v);
      row(`e2e latency ${k} ms`, v.map((x) => fmt(x)), fmt(m), k === 'p99' ? `target <= ${TARGETS.steadyP99Ms} ms  ${mark(m <= TARGETS.steadyP99Ms)}` : '');
    }
    const lag = series((r) => r.steady.producerLag.p99);
    row('producer schedule lag p99 ms', lag.map((x) => fmt(x)), fmt(median(lag)));
    if (floor) {
      const l = floor.lat;
      p(
        `  floor: ${SETTINGS.floorRate} events/s x ${SETTINGS.floorSeconds} s (once, before the rounds): ${floor.delivered}/${floor.produced} delivered, ` +
          `p50 ${fmt(l.p50)} p90 ${fmt(l.p90)} p99 ${fmt(l.p99)} max ${fmt(l.max)} ms`,
      );
    }
  }

  header(`Saturation ${SETTINGS.satEvents} events (${SETTINGS.satProducers} producers, transactions of ${SETTINGS.satTxSize}; first commit -> last arrival)`);
  {
    row('produced / delivered', series((r) => `${r.sat.produced}/${r.sat.delivered}`), '', mark(rounds.every((r) => r.sat.delivered === r.sat.produced)));
    const rate = series((r) => r.sat.rate);
    row('delivered events/s', rate.map(fmtInt), fmtInt(median(rate)));
    const ratio = series((r) => r.ratio);
    const mr = median(ratio);
    row('ratio vs raw BullMQ no-op (same round)', ratio.map((x) => `${fmt(x * 100)}%`), `${fmt(mr * 100)}%`, `target >= ${TARGETS.saturationRatio * 100}%  ${mark(mr >= TARGETS.saturationRatio)}`);
    // What BullMQ alone allows: 2 jobs per event (fan-out + delivery) at its measured CPU per job, on every core.
    const ceiling = series((r) => (os.cpus().length * 1000) / (2 * r.bull.cpuMsPerJob));
    row('ceiling if only BullMQ cost CPU (2 jobs/event)', ceiling.map(fmtInt), fmtInt(median(ceiling)), `= ${fmt((median(ceiling) / median(series((r) => r.bull.rate))) * 100)}% of raw BullMQ`);
    // The target as a CPU budget: at the round's raw rate and its measured machine utilisation, the CPU one event may
    // cost (all processes) for the ratio to reach the target, beside what it cost (sum of the CPU table's columns).
    const budget = series((r) => (os.cpus().length * 1000 * r.sat.cpu.machineBusy) / (TARGETS.saturationRatio * r.bull.rate));
    const spent = series((r) => Object.values(r.sat.cpu.perEventMs).reduce((sum, ms) => sum + (Number.isFinite(ms) ? ms : 0), 0));
    row(
      `CPU/event allowed for ${TARGETS.saturationRatio * 100}% · spent (ms)`,
      budget.map((b, i) => `${fmt(b, 2)}·${fmt(spent[i], 2)}`),
      `${fmt(median(budget), 2)}·${fmt(median(spent), 2)}`,
      '(all processes, at the round\'s busy %)',
    );
    // On a VM the host may take CPU time (steal) in one phase and not in the other: the ratio then moves with the host.
    row(
      'host steal % (raw BullMQ · saturation)',
      series((r) => `${fmt(r.bull.steal * 100, 0)}·${fmt(r.sat.cpu.steal * 100, 0)}`),
      `${fmt(median(series((r) => r.bull.steal)) * 100, 0)}·${fmt(median(series((r) => r.sat.cpu.steal)) * 100, 0)}`,
    );
    const ur = series((r) => r.sat.rate / r.undici.rate);
    row('ratio vs raw undici POST loop', ur.map((x) => `${fmt(x * 100)}%`), `${fmt(median(ur) * 100)}%`);
    const ins = series((r) => r.sat.insertRate);
    row('producer commit rate events/s', ins.map(fmtInt), fmtInt(median(ins)));
    for (const k of ['p50', 'p99']) {
      const v = series((r) => r.sat.lat[k]);
      row(`e2e latency ${k} ms (backlog included)`, v.map((x) => fmtInt(x)), fmtInt(median(v)));
    }
  }

  const stageNames = {
    relayWake: 'commit -> relay claims row',
    toFanout: 'claim -> fan-out stores event + message',
    toArrival: 'fan-out stores -> receiver got it',
    afterArrival: '(after arrival: result transaction)',
    total: 'total commit -> arrival',
  };
  const stageTable = (title, results) => {
    p();
    p(title);
    p(`  ${'stage (ms; median over runs)'.padEnd(44)}${['p50', 'p90', 'p99', 'mean', 'slow1%'].map((c) => c.padStart(9)).join('')}`);
    for (const [k, label] of Object.entries(stageNames)) {
      const vals = ['p50', 'p90', 'p99', 'mean'].map((q) => median(results.map((r) => r.tl.stages[k][q])));
      const slow = median(results.map((r) => r.tl.slowMean[k]));
      p(`  ${label.padEnd(44)}${[...vals, slow].map((v) => fmt(v).padStart(9)).join('')}`);
    }
  };
  if (floor) stageTable(`Floor (${SETTINGS.floorRate} events/s): per-event timeline (transaction start times read from Postgres)`, [floor]);
  stageTable(`Steady ${SETTINGS.steadyRate} events/s: where the time goes (per-event timeline)`, series((r) => r.steady));
  stageTable('Saturation: per-event timeline', series((r) => r.sat));

  p();
  p('CPU per delivered event (ms of CPU; median over runs) and utilisation');
  p(`  ${'phase'.padEnd(12)}${['worker', 'pg(wrk)', 'pg(bench)', 'redis*', 'bench', 'sum', 'wrk cores', 'machine', 'steal'].map((c) => c.padStart(10)).join('')}`);
  for (const [label, pick] of [
    ['steady', (r) => r.steady.cpu],
    ['saturation', (r) => r.sat.cpu],
  ]) {
    const per = (k) => median(series((r) => pick(r).perEventMs[k]));
    const vals = ['worker', 'pgWorker', 'pgBench', 'redis', 'bench'].map(per);
    const sum = vals.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
    p(
      `  ${label.padEnd(12)}${[...vals, sum].map((v) => fmt(v, 3).padStart(10)).join('')}` +
        `${fmt(median(series((r) => pick(r).workerCores)), 2).padStart(10)}${`${fmt(median(series((r) => pick(r).machineBusy)) * 100, 0)}%`.padStart(10)}` +
        `${`${fmt(median(series((r) => pick(r).steal)) * 100, 0)}%`.padStart(10)}`,
    );
  }
  p('  (* redis-server is shared with anything else on the machine; machine = share of all cores running processes,');
  p('   host steal excluded: it is shown apart, and neither ours nor idle)');

  p();
  p(
    `checks: duplicates at receiver ${duplicates}; events received ${arrivals}; delivery logs ${logsRow.logs} (${logsRow.ok} ok); ` +
      `messages ${msgRow.messages} (${msgRow.delivered} delivered)`,
  );
  if (workerLogTail) p(`worker log (tail):\n${workerLogTail}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

// ---------------------------------------------------------------------------------------------------------------
// baseline children

async function childBullmq({ redisUrl, prefix, jobs, warmupJobs = 0, concurrency }) {
  const { QUEUES, defaultJobOptions } = require('@chatbot/events');
  // Same job options and a payload of the same shape and size as a fan-out job, so only the processing differs.
  // Untimed jobs first, like the worker's warm-up saturation runs: optimised code and a grown heap in both.
  const r = await rawBullmqNoop({ redisUrl, prefix, jobs, warmupJobs, concurrency, jobOptions: defaultJobOptions(QUEUES.eventFanout) });
  return { rate: r.rate, addRate: r.addRate, seconds: r.seconds, childCpuMsPerJob: r.cpuUsPerJob / 1000 };
}

async function childUndici({ url, requests, concurrency }) {
  const { Agent, request } = require('undici');
  const agent = new Agent({ keepAliveTimeout: 30000 });
  const body = JSON.stringify({
    id: '00000000-0000-4000-8000-000000000001',
    type: 'message_sent',
    tenant_id: '00000000-0000-4000-8000-000000000000',
    occurred_at: new Date().toISOString(),
    data: sampleEventData(1),
  });
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'chatbot-platform-webhooks/1.0',
    'webhook-id': '00000000-0000-4000-8000-000000000001',
    'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
    'webhook-signature': `v1,${Buffer.alloc(32, 7).toString('base64')}`,
  };
  const run = async (n) => {
    const latencies = new Float64Array(n);
    let next = 0;
    const loop = async () => {
      for (;;) {
        const i = next++;
        if (i >= n) return;
        const t = performance.now();
        const res = await request(url, { dispatcher: agent, method: 'POST', headers, body });
        await res.body.text();
        if (res.statusCode !== 200) throw new Error(`receiver answered ${res.statusCode}`);
        latencies[i] = performance.now() - t;
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: concurrency }, loop));
    return { seconds: (performance.now() - t0) / 1000, latencies };
  };
  await run(Math.min(1000, requests)); // warm-up: connections, JIT
  const { seconds, latencies } = await run(requests);
  latencies.sort();
  await agent.close();
  return { rate: requests / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), seconds };
}

// ---------------------------------------------------------------------------------------------------------------

if (IS_CHILD) {
  const mode = process.argv[3];
  process.on('message', (params) => {
    const fn = mode === 'bullmq' ? childBullmq : mode === 'undici' ? childUndici : null;
    Promise.resolve()
      .then(() => {
        if (!fn) throw new Error(`unknown child mode ${mode}`);
        return fn(params);
      })
      .then(
        (result) => process.send(result, () => process.exit(0)),
        (err) => process.send({ error: err.message }, () => process.exit(1)),
      );
  });
  process.send({ ready: true });
} else {
  main().then(
    () => process.exit(0),
    (err) => {
      process.stderr.write(`bench/webhooks failed: ${err.stack || err.message}\n`);
      process.exit(1);
    },
  );
}
