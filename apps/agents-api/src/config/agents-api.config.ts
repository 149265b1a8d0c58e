import { type ConfigOf, commonEnvSchema, envVar, portSchema } from '@chatbot/platform';

export const agentsApiEnvSchema = {
  ...commonEnvSchema,
  AGENTS_API_PORT: envVar(portSchema('AGENTS_API_PORT'), {
    default: '3003',
    description: 'HTTP port of agents-api.',
  }),
} as const;

export type AgentsApiConfig = ConfigOf<typeof agentsApiEnvSchema>;
