import { ApiProperty } from '@nestjs/swagger';
import { CAPABILITIES, type Capability, PLAN_TIERS, type PlanOverview, type PlanTier } from '@chatbot/tenant-auth';

export class PlanOverviewDto implements PlanOverview {
  @ApiProperty({ enum: PLAN_TIERS, example: 'team' })
  tier!: PlanTier;

  @ApiProperty({ example: 'ChatVix Team', description: 'Friendly marketing name' })
  displayName!: string;

  @ApiProperty({ enum: CAPABILITIES, isArray: true, example: ['chat', 'rag', 'tts'] })
  capabilities!: Capability[];

  @ApiProperty({ type: [String], example: ['roles/serviceusage.serviceUsageConsumer'], description: 'Service account roles provisioned for the tenant' })
  requiredGcpRoles!: string[];
}
