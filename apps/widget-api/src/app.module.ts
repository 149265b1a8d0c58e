import { type DynamicModule, Module } from '@nestjs/common';
import { type AppLogger, PlatformModule } from '@chatbot/platform';
import { TENANCY_ENTITIES, TenantAuthModule } from '@chatbot/tenant-auth';
import type { WidgetApiConfig } from './config/widget-api.config';
import { PlanModule } from './plan/plan.module';

@Module({})
export class AppModule {
  static forRoot(config: WidgetApiConfig, logger: AppLogger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot({ serviceName: 'widget-api', config, logger, entities: TENANCY_ENTITIES }),
        TenantAuthModule.forRoot(),
        PlanModule,
      ],
    };
  }
}
