'use strict';
// One Jest run for the whole repo: unit specs beside the code (*.spec.ts) and e2e specs per app (test/*.e2e-spec.ts),
// against real Postgres and Redis. Each run gets its own database and Redis prefix (see libs/testing/src/jest).
const ESM_ONLY = ['@nestjs', 'content-disposition'];

const swc = {
  jsc: {
    target: 'es2023',
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/apps', '<rootDir>/libs'],
  testMatch: ['**/?(*.)+(spec|e2e-spec).ts'],
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', swc] },
  // NestJS 12 (and a few of its dependencies) ship ESM only: transform those to CommonJS like our own code.
  transformIgnorePatterns: [`^(?!.*/node_modules/(${ESM_ONLY.join('|')})/).*/node_modules/`],
  moduleNameMapper: {
    '^@chatbot/(tenant-auth|database|events|testing|platform|webhooks|kb)$': '<rootDir>/libs/$1/src',
  },
  modulePathIgnorePatterns: ['<rootDir>/apps/.*/dist/', '<rootDir>/libs/.*/dist/'],
  globalSetup: '<rootDir>/libs/testing/src/jest/global-setup.ts',
  globalTeardown: '<rootDir>/libs/testing/src/jest/global-teardown.ts',
  reporters: ['default', '<rootDir>/scripts/jest-summary-reporter.js'],
  testTimeout: 30000,
  maxWorkers: 2,
};
