import { type DynamicModule, Module } from '@nestjs/common';
import { EVENTS_ENTITIES } from '@chatbot/events';
import { KB_ENTITIES } from '@chatbot/kb';
import { type AppLogger, PlatformModule } from '@chatbot/platform';
import { TENANCY_ENTITIES, TenantAuthModule } from '@chatbot/tenant-auth';
import { AgentEntity } from './agents/agent.entity';
import { AgentsModule } from './agents/agents.module';
import { AnalyticsModule } from './analytics/analytics.module';
import type { AgentsApiConfig } from './config/agents-api.config';
import { KbModule } from './kb/kb.module';
import { ConversationEntity } from './conversations/conversation.entity';
import { ConversationTurnEntity } from './conversations/conversation-turn.entity';
import { ConversationsModule } from './conversations/conversations.module';
import { ConvosModule } from './conversations/convos.module';
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
          entities: [...TENANCY_ENTITIES, ...EVENTS_ENTITIES, AgentEntity, OrgEntity, ClientEntity, ConversationEntity, ConversationTurnEntity, ...KB_ENTITIES],
          errorBody: tixaeErrorBody,
          // Knowledge-base search is planned once per connection (KbSearchService.run): at most 4 searches run at
          // once per process, the others wait for a connection (each takes a few ms).
          genericPlanPoolSize: 4,
        }),
        TenantAuthModule.forRoot(),
        AgentsModule,
        WorkspacesModule,
        KbModule,
        ConversationsModule,
        ConvosModule,
        AnalyticsModule,
      ],
    };
  }
}
