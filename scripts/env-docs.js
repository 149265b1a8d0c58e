#!/usr/bin/env node
'use strict';
// Prints .env.example (default) or the README's environment table (--markdown), from the config schemas.
const { renderEnvExample, renderEnvMarkdown } = require('@chatbot/platform');
const schemas = require('./service-env-schemas')();
process.stdout.write(process.argv.includes('--markdown') ? `${renderEnvMarkdown(schemas)}\n` : renderEnvExample(schemas));
