'use strict';
/*
 * Investigation aid for bench/webhooks (not used by a normal bench run). Preloaded into the worker with
 *   BENCH_WORKER_ENV='{"NODE_OPTIONS":"--require ./bench/webhooks/trace-hook.js","TRACE_FILE":"/tmp/trace.json"}'
 * it counts, without changing what the worker does:
 *   - every Postgres statement (normalised SQL → count, total ms from send to result),
 *   - time spent waiting for a pool connection,
 *   - every Redis command (name → count; EVALSHA resolved to BullMQ script names where possible),
 * and writes them to TRACE_FILE (nothing is traced without TRACE_FILE) when the process exits (SIGTERM → graceful shutdown → process.exit).
 * TRACE_FANOUT_CONCURRENCY=N additionally overrides the fan-out worker's (hard-coded) concurrency, to measure what
 * raising it would change.
 */
const fs = require('node:fs');
const { performance } = require('node:perf_hooks');

const file = process.env.TRACE_FILE;
const sql = new Map();
const redisCmds = new Map();
const pool = { waits: 0, totalMs: 0, maxMs: 0 };
const bump = (map, key, ms) => {
  const entry = map.get(key) ?? { count: 0, ms: 0 };
  entry.count++;
  entry.ms += ms;
  map.set(key, entry);
};
const normalise = (text) =>
  String(text)
    .replace(/\s+/g, ' ')
    .replace(/\$\d+/g, '$')
    .replace(/\(\s*\$(, \$)*\s*\)/g, '($...)')
    .trim()
    .slice(0, 140);

if (file) {
  try {
    const pg = require('pg');
    const query = pg.Client.prototype.query;
    pg.Client.prototype.query = function tracedQuery(config, values, callback) {
      const text = typeof config === 'string' ? config : config && config.text;
      if (!text) return query.apply(this, arguments);
      const key = normalise(text);
      const started = performance.now();
      const done = () => bump(sql, key, performance.now() - started);
      if (typeof values === 'function' || typeof callback === 'function') {
        const args = [...arguments];
        const i = typeof values === 'function' ? 1 : 2;
        const cb = args[i];
        args[i] = function (...res) {
          done();
          return cb.apply(this, res);
        };
        return query.apply(this, args);
      }
      const result = query.apply(this, arguments);
      if (result && typeof result.then === 'function') result.then(done, done);
      return result;
    };
    const Pool = require('pg-pool');
    const connect = Pool.prototype.connect;
    Pool.prototype.connect = function tracedConnect(cb) {
      const started = performance.now();
      const record = () => {
        const ms = performance.now() - started;
        pool.waits++;
        pool.totalMs += ms;
        pool.maxMs = Math.max(pool.maxMs, ms);
      };
      if (typeof cb === 'function') {
        return connect.call(this, (...res) => {
          record();
          return cb(...res);
        });
      }
      const p = connect.call(this);
      p.then(record, record);
      return p;
    };
  } catch (err) {
    process.stderr.write(`trace-hook: pg not traced: ${err.message}\n`);
  }

  try {
    const { Redis } = require('ioredis');
    const shaNames = new Map();
    const send = Redis.prototype.sendCommand;
    Redis.prototype.sendCommand = function tracedSend(command, stream) {
      let name = command && command.name;
      if (name === 'evalsha' || name === 'eval') {
        const sha = command.args && command.args[0];
        name = `${name}:${shaNames.get(sha) ?? 'script'}`;
      }
      bump(redisCmds, name, 0);
      return send.call(this, command, stream);
    };
    // BullMQ defines its Lua scripts with defineCommand(name, {lua}); remember sha → name.
    const define = Redis.prototype.defineCommand;
    Redis.prototype.defineCommand = function tracedDefine(name, definition) {
      try {
        const { createHash } = require('node:crypto');
        shaNames.set(createHash('sha1').update(definition.lua).digest('hex'), name);
      } catch {
        // ignore
      }
      return define.call(this, name, definition);
    };
  } catch (err) {
    process.stderr.write(`trace-hook: ioredis not traced: ${err.message}\n`);
  }
}

const fanoutConcurrency = Number(process.env.TRACE_FANOUT_CONCURRENCY || 0);
if (fanoutConcurrency > 0) {
  const { Worker } = require('bullmq');
  const run = Worker.prototype.run;
  Worker.prototype.run = function tracedRun() {
    if (this.name === 'event-fanout') this.concurrency = fanoutConcurrency;
    return run.call(this);
  };
}

if (file) {
    process.on('exit', () => {
      const out = {
        sql: Object.fromEntries([...sql].sort((a, b) => b[1].count - a[1].count)),
        redis: Object.fromEntries([...redisCmds].sort((a, b) => b[1].count - a[1].count).map(([k, v]) => [k, v.count])),
        pool,
      };
      fs.writeFileSync(file, JSON.stringify(out, null, 1));
    });
  }
