#!/usr/bin/env node
'use strict';
// `npm run migrate`: creates the database if missing, then runs every schema's pending migrations (idempotent).
const { ensureDatabase, runMigrations } = require('@chatbot/database');
const { commonEnvSchema, loadConfig } = require('@chatbot/platform');
const { loadMigrationSets } = require('./migration-sets');

async function main() {
  const config = loadConfig('migrate', commonEnvSchema, process.env);
  if (await ensureDatabase(config.DATABASE_URL)) process.stderr.write('created database\n');
  const results = await runMigrations(config.DATABASE_URL, loadMigrationSets());
  for (const result of results) {
    const applied = result.applied.length ? result.applied.join(', ') : 'up to date';
    process.stdout.write(`${result.schema}: ${applied}\n`);
  }
}

main().catch((err) => {
  process.stderr.write(`migrate failed: ${err.message}\n`);
  process.exit(1);
});
