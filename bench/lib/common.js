'use strict';
// Helpers shared by the benchmarks: settings from the environment, statistics, child processes (the services under
// test and the baselines), and cleanup of the database and Redis keys a run created.
const { execFile, spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const ROOT = path.resolve(__dirname, '..', '..');

/** A positive number from the environment, or the default. */
function num(name, def) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return def;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
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
function stats(values) {
  const s = Float64Array.from(values).sort();
  return { n: s.length, p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99), max: s.length ? s[s.length - 1] : NaN };
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

/** CPU seconds (user+system) of a process, from /proc. */
function cpuSeconds(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks (CLK_TCK = 100 on Linux)
  } catch {
    return NaN;
  }
}

/** The child processes of a run (CLI calls, services, baselines), tracked so cleanup can stop every one. */
class ChildProcesses {
  constructor(name) {
    this.name = name;
    this.children = new Set();
    this.logDir = null;
  }

  /** Runs a Node script to completion (migrations, the CLI); resolves with its stdout. */
  runNode(name, script, args, env) {
    return new Promise((resolve, reject) => {
      const child = execFile(process.execPath, [script, ...args], { cwd: ROOT, env, timeout: 120000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
        this.children.delete(child);
        if (err) reject(new Error(`${name} failed: ${err.message}\n${stderr}`));
        else resolve(stdout);
      });
      this.children.add(child);
    });
  }

  /** Starts a long-running Node process and waits until `readyUrl` answers 2xx (its output goes to a log file). */
  async start(name, args, env, readyUrl) {
    this.logDir ??= fs.mkdtempSync(path.join(os.tmpdir(), `bench-${this.name}-`));
    const logFile = path.join(this.logDir, `${name}.log`);
    const out = fs.openSync(logFile, 'a');
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    this.children.add(child);
    let exited = false;
    child.on('exit', () => {
      exited = true;
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
    throw new Error(`${name} did not become ready:\n${fs.readFileSync(logFile, 'utf8').slice(-3000)}`);
  }

  /** SIGTERM every child (SIGKILL after 10 s) and remove the logs. */
  async stopAll() {
    await Promise.all([...this.children].map((child) => stopChild(child).catch(() => undefined)));
    if (this.logDir) fs.rmSync(this.logDir, { recursive: true, force: true });
  }
}

async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
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

/** Deletes every Redis key under the run's prefix (best effort). */
async function deleteRedisKeys(redisUrl, prefix) {
  const Redis = require(require.resolve('ioredis', { paths: [path.join(ROOT, 'apps', 'agents-api')] }));
  const r = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await r.unlink(...keys);
    } while (cursor !== '0');
  } catch {
    // best effort
  } finally {
    r.disconnect();
  }
}

module.exports = {
  ROOT,
  num,
  sleep,
  createLog,
  percentile,
  stats,
  median,
  fmt,
  freePort,
  cpuSeconds,
  ChildProcesses,
  dropDatabase,
  deleteRedisKeys,
};
