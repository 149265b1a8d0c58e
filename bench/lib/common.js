'use strict';
// Helpers shared by the benchmarks: settings from the environment, statistics, CPU time from /proc, child processes (the
// services under test and the baselines), and cleanup of the database and Redis keys a run created.
const { execFile, spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const ROOT = path.resolve(__dirname, '..', '..');

/** A positive number from the environment, or the default; `allowZero` for counts and durations where 0 means "skip". */
function num(name, def, { allowZero = false } = {}) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return def;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || (value === 0 && !allowZero)) {
    throw new Error(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} number`);
  }
  return value;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** `[bench  12.3s] line` on stderr, seconds since the logger was made. */
function createLog() {
  const t0 = performance.now();
  return (line) => process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${line}\n`);
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
/** n, mean, p50/p90/p99, max of the finite values (a NaN would sort last and become the max). */
function stats(values) {
  const s = Float64Array.from(values.filter(Number.isFinite)).sort();
  const sum = s.reduce((a, b) => a + b, 0);
  return {
    n: s.length,
    mean: s.length ? sum / s.length : NaN,
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    max: s.length ? s[s.length - 1] : NaN,
  };
}
function median(values) {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}
const fmt = (v, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : '-');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// CPU accounting from /proc (Linux only; NaN / null / empty elsewhere).

const CLK_TCK = 100; // clock ticks per second on Linux

/** CPU clock ticks (user+system) of a process, or null when it is gone. */
function cpuTicks(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may itself contain ') '.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

/** CPU seconds (user+system) of a process, from /proc; NaN when it is gone. */
function cpuSeconds(pid) {
  const ticks = cpuTicks(pid);
  return ticks === null ? NaN : ticks / CLK_TCK;
}

/** CPU milliseconds (user+system) of a process, from /proc; null when it is gone (so a sum can skip it with `?? 0`). */
function procCpuMs(pid) {
  const ticks = cpuTicks(pid);
  return ticks === null ? null : (ticks * 1000) / CLK_TCK;
}

/**
 * Idle, steal and total ticks of the whole machine (all cores), from /proc/stat. On a VM, steal is time the host gave
 * to someone else while this machine wanted to run: neither ours nor idle (see `machineShares`).
 */
function machineCpu() {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = line[3] + (line[4] || 0);
    const steal = line[7] || 0;
    const total = line.slice(0, 8).reduce((a, b) => a + b, 0);
    return { idle, steal, total };
  } catch {
    return null;
  }
}

/**
 * Between two `machineCpu()` samples: `busy` = share of the machine's cores that ran processes (steal excluded, so it
 * compares with per-process CPU read from /proc), `steal` = share the host took. NaN when a sample is missing.
 */
function machineShares(a, b) {
  if (!a || !b || b.total === a.total) return { busy: NaN, steal: NaN };
  const total = b.total - a.total;
  const steal = (b.steal - a.steal) / total;
  return { busy: 1 - (b.idle - a.idle) / total - steal, steal };
}

/** Pids of the processes whose command name is `comm` (e.g. redis-server, shared with the rest of the machine). */
function pidsNamed(comm) {
  const pids = [];
  try {
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === comm) pids.push(Number(entry));
      } catch {
        // process went away
      }
    }
  } catch {
    // no /proc
  }
  return pids;
}

// Child processes and their logs.

/** The last `lines` lines of a log file ('' when it cannot be read), for error messages and reports. */
function tail(file, lines = 30) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** The child processes of a run (CLI calls, services, baselines), tracked so cleanup can stop every one. */
class ChildProcesses {
  constructor(name) {
    this.name = name;
    this.children = new Set();
    this.logDir = null;
  }

  /** The run's log directory, made on first use (a bench may name it before any service has started). */
  logDirectory() {
    this.logDir ??= fs.mkdtempSync(path.join(os.tmpdir(), `bench-${this.name}-`));
    return this.logDir;
  }

  /** The log file of the service started as `name`. */
  logFile(name) {
    return path.join(this.logDirectory(), `${name}.log`);
  }

  /** Runs a Node script to completion (migrations, the CLI); resolves with its stdout. */
  runNode(name, script, args, env, timeoutMs = 120000) {
    return new Promise((resolve, reject) => {
      const child = execFile(process.execPath, [script, ...args], { cwd: ROOT, env, timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
        this.children.delete(child);
        if (err) reject(new Error(`${name} failed: ${err.message}\n${stderr}`));
        else resolve(stdout);
      });
      this.children.add(child);
    });
  }

  /**
   * Starts a long-running Node process (`args`: node flags, then the script and its arguments) and waits until
   * `readyUrl` answers 2xx; its output goes to `logFile(name)`. Fails with the exit code/signal and the log's tail when
   * the process dies first, or after 30 s.
   */
  async start(name, args, env, readyUrl) {
    const logFile = this.logFile(name);
    const out = fs.openSync(logFile, 'a');
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    this.children.add(child);
    let exited = null;
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      this.children.delete(child);
    });
    const started = Date.now();
    while (Date.now() - started < 30000 && !exited) {
      try {
        if ((await fetch(readyUrl, { signal: AbortSignal.timeout(1000) })).ok) return child;
      } catch {
        // not yet
      }
      await sleep(100);
    }
    throw new Error(`${name} did not become ready (${exited ? `exited ${JSON.stringify(exited)}` : 'timeout'}):\n${tail(logFile)}`);
  }

  /** SIGTERM every child (SIGKILL after 10 s) and remove the logs, unless `keepLogs` (a diagnostic run reads them). */
  async stopAll({ keepLogs = false } = {}) {
    await Promise.all([...this.children].map((child) => stopChild(child).catch(() => undefined)));
    if (this.logDir && !keepLogs) fs.rmSync(this.logDir, { recursive: true, force: true });
  }
}

/** SIGTERM, then SIGKILL if it is still there after `graceMs`; resolves when the process has exited. */
async function stopChild(child, graceMs = 10000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  try {
    child.kill('SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }, graceMs);
  await gone;
  clearTimeout(timer);
}

/** Drops the run's database (best effort; says so when it cannot; BENCH_KEEP_DB keeps it for investigation). */
async function dropDatabase(baseUrl, dbName) {
  if (process.env.BENCH_KEEP_DB) {
    process.stderr.write(`keeping database ${dbName} (BENCH_KEEP_DB)\n`);
    return;
  }
  const { Client } = require(require.resolve('pg', { paths: [ROOT] }));
  const admin = new Client({ connectionString: baseUrl });
  try {
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  } catch (err) {
    process.stderr.write(`cleanup: could not drop ${dbName}: ${err.message}\n`);
  } finally {
    await admin.end().catch(() => undefined);
  }
}

/**
 * Deletes every Redis key under the run's prefix (best effort: never throws). Resolves with how many keys it deleted
 * and the error that stopped it, if any, for a caller that reports them.
 */
async function deleteRedisKeys(redisUrl, prefix) {
  const Redis = require(require.resolve('ioredis', { paths: [path.join(ROOT, 'apps', 'agents-api')] }));
  const r = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) deleted += await r.unlink(...keys);
    } while (cursor !== '0');
    return { deleted, error: null };
  } catch (error) {
    return { deleted, error };
  } finally {
    r.disconnect();
  }
}

/**
 * Fills a BullMQ queue's completed set up to `count` finished jobs (job hashes with `data`, as BullMQ leaves them), so
 * that a bench measures the steady state of a long-running deployment: with `removeOnComplete: { count }` at its cap,
 * every job that finishes removes the oldest one. A fresh queue never reaches the cap in a bench run. Entries are
 * timestamped now, so only the count (not the age) removes them. `queueKey` is BullMQ's `<prefix>:<queue name>`.
 */
const FILL_COMPLETED_LUA = `
local key, from, to, ts, data = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], ARGV[4]
for i = from, to do
  local id = 'backlog-' .. i
  redis.call('HSET', key .. ':' .. id, 'name', 'backlog', 'data', data, 'opts', '{}', 'timestamp', ts, 'processedOn', ts,
    'finishedOn', ts, 'returnvalue', 'null', 'atm', 1)
  redis.call('ZADD', key .. ':completed', ts, id)
end
return to - from + 1`;
async function fillCompletedSet(redis, queueKey, count, data) {
  const present = await redis.zcard(`${queueKey}:completed`);
  const ts = String(Date.now());
  for (let from = present + 1; from <= count; from += 5000) {
    await redis.eval(FILL_COMPLETED_LUA, 1, queueKey, from, Math.min(count, from + 4999), ts, data);
  }
  return Math.max(0, count - present);
}

/** The data of a `message_sent` event of a typical size (the webhook benches' events and raw BullMQ payloads). */
const sampleEventData = (n) => ({
  agent_id: 'agent_bench',
  conversation_id: `conv_${n % 1000}`,
  user_id: `user_${n % 1000}`,
  message_id: `msg_${n}`,
  from: 'bot',
  type: 'text',
  text: 'Hello! This is a benchmark message of a typical size, about one sentence long, sent by the bot.',
});

/**
 * Raw BullMQ no-op jobs in this process (Queue + Worker, `concurrency` in flight): the baseline under every job of the
 * webhook pipeline. Jobs carry a fan-out job's payload (an event of `sampleEventData`), ids `noop-<i>`, and are added
 * with addBulk in bulks of 1,000: `warmupJobs` untimed ones first (optimised code, a grown heap), then
 * `beforeTimed({ redis, queueKey, payload })` if given (a connection of its own, BullMQ's `<prefix>:<queue>` key and
 * one job's data as JSON), then `jobs` timed ones. Returns their rate, the rate at which they were added, and this
 * process's CPU per job (µs).
 */
async function rawBullmqNoop({ redisUrl, prefix, jobs, warmupJobs = 0, concurrency, jobOptions, beforeTimed }) {
  const { Queue, Worker } = require('bullmq');
  const { Redis } = require('ioredis');
  const connections = [];
  const conn = () => {
    const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
    connections.push(connection);
    return connection;
  };
  const name = 'noop';
  const queue = new Queue(name, { connection: conn(), prefix, defaultJobOptions: jobOptions });
  let done = 0;
  let waitingFor = { count: 0, finish: () => undefined };
  const worker = new Worker(name, async () => undefined, { connection: conn(), prefix, concurrency });
  worker.on('completed', () => {
    if (++done === waitingFor.count) waitingFor.finish(performance.now());
  });
  const event = (i) => ({
    event: {
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      type: 'message_sent',
      tenant_id: '00000000-0000-4000-8000-000000000000',
      occurred_at: new Date().toISOString(),
      data: sampleEventData(i),
    },
  });
  // Adds `count` jobs (ids from `first`); resolves when they are added and when all have completed.
  const batch = async (first, count) => {
    const finished = new Promise((resolve) => (waitingFor = { count: done + count, finish: resolve }));
    for (let i = first; i < first + count; i += 1000) {
      const size = Math.min(1000, first + count - i);
      await queue.addBulk(Array.from({ length: size }, (_, k) => ({ name, data: event(i + k), opts: { jobId: `noop-${i + k}` } })));
    }
    return { added: performance.now(), end: await finished };
  };
  try {
    await worker.waitUntilReady();
    await queue.waitUntilReady();
    if (warmupJobs > 0) await batch(jobs, warmupJobs);
    if (beforeTimed) await beforeTimed({ redis: conn(), queueKey: `${prefix}:${name}`, payload: JSON.stringify(event(0)) });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const { added, end } = await batch(0, jobs);
    const cpu = process.cpuUsage(cpu0);
    return { rate: jobs / ((end - t0) / 1000), addRate: jobs / ((added - t0) / 1000), seconds: (end - t0) / 1000, cpuUsPerJob: (cpu.user + cpu.system) / jobs };
  } finally {
    await worker.close();
    await queue.close();
    for (const connection of connections) connection.disconnect();
  }
}

module.exports = {
  ROOT,
  fillCompletedSet,
  rawBullmqNoop,
  sampleEventData,
  num,
  sleep,
  createLog,
  percentile,
  stats,
  median,
  fmt,
  freePort,
  cpuSeconds,
  procCpuMs,
  machineCpu,
  machineShares,
  pidsNamed,
  tail,
  ChildProcesses,
  stopChild,
  dropDatabase,
  deleteRedisKeys,
};
