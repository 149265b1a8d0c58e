#!/usr/bin/env node
'use strict';
/*
 * bench/webhook-sender: client-side cost of one webhook HTTP attempt (`sendWebhook` from libs/webhooks, built),
 * beside a raw undici `request()` POST loop (body read to the end) in the same run, same process, same receiver.
 *
 *   - the receiver is a bare `node:http` server in a child process answering `200 ok`, so the CPU measured in this
 *     process is the client's alone;
 *   - both sides: BENCH_REQUESTS requests, BENCH_CONCURRENCY in flight, one keep-alive undici Agent each, the same
 *     JSON body (~0.4 KB) and the three signature headers; `sendWebhook` with the worker's defaults (15 s bound on the
 *     attempt, 20 KB response cap, its own user agent and content type);
 *   - alternating sendWebhook / raw for BENCH_ROUNDS rounds after one untimed warm-up each; client CPU
 *     (`process.cpuUsage`) per request and requests/s per run; medians reported, ratio = sendWebhook ÷ raw.
 *
 * The delivery worker's main thread is the critical path at saturation (bench/RESULTS.md), so the client CPU of an
 * attempt is throughput. Run: `npm run bench -- webhook-sender` (builds first). Needs no database or Redis.
 */
const { fork } = require('node:child_process');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const ROOT = path.resolve(__dirname, '..', '..');
const { createLog, fmt, median, num } = require('../lib/common');

const SETTINGS = {
  rounds: num('BENCH_ROUNDS', 5),
  requests: num('BENCH_REQUESTS', 20000),
  concurrency: num('BENCH_CONCURRENCY', 50),
  warmupRequests: num('BENCH_WARMUP_REQUESTS', 5000),
};

const log = createLog();

if (process.argv[2] === '--receiver') {
  const http = require('node:http');
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
  server.keepAliveTimeout = 60000;
  server.listen(0, '127.0.0.1', () => process.send(server.address().port));
  process.on('disconnect', () => process.exit(0));
} else {
  main().catch((err) => {
    process.stderr.write(`${err.stack ?? err}\n`);
    process.exit(1);
  });
}

async function main() {
  const { Agent, request } = require('undici');
  const { sendWebhook } = require(path.join(ROOT, 'libs/webhooks/dist/delivery/http-sender.js'));
  const receiver = fork(__filename, ['--receiver'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const port = await new Promise((resolve, reject) => {
      receiver.once('message', resolve);
      receiver.once('exit', (code) => reject(new Error(`receiver exited (${code})`)));
    });
    const url = `http://127.0.0.1:${port}/hook`;
    const body = JSON.stringify({
      id: '00000000-0000-4000-8000-000000000001',
      type: 'message_sent',
      tenant_id: '00000000-0000-4000-8000-000000000000',
      occurred_at: new Date().toISOString(),
      data: { conversation_id: 'c1', message: 'hello, I would like to know more about your plans '.repeat(5), role: 'user' },
    });
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': '1700000000', 'webhook-signature': 'v1,dGVzdA==' };

    const ours = new Agent({ keepAliveTimeout: 30000 });
    const raw = new Agent({ keepAliveTimeout: 30000 });
    const sides = {
      sendWebhook: async () => {
        const result = await sendWebhook(ours, { url, method: 'POST', headers, body, timeoutMs: 15000, maxResponseBytes: 20480 });
        if (result.status !== 200) throw new Error(`sendWebhook: ${result.status} ${result.error}`);
      },
      raw: async () => {
        const res = await request(url, { dispatcher: raw, method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
        await res.body.text();
        if (res.statusCode !== 200) throw new Error(`raw: ${res.statusCode}`);
      },
    };
    const run = async (send, requests) => {
      let next = 0;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: SETTINGS.concurrency }, async () => {
          while (next++ < requests) await send();
        }),
      );
      const seconds = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      return { cpuUs: (cpu.user + cpu.system) / requests, rate: requests / seconds };
    };

    log(`node ${process.version}; receiver on 127.0.0.1:${port}; settings ${JSON.stringify(SETTINGS)}`);
    for (const send of Object.values(sides)) await run(send, SETTINGS.warmupRequests);
    const results = { sendWebhook: [], raw: [] };
    for (let round = 1; round <= SETTINGS.rounds; round++) {
      for (const [name, send] of Object.entries(sides)) {
        const r = await run(send, SETTINGS.requests);
        results[name].push(r);
        log(`round ${round}/${SETTINGS.rounds} ${name}: ${fmt(r.rate, 0)} req/s, client CPU ${fmt(r.cpuUs, 1)} µs/request`);
      }
    }
    await Promise.all([ours.close(), raw.close()]);

    const col = (values, digits) => values.map((v) => fmt(v, digits).padStart(9)).join('') + fmt(median(values), digits).padStart(10);
    const runs = Array.from({ length: SETTINGS.rounds }, (_, i) => `run ${i + 1}`.padStart(9)).join('') + 'median'.padStart(10);
    const out = [];
    out.push('');
    out.push(`bench/webhook-sender  node ${process.version}  ${os.cpus().length} cpus  ${Math.round(os.totalmem() / 2 ** 30)} GiB  ${new Date().toISOString()}`);
    out.push(`${''.padEnd(44)}${runs}`);
    out.push(`${'sendWebhook client CPU µs/request'.padEnd(44)}${col(results.sendWebhook.map((r) => r.cpuUs), 1)}`);
    out.push(`${'raw undici request() client CPU µs/request'.padEnd(44)}${col(results.raw.map((r) => r.cpuUs), 1)}`);
    out.push(`${'ratio (sendWebhook ÷ raw, same round)'.padEnd(44)}${col(results.sendWebhook.map((r, i) => r.cpuUs / results.raw[i].cpuUs), 2)}`);
    out.push(`${'sendWebhook req/s'.padEnd(44)}${col(results.sendWebhook.map((r) => r.rate), 0)}`);
    out.push(`${'raw undici request() req/s'.padEnd(44)}${col(results.raw.map((r) => r.rate), 0)}`);
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    receiver.disconnect();
  }
}
