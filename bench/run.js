#!/usr/bin/env node
'use strict';
// `npm run bench [name]`: runs bench/<name>/index.js (every benchmark when no name is given). Each benchmark measures
// its own baseline in the same run and prints the ratio; record results in bench/RESULTS.md.
const { readdirSync, existsSync } = require('node:fs');
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const wanted = process.argv.slice(2);
const all = readdirSync(__dirname, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(path.join(__dirname, d.name, 'index.js')))
  .map((d) => d.name);
const unknown = wanted.filter((name) => !all.includes(name));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; available: ${all.join(', ') || 'none yet'}\n`);
  process.exit(2);
}
const run = wanted.length > 0 ? wanted : all;
if (run.length === 0) process.stdout.write('no benchmarks yet\n');
for (const name of run) {
  process.stdout.write(`\n== bench/${name} ==\n`);
  const result = spawnSync(process.execPath, [path.join(__dirname, name, 'index.js')], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
