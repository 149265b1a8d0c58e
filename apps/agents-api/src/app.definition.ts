import type { ServiceDefinition } from '@chatbot/platform';
import { AppModule } from './app.module';
import { agentsApiEnvSchema } from './config/agents-api.config';

export const agentsApiDefinition: ServiceDefinition<typeof agentsApiEnvSchema> = {
  name: 'agents-api',
  envSchema: agentsApiEnvSchema,
  portKey: 'AGENTS_API_PORT',
  rootModule: (config, logger) => AppModule.forRoot(config, logger),
  docs: {
    title: 'Agents API (TIXAE V3)',
    description: 'Workspaces, agents, Chat Interact, Configure State, conversations, knowledge base and analytics (TIXAE Agents API V3).',
  },
};
