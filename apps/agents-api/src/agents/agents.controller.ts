import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentTenant, type TenantContext } from '@chatbot/tenant-auth';
import { type Envelope, ErrorEnvelopeDto, type PagedEnvelope, ok, paged } from '../tixae/tixae-envelope';
import { AgentBodyDto } from './dto/agent-input.dto';
import { ListAgentsQueryDto } from './dto/list-agents.query';
import { AgentsService } from './agents.service';

@ApiTags('agents')
@ApiNotFoundResponse({ type: ErrorEnvelopeDto, description: "No such agent for this key (another tenant's agent, or not this agent key's)." })
@ApiBadRequestResponse({ type: ErrorEnvelopeDto })
@Controller('v3/agents')
export class AgentsController {
  constructor(private readonly agents: AgentsService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Create an agent: { "agent": { ...TIXAE V3 fields } }; answers the agent with its SECRET_API_KEY (shown once)' })
  @ApiOkResponse({ description: '{ success, message, data: agent }' })
  async create(@CurrentTenant() tenant: TenantContext, @Body() body: AgentBodyDto): Promise<Envelope<Record<string, unknown>>> {
    return ok(await this.agents.create(tenant, body.agent), 'Agent created');
  }

  @Get()
  @ApiOperation({ summary: 'List the workspace agents (an agent key sees only its agent)' })
  @ApiOkResponse({ description: '{ success, message, data: agent[], total, totalPages, currentPage }' })
  async list(@CurrentTenant() tenant: TenantContext, @Query() query: ListAgentsQueryDto): Promise<PagedEnvelope<Record<string, unknown>>> {
    const page = query.page ?? 1;
    const limit = query.limit ?? 20;
    const { agents, total } = await this.agents.list(tenant, page, limit);
    return paged(agents, total, page, limit);
  }

  @Get(':agentId')
  @ApiOperation({ summary: 'Get an agent' })
  async get(@CurrentTenant() tenant: TenantContext, @Param('agentId') agentId: string): Promise<Envelope<Record<string, unknown>>> {
    return ok(await this.agents.get(tenant, agentId));
  }

  @Post(':agentId')
  @HttpCode(200)
  @ApiOperation({ summary: 'Edit an agent (any subset of fields; an empty string clears a secret)' })
  async edit(@CurrentTenant() tenant: TenantContext, @Param('agentId') agentId: string, @Body() body: AgentBodyDto): Promise<Envelope<Record<string, unknown>>> {
    return ok(await this.agents.edit(tenant, agentId, body.agent), 'Agent updated');
  }

  @Patch(':agentId')
  @ApiOperation({ summary: 'Edit an agent (same as POST /v3/agents/:agentId)' })
  async patch(@CurrentTenant() tenant: TenantContext, @Param('agentId') agentId: string, @Body() body: AgentBodyDto): Promise<Envelope<Record<string, unknown>>> {
    return ok(await this.agents.edit(tenant, agentId, body.agent), 'Agent updated');
  }

  @Delete(':agentId')
  @ApiOperation({ summary: 'Delete an agent (its SECRET_API_KEY is revoked)' })
  async remove(@CurrentTenant() tenant: TenantContext, @Param('agentId') agentId: string): Promise<Envelope<null>> {
    await this.agents.remove(tenant, agentId);
    return ok(null, 'Agent deleted');
  }
}
