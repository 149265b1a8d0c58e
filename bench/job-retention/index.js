#!/usr/bin/env node
'use strict';
/*
 * bench/job-retention: what keeping completed BullMQ jobs costs, for the choice in libs/events `defaultJobOptions`
 * (the webhook pipeline's fan-out and delivery jobs are removed when they complete; other queues keep theirs an hour,
 * at most 50,000).
 *
 * Raw BullMQ no-op jobs (Queue + Worker, concurrency 50, addBulk of 1,000, a payload shaped like a fan-out job), in
 * this process, one fresh key prefix per run, BENCH_JOBS timed jobs after BENCH_WARMUP_JOBS untimed ones, three ways:
 *   - removed: `removeOnComplete: true` (the pipeline's queues now; the baseline of the ratios);
 *   - kept, fresh: DEFAULT_JOB_OPTIONS on a new queue, below the cap (what a short bench run sees);
 *   - kept, at cap: DEFAULT_JOB_OPTIONS with the completed set already holding 50,000 jobs, so every job that finishes
 *     also removes the oldest one (what a deployment sees after its first 50,000 jobs, minutes at a few hundred/s).
 * Reported per run: jobs/s, this process's CPU per job, redis-server's CPU per job (from /proc; Redis is shared with
 * anything else on the machine), and Redis memory held by the queue after the run. The three ways alternate for
 * BENCH_ROUNDS rounds; medians and ratios to "removed" (same round) are printed.
 *
 * Run: `npm run bench -- job-retention` (builds first). Needs Redis (BENCH_REDIS_URL); deletes its keys at the end.
 */
const os = require('node:os');

const { createLog, deleteRedisKeys, fillCompletedSet, fmt, median, num, pidsNamed, procCpuMs, rawBullmqNoop } = require('../lib/common');

const REDIS_URL = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379';
const SETTINGS = {
  rounds: num('BENCH_ROUNDS', 5),
  jobs: num('BENCH_JOBS', 20000),
  warmupJobs: num('BENCH_WARMUP_JOBS', 10000, { allowZero: true }),
  concurrency: num('BENCH_CONCURRENCY', 50),
  cap: num('BENCH_CAP', 50000),
};
const log = createLog();

async function runOnce(way, prefix) {
  const { DEFAULT_JOB_OPTIONS, QUEUES, defaultJobOptions } = require('@chatbot/events');
  const jobOptions = way === 'removed' ? defaultJobOptions(QUEUES.eventFanout) : { ...DEFAULT_JOB_OPTIONS, removeOnComplete: { age: 3600, count: SETTINGS.cap } };
  const redisPids = pidsNamed('redis-server');
  const redisCpu = () => redisPids.reduce((sum, pid) => sum + (procCpuMs(pid) ?? 0), 0);
  let before;
  let completedKey;
  const r = await rawBullmqNoop({
    redisUrl: REDIS_URL,
    prefix,
    jobs: SETTINGS.jobs,
    warmupJobs: SETTINGS.warmupJobs,
    concurrency: SETTINGS.concurrency,
    jobOptions,
    beforeTimed: async ({ redis, queueKey, payload }) => {
      if (way === 'kept, at cap') await fillCompletedSet(redis, queueKey, SETTINGS.cap, payload);
      before = { memory: await usedMemory(redis), redisMs: redisCpu() };
      completedKey = `${queueKey}:completed`;
    },
  });
  // (the runner has closed its connections: read what the run left behind through a new one)
  const { Redis } = require('ioredis');
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    return {
      rate: r.rate,
      nodeUs: r.cpuUsPerJob,
      redisUs: ((redisCpu() - before.redisMs) * 1000) / SETTINGS.jobs,
      // Memory the run added on top of what the queue already held (the backlog, for "at cap").
      memoryMb: ((await usedMemory(redis)) - before.memory) / 2 ** 20,
      completed: await redis.zcard(completedKey),
    };
  } finally {
    redis.disconnect();
  }
}

async function usedMemory(redis) {
  return Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? NaN);
}

async function main() {
  const stamp = new Date().toISOString().replace(/[-:TZ.]/g, '').slice(0, 14);
  const prefix = `bench-retention-${stamp}-${process.pid}`;
  const ways = ['removed', 'kept, fresh', 'kept, at cap'];
  const results = Object.fromEntries(ways.map((w) => [w, []]));
  let runs = 0;
  log(`node ${process.version}; Redis ${REDIS_URL}; settings ${JSON.stringify(SETTINGS)}`);
  try {
    for (let round = 1; round <= SETTINGS.rounds; round++) {
      for (const way of ways) {
        const r = await runOnce(way, `${prefix}:${++runs}`);
        results[way].push(r);
        log(
          `round ${round}/${SETTINGS.rounds} ${way}: ${fmt(r.rate, 0)} jobs/s, node ${fmt(r.nodeUs, 1)} µs/job, ` +
            `redis ${fmt(r.redisUs, 1)} µs/job, +${fmt(r.memoryMb, 1)} MB, ${r.completed} in the completed set`,
        );
        await deleteRedisKeys(REDIS_URL, `${prefix}:${runs}:`);
      }
    }
  } finally {
    const { error } = await deleteRedisKeys(REDIS_URL, prefix);
    if (error) process.stderr.write(`cleanup: could not delete Redis keys ${prefix}*: ${error.message}\n`);
  }

  const col = (values, digits) => values.map((v) => fmt(v, digits).padStart(9)).join('') + fmt(median(values), digits).padStart(10);
  const header = Array.from({ length: SETTINGS.rounds }, (_, i) => `run ${i + 1}`.padStart(9)).join('') + 'median'.padStart(10);
  const out = ['', `bench/job-retention  node ${process.version}  ${os.cpus().length} cpus  ${Math.round(os.totalmem() / 2 ** 30)} GiB  ${new Date().toISOString()}`];
  out.push(`${''.padEnd(46)}${header}`);
  const base = results.removed;
  for (const way of ways) {
    const r = results[way];
    out.push(`${`${way}: jobs/s`.padEnd(46)}${col(r.map((x) => x.rate), 0)}`);
    out.push(`${`${way}: node CPU µs/job`.padEnd(46)}${col(r.map((x) => x.nodeUs), 1)}`);
    out.push(`${`${way}: redis CPU µs/job`.padEnd(46)}${col(r.map((x) => x.redisUs), 1)}`);
    out.push(`${`${way}: Redis memory added, MB`.padEnd(46)}${col(r.map((x) => x.memoryMb), 1)}`);
    if (way !== 'removed') {
      out.push(`${`${way}: jobs/s ÷ removed (same round)`.padEnd(46)}${col(r.map((x, i) => x.rate / base[i].rate), 2)}`);
      out.push(`${`${way}: CPU/job ÷ removed (same round)`.padEnd(46)}${col(r.map((x, i) => (x.nodeUs + x.redisUs) / (base[i].nodeUs + base[i].redisUs)), 2)}`);
    }
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
