import { type DynamicModule, Module } from '@nestjs/common';
import { type AppLogger, PlatformModule } from '@chatbot/platform';
import { TENANCY_ENTITIES, TenantAuthModule } from '@chatbot/tenant-auth';
import type { WidgetApiConfig } from './config/widget-api.config';
import { LiveModule } from './live/live.module';
import { PlanModule } from './plan/plan.module';
import { AgentProjectionEntity } from './projection/agent-projection.entity';
import { ProjectionModule } from './projection/projection.module';
import { TtsCredentialsEntity } from './tts/tts-credentials.entity';
import { TtsModule } from './tts/tts.module';
import { WidgetConfigModule } from './widget-config/widget-config.module';

@Module({})
export class AppModule {
  static forRoot(config: WidgetApiConfig, logger: AppLogger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot({ serviceName: 'widget-api', config, logger, entities: [...TENANCY_ENTITIES, AgentProjectionEntity, TtsCredentialsEntity] }),
        TenantAuthModule.forRoot(),
        PlanModule,
        ProjectionModule,
        TtsModule,
        LiveModule,
        WidgetConfigModule,
      ],
    };
  }
}
