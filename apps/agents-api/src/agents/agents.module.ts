import { Module } from '@nestjs/common';
import { AgentCache } from './agent-cache';
import { AgentRepository } from './agent.repository';
import { AgentSecretsBox } from './agent-secrets';
import { AgentsController } from './agents.controller';
import { AgentsService } from './agents.service';

@Module({ controllers: [AgentsController], providers: [AgentsService, AgentRepository, AgentCache, AgentSecretsBox], exports: [AgentRepository, AgentCache] })
export class AgentsModule {}
