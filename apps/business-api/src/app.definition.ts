import type { ServiceDefinition } from '@chatbot/platform';
import { AppModule } from './app.module';
import { businessApiEnvSchema } from './config/business-api.config';

export const businessApiDefinition: ServiceDefinition<typeof businessApiEnvSchema> = {
  name: 'business-api',
  envSchema: businessApiEnvSchema,
  portKey: 'BUSINESS_API_PORT',
  rootModule: (config, logger) => AppModule.forRoot(config, logger),
  docs: {
    title: 'Business API',
    description: 'Tenant webhooks with signed, retried delivery and delivery logs; CRM and messaging integrations (ChatVix business API).',
  },
};
