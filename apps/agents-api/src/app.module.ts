import { type DynamicModule, Module } from '@nestjs/common';
import { EVENTS_ENTITIES } from '@chatbot/events';
import { type AppLogger, PlatformModule } from '@chatbot/platform';
import { TENANCY_ENTITIES, TenantAuthModule } from '@chatbot/tenant-auth';
import { AgentEntity } from './agents/agent.entity';
import { AgentsModule } from './agents/agents.module';
import type { AgentsApiConfig } from './config/agents-api.config';
import { tixaeErrorBody } from './tixae/tixae-envelope';
import { ClientEntity } from './workspaces/client.entity';
import { OrgEntity } from './workspaces/org.entity';
import { WorkspacesModule } from './workspaces/workspaces.module';

@Module({})
export class AppModule {
  static forRoot(config: AgentsApiConfig, logger: AppLogger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot({
          serviceName: 'agents-api',
          config,
          logger,
          entities: [...TENANCY_ENTITIES, ...EVENTS_ENTITIES, AgentEntity, OrgEntity, ClientEntity],
          errorBody: tixaeErrorBody,
        }),
        TenantAuthModule.forRoot(),
        AgentsModule,
        WorkspacesModule,
      ],
    };
  }
}
