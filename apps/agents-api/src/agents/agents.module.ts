import { Module } from '@nestjs/common';
import { AgentRepository } from './agent.repository';
import { AgentSecretsBox } from './agent-secrets';
import { AgentsController } from './agents.controller';
import { AgentsService } from './agents.service';

@Module({ controllers: [AgentsController], providers: [AgentsService, AgentRepository, AgentSecretsBox], exports: [AgentRepository] })
export class AgentsModule {}
