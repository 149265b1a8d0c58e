import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentTenant, type TenantContext, TenantHeader } from '@chatbot/tenant-auth';
import { PlanOverviewDto } from './plan-overview.dto';
import { PlanService } from './plan.service';

@ApiTags('plan')
@Controller('api/plan')
export class PlanController {
  constructor(private readonly plans: PlanService) {}

  @Get('overview')
  @TenantHeader()
  @ApiOperation({ summary: 'Normalized plan tier metadata and capabilities for the current tenant' })
  @ApiOkResponse({ type: PlanOverviewDto })
  overview(@CurrentTenant() tenant: TenantContext): PlanOverviewDto {
    return this.plans.overview(tenant);
  }
}
