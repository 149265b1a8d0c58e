import { type DynamicModule, Module } from '@nestjs/common';
import { EVENTS_ENTITIES } from '@chatbot/events';
import { KB_ENTITIES } from '@chatbot/kb';
import { type AppLogger, PlatformModule } from '@chatbot/platform';
import { WEBHOOK_ENTITIES, WebhooksCoreModule } from '@chatbot/webhooks';
import type { WorkerConfig } from './config/worker.config';
import { KbIngestionModule } from './kb/kb-ingestion.module';
import { WebhookPipelineModule } from './webhooks/webhook-pipeline.module';

@Module({})
export class AppModule {
  static forRoot(config: WorkerConfig, logger: AppLogger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot({
          serviceName: 'worker',
          config,
          logger,
          entities: [...EVENTS_ENTITIES, ...WEBHOOK_ENTITIES, ...KB_ENTITIES],
          // The webhook fan-out and delivery-context reads are planned once per connection, not per event. Each runs
          // through a micro-batcher with at most 2 statements in flight: 4 connections.
          genericPlanPoolSize: 4,
        }),
        WebhooksCoreModule.forRoot(config),
        WebhookPipelineModule,
        KbIngestionModule,
      ],
    };
  }
}
