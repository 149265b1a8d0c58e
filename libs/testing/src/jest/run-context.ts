import { randomBytes } from 'node:crypto';

/** What global setup decided for this run, passed to workers through the environment. */
export const RUN_ENV = {
  databaseUrl: 'DATABASE_URL',
  redisPrefix: 'REDIS_PREFIX',
  runId: 'CHATBOT_TEST_RUN_ID',
} as const;

export const TEST_DB_PREFIX = 'chatbot_test_';

export function newRunId(): string {
  return `${Date.now().toString(36)}_${process.pid}_${randomBytes(3).toString('hex')}`;
}
