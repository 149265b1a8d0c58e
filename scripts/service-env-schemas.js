'use strict';
// Every service's config schema (built output), for generated docs.
const path = require('node:path');
const ROOT = path.resolve(__dirname, '..');
const SERVICES = [
  ['widget-api', 'widgetApiEnvSchema'],
  ['business-api', 'businessApiEnvSchema'],
  ['agents-api', 'agentsApiEnvSchema'],
  ['worker', 'workerEnvSchema'],
];
module.exports = () =>
  SERVICES.map(([service, name]) => ({ service, schema: require(path.join(ROOT, 'apps', service, 'dist/config', `${service}.config.js`))[name] }));
