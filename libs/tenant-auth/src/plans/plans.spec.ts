import { PLAN_TIERS, isPlanTier, lowestPlanWith, planOverview } from './plans';

describe('plans', () => {
  it('each higher tier includes everything below it', () => {
    const caps = PLAN_TIERS.map((tier) => new Set(planOverview(tier).capabilities));
    for (let i = 1; i < caps.length; i++) for (const c of caps[i - 1]!) expect(caps[i]!.has(c)).toBe(true);
  });

  it('answers the seed fields', () => {
    expect(planOverview('business')).toEqual({
      tier: 'business',
      displayName: 'ChatVix Pro',
      capabilities: ['chat', 'rag', 'tts', 'live'],
      requiredGcpRoles: ['roles/aiplatform.user', 'roles/serviceusage.serviceUsageConsumer'],
    });
    expect(planOverview('starter').requiredGcpRoles).toEqual([]);
  });

  it('names the cheapest plan with a capability', () => {
    expect(lowestPlanWith('chat').tier).toBe('starter');
    expect(lowestPlanWith('tts').tier).toBe('team');
    expect(lowestPlanWith('live').tier).toBe('business');
    expect(isPlanTier('team')).toBe(true);
    expect(isPlanTier('gold')).toBe(false);
  });
});
