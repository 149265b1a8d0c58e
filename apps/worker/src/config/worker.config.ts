import { type ConfigOf, commonEnvSchema, envVar, portSchema } from '@chatbot/platform';

export const workerEnvSchema = {
  ...commonEnvSchema,
  WORKER_PORT: envVar(portSchema('WORKER_PORT'), {
    default: '3004',
    description: 'Port of the worker health and metrics server (no public API).',
  }),
} as const;

export type WorkerConfig = ConfigOf<typeof workerEnvSchema>;
