import { type RunningService, ProbeModule, TestTenants, request, startService, waitFor } from '@chatbot/testing';
import { widgetApiDefinition } from '../src/app.definition';

describe('widget-api authentication and plans (real Postgres + Redis)', () => {
  let a: RunningService;
  let b: RunningService;
  let tenants: TestTenants;

  beforeAll(async () => {
    tenants = await TestTenants.open();
    // Two instances of the service, as two pods would be: caches are per process, revocation must reach both.
    a = await startService(widgetApiDefinition, { extraModules: [ProbeModule] });
    b = await startService(widgetApiDefinition, { extraModules: [ProbeModule] });
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await tenants?.close();
  });

  const overview = (base: RunningService, key?: string, headers?: Record<string, string>) =>
    request<Record<string, unknown>>('GET', `${base.baseUrl}/api/plan/overview`, { ...(key ? { key } : {}), ...(headers ? { headers } : {}) });

  it('answers the plan overview for the key tenant (seed fields)', async () => {
    const t = await tenants.create('team');
    const res = await overview(a, t.apiKey);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      tier: 'team',
      displayName: 'ChatVix Team',
      capabilities: ['chat', 'rag', 'tts'],
      requiredGcpRoles: ['roles/serviceusage.serviceUsageConsumer'],
    });
  });

  it('with a matching X-Tenant-ID header: 200', async () => {
    const t = await tenants.create('starter');
    const res = await overview(a, t.apiKey, { 'x-tenant-id': t.tenantId });
    expect(res.status).toBe(200);
    expect(res.body['tier']).toBe('starter');
    expect(res.body['requiredGcpRoles']).toEqual([]);
  });

  it('no key: 401 in the error shape', async () => {
    const res = await overview(a);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: expect.stringContaining('Authorization: Bearer') });
  });

  it('X-Tenant-ID alone authenticates nothing: 401', async () => {
    const t = await tenants.create();
    const res = await overview(a, undefined, { 'x-tenant-id': t.tenantId });
    expect(res.status).toBe(401);
  });

  it.each([
    ['unknown key of the right shape', `cbk_${'A'.repeat(43)}`],
    ['garbage', 'not-a-key'],
    ['empty bearer', ''],
  ])('bad key (%s): 401', async (_label, key) => {
    const res = await request('GET', `${a.baseUrl}/api/plan/overview`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(401);
    expect((res.body as { error: string }).error).toBe('Unauthorized');
  });

  it('a non-Bearer scheme: 401', async () => {
    const t = await tenants.create();
    const res = await request('GET', `${a.baseUrl}/api/plan/overview`, { headers: { authorization: `Basic ${t.apiKey}` } });
    expect(res.status).toBe(401);
  });

  it("X-Tenant-ID of another tenant: 403, even though that tenant exists", async () => {
    const t1 = await tenants.create();
    const t2 = await tenants.create();
    const res = await overview(a, t1.apiKey, { 'x-tenant-id': t2.tenantId });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ statusCode: 403, error: 'Forbidden', message: expect.stringContaining('X-Tenant-ID') });
  });

  it('a revoked key is refused by another instance within 1 second', async () => {
    const t = await tenants.create();
    // Warm both instances' caches.
    expect((await overview(a, t.apiKey)).status).toBe(200);
    expect((await overview(b, t.apiKey)).status).toBe(200);
    expect((await overview(b, t.apiKey)).status).toBe(200);

    await tenants.admin.revokeKey(t.keyId);
    const elapsed = await waitFor(async () => (await overview(b, t.apiKey)).status === 401, { timeoutMs: 1000, what: 'revocation on instance b' });
    expect(elapsed).toBeLessThan(1000);
    expect((await overview(a, t.apiKey)).status).toBe(401);
  });

  it('a plan change reaches a warm cache at once', async () => {
    const t = await tenants.create('starter');
    expect((await overview(b, t.apiKey)).body['tier']).toBe('starter');
    await tenants.admin.setPlan(t.tenantId, 'business');
    await waitFor(async () => (await overview(b, t.apiKey)).body['tier'] === 'business', { timeoutMs: 1000, what: 'plan change' });
  });

  it('a suspended tenant is refused (403) at once', async () => {
    const t = await tenants.create();
    expect((await overview(a, t.apiKey)).status).toBe(200);
    await tenants.admin.setStatus(t.tenantId, 'suspended');
    await waitFor(async () => (await overview(a, t.apiKey)).status === 403, { timeoutMs: 1000, what: 'suspension' });
  });

  it('plan capability: 403 naming the plan that is needed, 200 once upgraded', async () => {
    const t = await tenants.create('team');
    const denied = await request<{ message: string; statusCode: number }>('GET', `${a.baseUrl}/test-probe/live-only`, { key: t.apiKey });
    expect(denied.status).toBe(403);
    expect(denied.body.message).toContain('"live"');
    expect(denied.body.message).toContain('business');
    await tenants.admin.setPlan(t.tenantId, 'business');
    await waitFor(async () => (await request('GET', `${a.baseUrl}/test-probe/live-only`, { key: t.apiKey })).status === 200, {
      timeoutMs: 1000,
      what: 'upgrade',
    });
  });

  it('the handler receives the tenant context; agent keys carry their agent', async () => {
    const t = await tenants.create('team');
    const agentKey = await tenants.admin.createKey({ tenantId: t.tenantId, agentId: 'agent_42' });
    const res = await request<Record<string, unknown>>('GET', `${a.baseUrl}/test-probe/whoami`, { key: agentKey.apiKey });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ tenantId: t.tenantId, plan: 'team', scopes: ['agent'], agentId: 'agent_42', keyId: agentKey.keyId });
  });

  it('widget-scoped keys only reach routes that accept them', async () => {
    const t = await tenants.create();
    const widgetKey = await tenants.admin.createKey({ tenantId: t.tenantId, scope: 'widget' });
    expect((await overview(a, widgetKey.apiKey)).status).toBe(403);
    expect((await request('GET', `${a.baseUrl}/test-probe/widget-only`, { key: widgetKey.apiKey })).status).toBe(200);
    expect((await request('GET', `${a.baseUrl}/test-probe/widget-only`, { key: t.apiKey })).status).toBe(403);
  });

  it('the key is stored only as a SHA-256 hash with a short visible prefix', async () => {
    const t = await tenants.create();
    const [stored] = await tenants.admin.listKeys(t.tenantId);
    expect(stored).toBeDefined();
    expect(stored!.keyHash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored!.keyHash).not.toContain(t.apiKey);
    expect(t.apiKey.startsWith(stored!.prefix)).toBe(true);
    expect(stored!.prefix.length).toBeLessThan(16);
  });
});
