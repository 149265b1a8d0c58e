import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { AllowScopes, CurrentTenant, RequireCapability, TenantHeader, type TenantContext } from '@chatbot/tenant-auth';
import type { FastifyRequest } from 'fastify';
import { CreateLiveSessionDto } from './dto/create-live-session.dto';
import { LiveSessionDto } from './dto/live-session.dto';
import { LiveSessionService } from './live-session.service';

@ApiTags('live')
@Controller('api/live')
export class LiveController {
  constructor(private readonly sessions: LiveSessionService) {}

  @Post('session')
  @HttpCode(200)
  @TenantHeader()
  @RequireCapability('live')
  @AllowScopes('workspace', 'agent', 'widget')
  @ApiOperation({
    summary: 'Create a Gemini Live session (beta) for ChatVix Pro tenants',
    description:
      'With a Gemini key configured, websocketUrl is Gemini Live with a single-use ephemeral token (locked to the ' +
      "chatbot's prompt, voice and language, expiring with the session). Otherwise it is the platform's own endpoint " +
      '(/api/live/ws?session=<single-use token>): send {"type":"text","text":"..."}, receive {"type":"reply","text"} ' +
      'and {"type":"audio","mimeType","audioContentBase64"}. Close codes: 4401 missing/unknown/expired token, 4409 ' +
      'token already used, 4408 session expired, 1001 server shutting down. Accepts workspace, agent (its own ' +
      'chatbot only) and widget keys.',
  })
  @ApiOkResponse({ type: LiveSessionDto })
  @ApiBadRequestResponse({ description: 'Invalid body: ids, languageCode (one of the 12 supported) or sessionTimeoutSeconds (60..3600).' })
  @ApiNotFoundResponse({ description: "No such chatbot in the key's tenant." })
  @ApiBadGatewayResponse({ description: 'Gemini refused to create the ephemeral token.' })
  create(
    @CurrentTenant() tenant: TenantContext,
    @Body() body: CreateLiveSessionDto,
    @Req() request: FastifyRequest,
  ): Promise<LiveSessionDto> {
    return this.sessions.create(tenant, body, { protocol: request.protocol, host: request.host });
  }
}
