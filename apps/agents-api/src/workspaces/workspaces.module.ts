import { Module } from '@nestjs/common';
import { WorkspaceRepository } from './workspace.repository';
import { ClientsService } from './clients.service';
import { OrgsService } from './orgs.service';
import { WorkspaceService } from './workspace.service';
import { WorkspacesController } from './workspaces.controller';

@Module({ controllers: [WorkspacesController], providers: [WorkspaceService, OrgsService, ClientsService, WorkspaceRepository] })
export class WorkspacesModule {}
