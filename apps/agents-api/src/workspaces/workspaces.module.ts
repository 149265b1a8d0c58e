import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { WorkspaceRepository } from './workspace.repository';
import { ClientsService } from './clients.service';
import { OrgsService } from './orgs.service';
import { WorkspaceService } from './workspace.service';
import { WorkspacesController } from './workspaces.controller';

@Module({ imports: [AgentsModule], controllers: [WorkspacesController], providers: [WorkspaceService, OrgsService, ClientsService, WorkspaceRepository] })
export class WorkspacesModule {}
