#!/usr/bin/env node
'use strict';
// `npm start`: checks Postgres and Redis, creates and migrates the database, seeds the demo tenant, starts the three
// APIs and the worker, and prints the demo key and the URLs. Ctrl-C stops everything gracefully.
const { spawn, execFileSync } = require('node:child_process');
const path = require('node:path');
const { Redis } = require('ioredis');
const { checkPostgres, ensureDatabase, runMigrations } = require('@chatbot/database');
const { commonEnvSchema, loadConfig } = require('@chatbot/platform');
const { loadMigrationSets } = require('./migration-sets');

const ROOT = path.resolve(__dirname, '..');
const SERVICES = [
  { name: 'widget-api', portVar: 'WIDGET_API_PORT', port: 3001, docs: true },
  { name: 'business-api', portVar: 'BUSINESS_API_PORT', port: 3002, docs: true },
  { name: 'agents-api', portVar: 'AGENTS_API_PORT', port: 3003, docs: true },
  { name: 'worker', portVar: 'WORKER_PORT', port: 3004, docs: false },
];

function fail(message) {
  process.stderr.write(`\n${message}\n\n`);
  process.exit(1);
}

async function checkRedis(url) {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    const shown = new URL(url);
    if (shown.password) shown.password = '***';
    fail(
      `Redis is not reachable at ${shown} (${err.message}).\n` +
        '  Start it, for example with `docker compose up -d postgres redis`,\n' +
        '  or point REDIS_URL at a running server.',
    );
  } finally {
    redis.disconnect();
  }
}

async function waitReady(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return true;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

async function main() {
  let config;
  try {
    config = loadConfig('start', commonEnvSchema, process.env);
  } catch (err) {
    fail(err.message);
  }
  try {
    await checkPostgres(config.DATABASE_URL);
  } catch (err) {
    fail(err.message);
  }
  await checkRedis(config.REDIS_URL);

  if (await ensureDatabase(config.DATABASE_URL)) process.stdout.write('created the database\n');
  for (const r of await runMigrations(config.DATABASE_URL, loadMigrationSets())) {
    process.stdout.write(`migrations ${r.schema}: ${r.applied.length ? r.applied.join(', ') : 'up to date'}\n`);
  }
  const demo = JSON.parse(
    execFileSync(process.execPath, [path.join(ROOT, 'libs/tenant-auth/dist/cli/main.js'), 'demo', 'seed', '--json'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim(),
  );

  const children = SERVICES.map((service) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'apps', service.name, 'dist/main.js')], {
      env: process.env,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('exit', (code, signal) => {
      if (!stopping) {
        process.stderr.write(`${service.name} exited (${signal ?? code}); stopping the others\n`);
        stop('SIGTERM', code ?? 1);
      }
    });
    return child;
  });

  let stopping = false;
  function stop(signal, exitCode = 0) {
    if (stopping) return;
    stopping = true;
    let alive = children.length;
    for (const child of children) {
      if (child.exitCode !== null || child.signalCode !== null) {
        alive--;
        continue;
      }
      child.once('exit', () => {
        if (--alive === 0) process.exit(exitCode);
      });
      child.kill(signal);
    }
    if (alive === 0) process.exit(exitCode);
  }
  process.on('SIGINT', () => stop('SIGTERM'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  const host = '127.0.0.1';
  const port = (s) => process.env[s.portVar] || String(s.port);
  const ready = await Promise.all(SERVICES.map((s) => waitReady(`http://${host}:${port(s)}/health/ready`, 60000)));
  const lines = [
    '',
    'Chatbot platform is running.',
    '',
    `  Demo tenant id: ${demo.tenantId}`,
    `  Demo API key:   ${demo.apiKey}   (shown once; a new one is issued at every start)`,
    '',
  ];
  for (const [i, s] of SERVICES.entries()) {
    const base = `http://${host}:${port(s)}`;
    lines.push(`  ${s.name.padEnd(13)} ${base}${s.docs ? `   docs: ${base}/docs` : '   (health and metrics only)'}${ready[i] ? '' : '   NOT READY'}`);
  }
  lines.push('', `  Try: curl -H "Authorization: Bearer ${demo.apiKey}" http://${host}:${port(SERVICES[0])}/api/plan/overview`, '');
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((err) => fail(`start failed: ${err.stack || err.message}`));
