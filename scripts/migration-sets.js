'use strict';
// Every schema's migrations, in dependency order. Each schema belongs to one app or library (see DESIGN.md); this list
// is the one place that knows them all. Loads the built output (`npm run build`).
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const ENTRIES = [
  ['libs/tenant-auth/dist/migrations', 'tenancyMigrations'],
  ['libs/events/dist/migrations', 'eventsMigrations'],
  ['apps/widget-api/dist/database/migrations', 'widgetMigrations'],
  ['apps/business-api/dist/database/migrations', 'businessMigrations'],
  ['apps/agents-api/dist/database/migrations', 'agentsMigrations'],
];

function loadMigrationSets() {
  return ENTRIES.map(([file, name]) => {
    const set = require(path.join(ROOT, file))[name];
    if (!set) throw new Error(`${file} does not export ${name}`);
    return set;
  });
}

module.exports = { loadMigrationSets };
