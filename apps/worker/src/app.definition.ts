import type { ServiceDefinition } from '@chatbot/platform';
import { AppModule } from './app.module';
import { workerEnvSchema } from './config/worker.config';

export const workerDefinition: ServiceDefinition<typeof workerEnvSchema> = {
  name: 'worker',
  envSchema: workerEnvSchema,
  portKey: 'WORKER_PORT',
  rootModule: (config, logger) => AppModule.forRoot(config, logger),
};
