import { Injectable } from '@nestjs/common';
import { type PlanOverview, type TenantContext, planOverview } from '@chatbot/tenant-auth';

@Injectable()
export class PlanService {
  overview(tenant: TenantContext): PlanOverview {
    return planOverview(tenant.plan);
  }
}
