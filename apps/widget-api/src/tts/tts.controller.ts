import { BadRequestException, Body, Controller, Delete, Get, HttpCode, Post, Put, Res } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiGatewayTimeoutResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { AllowScopes, CurrentTenant, RequireCapability, type TenantContext, TenantHeader } from '@chatbot/tenant-auth';
import type { FastifyReply } from 'fastify';
import { ServiceAccountError } from './service-account';
import { TtsCredentialsService } from './tts-credentials.service';
import { GenerateTtsDto, GenerateTtsResponseDto, PutTtsCredentialsDto, TtsCredentialsDto, TtsLanguageDto } from './tts.dto';
import { TtsService } from './tts.service';

@ApiTags('tts')
@ApiBearerAuth()
@Controller('api/tts')
@RequireCapability('tts')
@TenantHeader()
export class TtsController {
  constructor(
    private readonly tts: TtsService,
    private readonly credentials: TtsCredentialsService,
  ) {}

  @Get('voices')
  @ApiOperation({ summary: 'Premium voice profiles (one female, one male) for the 12 supported languages' })
  @ApiOkResponse({ type: [TtsLanguageDto] })
  voices(): TtsLanguageDto[] {
    return this.tts.voices();
  }

  @Post('generate')
  @HttpCode(200)
  @ApiOperation({
    summary: "Speak a text with the tenant's service account (Google Cloud TTS), or the embedded eSpeak NG when it has none",
    description:
      'Identical requests are answered from a content-hash cache (header X-TTS-Cache: hit|miss). The audio is 16-bit PCM ' +
      'WAV; estimatedDurationSeconds is measured from it.',
  })
  @ApiOkResponse({ type: GenerateTtsResponseDto })
  @ApiBadRequestResponse({ description: 'Bad input, text over 5000 bytes (UTF-8), unsupported language (the supported ones are listed), bad gender' })
  @ApiNotFoundResponse({ description: 'Unknown chatbot, or a chatbot of another tenant' })
  @ApiBadGatewayResponse({ description: "Google Cloud TTS refused the tenant's service account or failed" })
  @ApiGatewayTimeoutResponse({ description: 'Synthesis did not finish within TTS_SYNTHESIS_TIMEOUT_MS' })
  async generate(
    @CurrentTenant() tenant: TenantContext,
    @Body() body: GenerateTtsDto,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const speech = await this.tts.generate(tenant, body);
    await reply
      .code(200)
      .headers({ 'content-type': 'application/json; charset=utf-8', 'x-tts-cache': speech.cache, 'x-tts-provider': speech.provider })
      .send(speech.body);
  }

  @Get('credentials')
  @AllowScopes('workspace')
  @ApiOperation({ summary: "The tenant's Google Cloud service account for TTS (email and project only, never the key)" })
  @ApiOkResponse({ type: TtsCredentialsDto })
  getCredentials(@CurrentTenant() tenant: TenantContext): Promise<TtsCredentialsDto> {
    return this.credentials.get(tenant.tenantId);
  }

  @Put('credentials')
  @AllowScopes('workspace')
  @ApiOperation({
    summary: "Set or replace the tenant's Google Cloud service account for TTS",
    description:
      'The key is stored encrypted (AES-256-GCM). Needed on the service account: see requiredGcpRoles of ' +
      'GET /api/plan/overview, and the Cloud Text-to-Speech API enabled in its project.',
  })
  @ApiOkResponse({ type: TtsCredentialsDto })
  @ApiBadRequestResponse({ description: 'Not a service-account key file (the problems are listed)' })
  async putCredentials(@CurrentTenant() tenant: TenantContext, @Body() body: PutTtsCredentialsDto): Promise<TtsCredentialsDto> {
    try {
      return await this.credentials.set(tenant.tenantId, body.serviceAccount);
    } catch (err) {
      if (err instanceof ServiceAccountError) {
        throw new BadRequestException({ message: `serviceAccount: ${err.message}`, details: { field: 'serviceAccount' } });
      }
      throw err;
    }
  }

  @Delete('credentials')
  @HttpCode(204)
  @AllowScopes('workspace')
  @ApiOperation({ summary: "Remove the tenant's service account (TTS falls back to the embedded eSpeak NG)" })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiNotFoundResponse({ description: 'No service account stored' })
  async deleteCredentials(@CurrentTenant() tenant: TenantContext): Promise<void> {
    await this.credentials.delete(tenant.tenantId);
  }
}
