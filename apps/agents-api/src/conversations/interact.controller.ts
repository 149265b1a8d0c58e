import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { CurrentTenant, type TenantContext } from '@chatbot/tenant-auth';
import type { FastifyReply } from 'fastify';
import { toErrorBody } from '@chatbot/platform';
import { ErrorEnvelopeDto, tixaeErrorBody } from '../tixae/tixae-envelope';
import { InteractBodyDto, InteractQueryDto, OperatorReplyDto, StateBodyDto } from './dto/interact.dto';
import { ConversationsService, type InteractResponse } from './conversations.service';
import { SseWriter } from './sse-writer';

const RESPONSE_DESCRIPTION =
  '{ platformName, success, message, chatState, actionMessages, turns, appError, agentData, origin, userID, agentID, metadata }';

@ApiTags('interact')
@ApiNotFoundResponse({ type: ErrorEnvelopeDto, description: "No such agent for this key (another tenant's, or not this agent key's)." })
@ApiBadRequestResponse({ type: ErrorEnvelopeDto })
@Controller('v3/agents/:agentId/interact/:userId')
export class InteractController {
  constructor(private readonly conversations: ConversationsService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Chat Interact: launch, text, choice... The engine answers from the knowledge base; `?stream=true` answers as Server-Sent Events',
    description:
      'With `stream=true` the response is `text/event-stream`: `event: delta` (`{"text": "..."}`) as the engine writes, ' +
      'then `event: done` with the full interact response, or `event: error` with the error body.',
  })
  @ApiProduces('application/json', 'text/event-stream')
  @ApiOkResponse({ description: RESPONSE_DESCRIPTION })
  async interact(
    @CurrentTenant() tenant: TenantContext,
    @Param('agentId') agentId: string,
    @Param('userId') userId: string,
    @Query() query: InteractQueryDto,
    @Body() body: InteractBodyDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<InteractResponse | undefined> {
    if (!query.stream) return this.conversations.interact(tenant, agentId, userId, body);
    const sse = new SseWriter(reply);
    try {
      const result = await this.conversations.interact(tenant, agentId, userId, body, (text) => sse.send('delta', { text }));
      sse.send('done', result);
    } catch (err) {
      // Before the first event the error is an ordinary HTTP error; after it, an `error` event ends the stream.
      if (!sse.isStarted) throw err;
      sse.send('error', tixaeErrorBody(toErrorBody(err)));
    }
    sse.end();
    return undefined;
  }

  @Get('state')
  @ApiOperation({ summary: 'The conversation state: turns, chatState and transcript metadata' })
  @ApiOkResponse({ description: RESPONSE_DESCRIPTION })
  getState(@CurrentTenant() tenant: TenantContext, @Param('agentId') agentId: string, @Param('userId') userId: string): Promise<InteractResponse> {
    return this.conversations.getState(tenant, agentId, userId);
  }

  @Post('state')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Configure State: `turns` replaces the history, `delete` removes message ids, `metadata` patches the transcript metadata',
    description: 'chatState follows the handoff state machine (requested_chat → human-chatting (needs chatAssignedTo) → ai-chatting | ended_chat); illegal transitions are 409.',
  })
  @ApiConflictResponse({ type: ErrorEnvelopeDto, description: 'Illegal chatState transition.' })
  @ApiOkResponse({ description: RESPONSE_DESCRIPTION })
  configureState(
    @CurrentTenant() tenant: TenantContext,
    @Param('agentId') agentId: string,
    @Param('userId') userId: string,
    @Body() body: StateBodyDto,
  ): Promise<InteractResponse> {
    return this.conversations.configureState(tenant, agentId, userId, body);
  }

  @Post('operator')
  @HttpCode(200)
  @ApiOperation({ summary: 'Beyond the seed: the assigned human operator writes to the user (only while human-chatting)' })
  @ApiConflictResponse({ type: ErrorEnvelopeDto, description: 'Not human-chatting, or assigned to another operator.' })
  @ApiOkResponse({ description: RESPONSE_DESCRIPTION })
  operator(
    @CurrentTenant() tenant: TenantContext,
    @Param('agentId') agentId: string,
    @Param('userId') userId: string,
    @Body() body: OperatorReplyDto,
  ): Promise<InteractResponse> {
    return this.conversations.operatorReply(tenant, agentId, userId, body);
  }
}
