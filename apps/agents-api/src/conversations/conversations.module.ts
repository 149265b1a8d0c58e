import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { EngineModule } from '../engine/engine.module';
import { KbModule } from '../kb/kb.module';
import { ConversationRepository } from './conversation.repository';
import { ConversationsService } from './conversations.service';
import { InteractController } from './interact.controller';

@Module({
  imports: [AgentsModule, EngineModule, KbModule],
  controllers: [InteractController],
  providers: [ConversationsService, ConversationRepository],
  exports: [ConversationRepository],
})
export class ConversationsModule {}
