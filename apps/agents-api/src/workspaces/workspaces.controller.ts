import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentTenant, type TenantContext } from '@chatbot/tenant-auth';
import { type Envelope, ErrorEnvelopeDto, ok } from '../tixae/tixae-envelope';
import { ClientBodyDto, OrgBodyDto, WorkspaceBodyDto } from './dto/workspace.dto';
import { ClientsService } from './clients.service';
import { OrgsService } from './orgs.service';
import { WorkspaceService } from './workspace.service';

type Wire = Record<string, unknown>;

@ApiTags('workspaces')
@ApiNotFoundResponse({ type: ErrorEnvelopeDto, description: "Not this key's workspace (or an agent key), or no such org/client." })
@ApiBadRequestResponse({ type: ErrorEnvelopeDto })
@Controller('v3/workspaces/:workspaceId')
export class WorkspacesController {
  constructor(
    private readonly workspaces: WorkspaceService,
    private readonly orgs: OrgsService,
    private readonly clients: ClientsService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Get the workspace (the tenant of the key)' })
  async get(@CurrentTenant() t: TenantContext, @Param('workspaceId') ws: string): Promise<Envelope<Wire>> {
    return ok(await this.workspaces.get(t, ws));
  }

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Edit the workspace: { "workspace": { "name" } }' })
  async edit(@CurrentTenant() t: TenantContext, @Param('workspaceId') ws: string, @Body() body: WorkspaceBodyDto): Promise<Envelope<Wire>> {
    return ok(await this.workspaces.edit(t, ws, body.workspace.name), 'Workspace updated');
  }

  @Delete()
  @ApiOperation({
    summary: 'Delete the workspace: its agents (with conversations and knowledge base), orgs and clients are removed and every key is revoked',
  })
  async remove(@CurrentTenant() t: TenantContext, @Param('workspaceId') ws: string): Promise<Envelope<{ deletedAgents: number; revokedKeys: number }>> {
    return ok(await this.workspaces.remove(t, ws), 'Workspace deleted');
  }

  @Get('orgs')
  @ApiOperation({ summary: 'List orgs (groups of agents and clients)' })
  async listOrgs(@CurrentTenant() t: TenantContext, @Param('workspaceId') ws: string): Promise<Envelope<Wire[]>> {
    return ok(await this.orgs.listOrgs(t, ws));
  }

  @Post('orgs')
  @HttpCode(200)
  @ApiOperation({ summary: 'Create an org: { "org": { "name", "agentIds"? } }' })
  async createOrg(@CurrentTenant() t: TenantContext, @Param('workspaceId') ws: string, @Body() body: OrgBodyDto): Promise<Envelope<Wire>> {
    return ok(await this.orgs.createOrg(t, ws, body.org), 'Org created');
  }

  @Get('orgs/:orgId')
  async getOrg(@CurrentTenant() t: TenantContext, @Param('workspaceId') ws: string, @Param('orgId') id: string): Promise<Envelope<Wire>> {
    return ok(await this.orgs.getOrg(t, ws, id));
  }

  @Post('orgs/:orgId')
  @HttpCode(200)
  @ApiOperation({ summary: 'Edit an org (agentIds replaces the list)' })
  async editOrg(@CurrentTenant() t: TenantContext, @Param('workspaceId') ws: string, @Param('orgId') id: string, @Body() body: OrgBodyDto): Promise<Envelope<Wire>> {
    return ok(await this.orgs.editOrg(t, ws, id, body.org), 'Org updated');
  }

  @Patch('orgs/:orgId')
  async patchOrg(@CurrentTenant() t: TenantContext, @Param('workspaceId') ws: string, @Param('orgId') id: string, @Body() body: OrgBodyDto): Promise<Envelope<Wire>> {
    return ok(await this.orgs.editOrg(t, ws, id, body.org), 'Org updated');
  }

  @Delete('orgs/:orgId')
  async deleteOrg(@CurrentTenant() t: TenantContext, @Param('workspaceId') ws: string, @Param('orgId') id: string): Promise<Envelope<null>> {
    await this.orgs.deleteOrg(t, ws, id);
    return ok(null, 'Org deleted');
  }

  @Get('clients')
  @ApiOperation({ summary: 'List clients (human operators)' })
  async listClients(@CurrentTenant() t: TenantContext, @Param('workspaceId') ws: string): Promise<Envelope<Wire[]>> {
    return ok(await this.clients.listClients(t, ws));
  }

  @Post('clients')
  @HttpCode(200)
  @ApiOperation({ summary: 'Create a client: { "client": { "name", "email", "role"?, "online"?, "orgId"? } }' })
  async createClient(@CurrentTenant() t: TenantContext, @Param('workspaceId') ws: string, @Body() body: ClientBodyDto): Promise<Envelope<Wire>> {
    return ok(await this.clients.createClient(t, ws, body.client), 'Client created');
  }

  @Get('clients/:clientId')
  async getClient(@CurrentTenant() t: TenantContext, @Param('workspaceId') ws: string, @Param('clientId') id: string): Promise<Envelope<Wire>> {
    return ok(await this.clients.getClient(t, ws, id));
  }

  @Post('clients/:clientId')
  @HttpCode(200)
  @ApiOperation({ summary: 'Edit a client (e.g. online status)' })
  async editClient(@CurrentTenant() t: TenantContext, @Param('workspaceId') ws: string, @Param('clientId') id: string, @Body() body: ClientBodyDto): Promise<Envelope<Wire>> {
    return ok(await this.clients.editClient(t, ws, id, body.client), 'Client updated');
  }

  @Patch('clients/:clientId')
  async patchClient(@CurrentTenant() t: TenantContext, @Param('workspaceId') ws: string, @Param('clientId') id: string, @Body() body: ClientBodyDto): Promise<Envelope<Wire>> {
    return ok(await this.clients.editClient(t, ws, id, body.client), 'Client updated');
  }

  @Delete('clients/:clientId')
  async deleteClient(@CurrentTenant() t: TenantContext, @Param('workspaceId') ws: string, @Param('clientId') id: string): Promise<Envelope<null>> {
    await this.clients.deleteClient(t, ws, id);
    return ok(null, 'Client deleted');
  }
}
