import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiProperty, ApiTags } from '@nestjs/swagger';
import { CurrentTenant, type TenantContext } from '@chatbot/tenant-auth';
import { type Envelope, EnvelopeDto, ErrorEnvelopeDto, ok } from '../tixae/tixae-envelope';
import { AnalyticsService, type AnalyticsReport, MAX_DAYS } from './analytics.service';
import { AnalyticsQueryDto } from './dto/analytics-query.dto';

const METRICS_EXAMPLE = {
  conversations: 4,
  interactions: 9,
  humanMessages: 10,
  botMessages: 12,
  operatorMessages: 2,
  uniqueUsers: 4,
  returningUsers: 1,
  handoffs: 1,
  handoffRate: 0.25,
  avgHumanFirstResponseSeconds: 45,
  avgDurationSeconds: 180.5,
};

class AnalyticsEnvelopeDto extends EnvelopeDto {
  @ApiProperty({
    type: Object,
    example: {
      agentID: '6f1c2a4e-3b0d-4c8e-9a51-2f7d9e0b1c3a',
      start: '2025-01-01',
      end: '2025-01-01',
      timezone: 'UTC',
      totals: { ...METRICS_EXAMPLE, byOrigin: { 'web-chat': METRICS_EXAMPLE } },
      days: [{ date: '2025-01-01', ...METRICS_EXAMPLE, byOrigin: { 'web-chat': METRICS_EXAMPLE } }],
    },
    description:
      'totals and one entry per UTC day (every day of the range, zeros included), each with byOrigin (web-chat, whatsapp, ' +
      'discord, gb-chat). Conversation metrics (conversations, handoffs, handoffRate, avgHumanFirstResponseSeconds, ' +
      'avgDurationSeconds) count conversations started in the bucket; activity metrics (interactions = human turns, ' +
      'humanMessages, botMessages (AI), operatorMessages, uniqueUsers, returningUsers) count turns written in it. ' +
      'Rates and averages are null when there is nothing to average.',
  })
  data!: AnalyticsReport;
}

@ApiTags('analytics')
@Controller('v3/agents/:agentId/analytics')
export class AnalyticsController {
  constructor(private readonly analytics: AnalyticsService) {}

  @Get()
  @ApiOperation({ summary: `Conversation analytics per UTC day and in total, per origin (default the last 30 days, at most ${MAX_DAYS})` })
  @ApiParam({ name: 'agentId', description: 'Agent ID' })
  @ApiOkResponse({ type: AnalyticsEnvelopeDto })
  @ApiBadRequestResponse({ type: ErrorEnvelopeDto, description: 'Invalid dates, end before start, or a range over the maximum.' })
  @ApiNotFoundResponse({ type: ErrorEnvelopeDto, description: "No such agent for this key (another tenant's, or not this agent key's)." })
  async get(
    @CurrentTenant() tenant: TenantContext,
    @Param('agentId') agentId: string,
    @Query() query: AnalyticsQueryDto,
  ): Promise<Envelope<AnalyticsReport>> {
    return ok(await this.analytics.report(tenant, agentId, query));
  }
}
