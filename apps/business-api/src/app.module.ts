import { type DynamicModule, Module } from '@nestjs/common';
import { EVENTS_ENTITIES } from '@chatbot/events';
import { type AppLogger, PlatformModule } from '@chatbot/platform';
import { TENANCY_ENTITIES, TenantAuthModule } from '@chatbot/tenant-auth';
import { WEBHOOK_ENTITIES, WebhooksCoreModule } from '@chatbot/webhooks';
import type { BusinessApiConfig } from './config/business-api.config';
import { WebhooksModule } from './webhooks/webhooks.module';

@Module({})
export class AppModule {
  static forRoot(config: BusinessApiConfig, logger: AppLogger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot({ serviceName: 'business-api', config, logger, entities: [...TENANCY_ENTITIES, ...EVENTS_ENTITIES, ...WEBHOOK_ENTITIES] }),
        TenantAuthModule.forRoot(),
        WebhooksCoreModule.forRoot(config),
        WebhooksModule,
      ],
    };
  }
}
