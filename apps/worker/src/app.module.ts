import { type DynamicModule, Module } from '@nestjs/common';
import { EVENTS_ENTITIES } from '@chatbot/events';
import { type AppLogger, PlatformModule } from '@chatbot/platform';
import type { WorkerConfig } from './config/worker.config';

@Module({})
export class AppModule {
  static forRoot(config: WorkerConfig, logger: AppLogger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot({ serviceName: 'worker', config, logger, entities: EVENTS_ENTITIES }),
      ],
    };
  }
}
