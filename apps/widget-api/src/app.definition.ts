import type { ServiceDefinition } from '@chatbot/platform';
import { AppModule } from './app.module';
import { widgetApiEnvSchema } from './config/widget-api.config';

export const widgetApiDefinition: ServiceDefinition<typeof widgetApiEnvSchema> = {
  name: 'widget-api',
  envSchema: widgetApiEnvSchema,
  portKey: 'WIDGET_API_PORT',
  rootModule: (config, logger) => AppModule.forRoot(config, logger),
  docs: {
    title: 'Widget API',
    description: 'Widget configuration, plan overview, text-to-speech and live voice sessions (ChatVix widget API).',
  },
};
