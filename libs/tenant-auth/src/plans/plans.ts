/** Plan tiers and what each one may do: defined here once, read everywhere. */
export const PLAN_TIERS = ['starter', 'team', 'business'] as const;
export type PlanTier = (typeof PLAN_TIERS)[number];

export const CAPABILITIES = ['chat', 'tts', 'live', 'rag'] as const;
export type Capability = (typeof CAPABILITIES)[number];

export interface PlanDefinition {
  tier: PlanTier;
  displayName: string;
  capabilities: readonly Capability[];
}

export const PLANS: Readonly<Record<PlanTier, PlanDefinition>> = {
  starter: { tier: 'starter', displayName: 'ChatVix Starter', capabilities: ['chat', 'rag'] },
  team: { tier: 'team', displayName: 'ChatVix Team', capabilities: ['chat', 'rag', 'tts'] },
  business: { tier: 'business', displayName: 'ChatVix Pro', capabilities: ['chat', 'rag', 'tts', 'live'] },
};

/** Google Cloud IAM roles a tenant's service account needs for each capability that calls Google on its behalf. */
export const CAPABILITY_GCP_ROLES: Readonly<Record<Capability, readonly string[]>> = {
  chat: [],
  rag: [],
  tts: ['roles/serviceusage.serviceUsageConsumer'],
  live: ['roles/aiplatform.user', 'roles/serviceusage.serviceUsageConsumer'],
};

export interface PlanOverview {
  tier: PlanTier;
  displayName: string;
  capabilities: Capability[];
  requiredGcpRoles: string[];
}

export function isPlanTier(value: unknown): value is PlanTier {
  return typeof value === 'string' && (PLAN_TIERS as readonly string[]).includes(value);
}

export function planOverview(tier: PlanTier): PlanOverview {
  const plan = PLANS[tier];
  const roles = new Set<string>();
  for (const capability of plan.capabilities) for (const role of CAPABILITY_GCP_ROLES[capability]) roles.add(role);
  return {
    tier,
    displayName: plan.displayName,
    capabilities: [...plan.capabilities],
    requiredGcpRoles: [...roles].sort(),
  };
}

/** The cheapest plan that includes `capability`, for "upgrade to ..." messages. */
export function lowestPlanWith(capability: Capability): PlanDefinition {
  const plan = PLAN_TIERS.map((tier) => PLANS[tier]).find((p) => p.capabilities.includes(capability));
  if (!plan) throw new Error(`no plan includes ${capability}`);
  return plan;
}
