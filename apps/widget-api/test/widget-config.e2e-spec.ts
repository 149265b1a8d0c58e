import { createHash, randomUUID } from 'node:crypto';
import { type EventEnvelope, type ProjectionEventType, QUEUES, TypedQueue, jobIds } from '@chatbot/events';
import { type RunningService, request, startService, testEnv, waitFor } from '@chatbot/testing';
import { Redis } from 'ioredis';
import { widgetApiDefinition } from '../src/app.definition';
import { rateLimitKey } from '../src/widget-config/ip-rate-limiter';

/**
 * The widget config route end to end: projection events go onto the real `widget-projection` queue (as the worker's
 * fan-out enqueues them), the BullMQ consumer inside widget-api applies them, and two instances (as two pods) must
 * both serve the change. Every test uses its own client IP (X-Forwarded-For; the platform trusts the proxy header),
 * so the rate limiter of one test never affects another.
 */
describe('GET /api/widget/config (real Postgres + Redis + BullMQ)', () => {
  let a: RunningService;
  let b: RunningService;
  let queue: TypedQueue<typeof QUEUES.widgetProjection>;
  let redis: Redis;

  beforeAll(async () => {
    const env = testEnv();
    redis = new Redis(env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
    queue = new TypedQueue(QUEUES.widgetProjection, { REDIS_URL: env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', REDIS_PREFIX: env['REDIS_PREFIX'] ?? 'cb' });
    a = await startService(widgetApiDefinition, { env: { WIDGET_CONFIG_RATE_LIMIT: '1000' } });
    // Second instance: a low rate limit (the 429 test) and a long memory TTL (only invalidation can refresh it).
    b = await startService(widgetApiDefinition, { env: { WIDGET_CONFIG_RATE_LIMIT: '3', WIDGET_CONFIG_CACHE_TTL_MS: '600000' } });
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await queue?.close();
    redis?.disconnect();
  });

  /** The limiter counts in fixed one-minute windows: a test that counts on its hits adding up starts well inside one. */
  const withinOneRateWindow = async (): Promise<void> => {
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 50_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 50));
  };

  let ipCounter = 0;
  const newIp = () => `10.9.${Math.floor(++ipCounter / 250)}.${(ipCounter % 250) + 1}`;

  const SECRET_PROMPT = 'You are a secret prompt: never reveal TOPSECRET-PROMPT-1234';
  const agentPayload = (agentId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
    ID: agentId,
    agentPlatform: 'vg',
    title: 'Support bot',
    disabled: false,
    description: 'internal description',
    theme: 'custom-dark',
    customTheme: { themeType: 'dark', primary: '#4f46e5', nineColorPallet: [[1, 2, 3], [4, 5, 6]] },
    roundedImageURL: 'https://cdn.example.com/launcher.png',
    avatarImageUrl: 'https://cdn.example.com/avatar.png',
    headerImageUrl: 'https://cdn.example.com/header.png',
    bannerImageUrl: 'https://cdn.example.com/banner.png',
    chatBgURL: 'https://cdn.example.com/bg.png',
    fontFamily: 'Inter',
    branding: 'Powered by Acme',
    lang: 'fr',
    UIhandoffTitle: 'Talk to a human',
    UIhandoffSubtitle: 'We answer within minutes',
    buttonsLayout: 'horizontal',
    ADVANCED_customCSS: '.widget { border-radius: 8px }',
    whatsappNumberId: 'wa-number-id-555',
    whatsappBusniessId: 'wa-business-id-666',
    gcloudClientEmail: 'tts@tenant-project.iam.gserviceaccount.com',
    vg_initMessages: ['Bonjour !', 'How can I help?'],
    vg_prompt: SECRET_PROMPT,
    vg_temperature: 0.3,
    vg_defaultModel: 'gemini-2.5-flash',
    vg_maxTokens: 1024,
    vg_kbTopChunks: 5,
    messageDelayMS: 750,
    proactiveMessage: 'Need help choosing?',
    recordChatHistory: true,
    disableSmoothScroll: true,
    autoStartWidget: true,
    chatForget: true,
    enableAudioSupport: true,
    enableQuickFileUpload: true,
    alwaysShowHandoff: true,
    fixedHandoffPopup: false,
    allowedOrigins: ['https://shop.example.com/', 'http://localhost:5173'],
    welcomeMessage: 'Welcome to Acme!',
    businessName: 'Acme Inc.',
    createdAtUNIX: 1760000000000,
    lastModified: 1760000001234,
    ...overrides,
  });

  async function project<T extends ProjectionEventType>(type: T, tenantId: string, data: EventEnvelope<T>['data']): Promise<string> {
    const event = { id: randomUUID(), type, tenant_id: tenantId, occurred_at: new Date().toISOString(), data } as EventEnvelope<T>;
    const jobId = jobIds.projection(event.id);
    await queue.add({ name: 'project', data: { event }, opts: { jobId, attempts: 3 } });
    return jobId;
  }
  async function processed(jobId: string, state: 'completed' | 'failed' = 'completed'): Promise<void> {
    await waitFor(async () => (await queue.queue.getJobState(jobId)) === state, { timeoutMs: 10_000, what: `job ${jobId} ${state}` });
  }
  async function newAgent(overrides: Record<string, unknown> = {}): Promise<{ tenantId: string; agentId: string }> {
    const tenantId = randomUUID();
    const agentId = randomUUID();
    await processed(await project('agent_updated', tenantId, { agent_id: agentId, version: 1, agent: agentPayload(agentId, overrides) }));
    return { tenantId, agentId };
  }

  const get = (svc: RunningService, query: string, headers: Record<string, string> = {}, ip = newIp()) =>
    request<Record<string, unknown>>('GET', `${svc.baseUrl}/api/widget/config?${query}`, { headers: { 'x-forwarded-for': ip, ...headers } });
  const getConfig = (svc: RunningService, t: { tenantId: string; agentId: string }, headers: Record<string, string> = {}, ip?: string) =>
    get(svc, `tenant=${t.tenantId}&chatbot=${t.agentId}`, headers, ip);

  it('answers the seed fields and what a widget renders, from the projection', async () => {
    const t = await newAgent();
    const res = await getConfig(a, t);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body).toEqual({
      chatbotId: t.agentId,
      tenantId: t.tenantId,
      botName: 'Support bot',
      businessName: 'Acme Inc.',
      welcomeMessage: 'Welcome to Acme!',
      theme: {
        preset: 'custom-dark',
        mode: 'dark',
        primaryColor: '#4f46e5',
        customTheme: { themeType: 'dark', primary: '#4f46e5', nineColorPallet: [[1, 2, 3], [4, 5, 6]] },
        fontFamily: 'Inter',
        customCSS: '.widget { border-radius: 8px }',
      },
      knowledgeBaseStatus: 'empty',
      isActive: true,
      language: 'fr',
      branding: 'Powered by Acme',
      images: {
        launcher: 'https://cdn.example.com/launcher.png',
        avatar: 'https://cdn.example.com/avatar.png',
        header: 'https://cdn.example.com/header.png',
        banner: 'https://cdn.example.com/banner.png',
        chatBackground: 'https://cdn.example.com/bg.png',
      },
      layout: { buttons: 'horizontal' },
      handoff: { title: 'Talk to a human', subtitle: 'We answer within minutes', alwaysShow: true, fixedPopup: false },
      proactiveMessage: 'Need help choosing?',
      initialMessages: ['Bonjour !', 'How can I help?'],
      messageDelayMs: 750,
      features: { microphone: true, autoStart: true, forgetChat: true, quickFileUpload: true, smoothScroll: false },
      version: 1,
      lastModified: 1760000001234,
    });
  });

  it('never leaks a prompt, model settings, channel ids, service account or the origin list', async () => {
    const t = await newAgent({ SECRET_API_KEY: 'sk-should-never-appear', VF_PROJECT_API_KEY: 'VF.DM.leak' });
    const res = await getConfig(a, t);
    expect(res.status).toBe(200);
    for (const leak of ['TOPSECRET', 'vg_prompt', 'gemini-2.5', 'vg_', 'wa-number', 'wa-business', 'iam.gserviceaccount', 'allowedOrigins', 'shop.example.com', 'sk-should', 'VF.DM', 'internal description', 'recordChatHistory']) {
      expect(res.text).not.toContain(leak);
    }
  });

  it('strong ETag (hash of the exact bytes), 304 on If-None-Match, Cache-Control with stale-while-revalidate', async () => {
    const t = await newAgent();
    const res = await getConfig(a, t);
    const etag = res.headers.get('etag')!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{32}"$/);
    expect(etag).toBe(`"${createHash('sha256').update(res.text).digest('base64url').slice(0, 32)}"`);
    expect(res.headers.get('cache-control')).toBe('public, max-age=60, stale-while-revalidate=300');
    expect(res.headers.get('vary')).toMatch(/Origin/);

    for (const inm of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const notModified = await getConfig(a, t, { 'if-none-match': inm });
      expect(notModified.status).toBe(304);
      expect(notModified.text).toBe('');
      expect(notModified.headers.get('etag')).toBe(etag);
      expect(notModified.headers.get('cache-control')).toBe('public, max-age=60, stale-while-revalidate=300');
    }
    const changed = await getConfig(a, t, { 'if-none-match': '"not-the-current-one"' });
    expect(changed.status).toBe(200);
    expect(changed.text).toBe(res.text);
    // The other instance serves the very same bytes (the shared Redis entry), so the same ETag.
    expect((await getConfig(b, t)).headers.get('etag')).toBe(etag);
  });

  it('a newer agent_updated changes body and ETag on every instance; a stale or replayed one changes nothing', async () => {
    const t = await newAgent();
    const before = await getConfig(a, t);
    const beforeB = await getConfig(b, t); // b now holds it in memory (long TTL): only invalidation can refresh it
    expect(beforeB.headers.get('etag')).toBe(before.headers.get('etag'));

    await processed(await project('agent_updated', t.tenantId, { agent_id: t.agentId, version: 2, agent: agentPayload(t.agentId, { title: 'Renamed bot', disabled: true }) }));
    for (const svc of [a, b]) {
      const after = await getConfig(svc, t);
      expect(after.status).toBe(200);
      expect(after.body['botName']).toBe('Renamed bot');
      expect(after.body['isActive']).toBe(false);
      expect(after.body['version']).toBe(2);
      expect(after.headers.get('etag')).not.toBe(before.headers.get('etag'));
      // the old ETag no longer matches
      expect((await getConfig(svc, t, { 'if-none-match': before.headers.get('etag')! })).status).toBe(200);
    }
    const current = (await getConfig(a, t)).headers.get('etag');

    // stale (version 1 again, different content) and a replay of version 2: ignored
    await processed(await project('agent_updated', t.tenantId, { agent_id: t.agentId, version: 1, agent: agentPayload(t.agentId, { title: 'Stale title' }) }));
    await processed(await project('agent_updated', t.tenantId, { agent_id: t.agentId, version: 2, agent: agentPayload(t.agentId, { title: 'Replayed other content' }) }));
    for (const svc of [a, b]) {
      const res = await getConfig(svc, t);
      expect(res.body['botName']).toBe('Renamed bot');
      expect(res.headers.get('etag')).toBe(current);
    }
  });

  it('the same event delivered twice (same jobId) is applied once', async () => {
    const t = await newAgent();
    const event = { id: randomUUID(), type: 'agent_updated' as const, tenant_id: t.tenantId, occurred_at: new Date().toISOString(), data: { agent_id: t.agentId, version: 5, agent: agentPayload(t.agentId, { title: 'v5' }) } };
    await queue.add({ name: 'project', data: { event }, opts: { jobId: jobIds.projection(event.id) } });
    await queue.add({ name: 'project', data: { event }, opts: { jobId: jobIds.projection(event.id) } });
    await processed(jobIds.projection(event.id));
    expect((await getConfig(b, t)).body['botName']).toBe('v5');
  });

  it('reflects the knowledge-base status (kb_status_changed)', async () => {
    const t = await newAgent();
    expect((await getConfig(b, t)).body['knowledgeBaseStatus']).toBe('empty');
    await processed(await project('kb_status_changed', t.tenantId, { agent_id: t.agentId, status: 'indexing' }));
    expect((await getConfig(b, t)).body['knowledgeBaseStatus']).toBe('indexing');
    await processed(await project('kb_status_changed', t.tenantId, { agent_id: t.agentId, status: 'ready' }));
    for (const svc of [a, b]) expect((await getConfig(svc, t)).body['knowledgeBaseStatus']).toBe('ready');
  });

  it('a KB status that arrives before the agent itself is kept, but the chatbot is 404 until its first update', async () => {
    const tenantId = randomUUID();
    const agentId = randomUUID();
    await processed(await project('kb_status_changed', tenantId, { agent_id: agentId, status: 'ready' }));
    expect((await getConfig(a, { tenantId, agentId })).status).toBe(404);
    await processed(await project('agent_updated', tenantId, { agent_id: agentId, version: 1, agent: agentPayload(agentId) }));
    const res = await getConfig(a, { tenantId, agentId });
    expect(res.status).toBe(200);
    expect(res.body['knowledgeBaseStatus']).toBe('ready');
  });

  it('agent_deleted: 404 on every instance, and a late update does not bring it back', async () => {
    const t = await newAgent();
    expect((await getConfig(a, t)).status).toBe(200);
    expect((await getConfig(b, t)).status).toBe(200);
    await processed(await project('agent_deleted', t.tenantId, { agent_id: t.agentId }));
    for (const svc of [a, b]) {
      const res = await getConfig(svc, t);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'Chatbot not found' });
    }
    await processed(await project('agent_updated', t.tenantId, { agent_id: t.agentId, version: 99, agent: agentPayload(t.agentId) }));
    for (const svc of [a, b]) expect((await getConfig(svc, t)).status).toBe(404);
  });

  it('a foreign tenant id with a valid chatbot id is 404, exactly like an unknown chatbot', async () => {
    const t = await newAgent();
    const other = await newAgent();
    const foreign = await getConfig(a, { tenantId: other.tenantId, agentId: t.agentId });
    const randomTenant = await getConfig(a, { tenantId: randomUUID(), agentId: t.agentId });
    const unknown = await getConfig(a, { tenantId: t.tenantId, agentId: randomUUID() });
    for (const res of [foreign, randomTenant, unknown]) {
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'Chatbot not found' });
      expect(res.headers.get('etag')).toBeNull();
    }
    // also when the chatbot is already cached in memory for its own tenant
    expect((await getConfig(b, t)).status).toBe(200);
    expect((await getConfig(b, { tenantId: other.tenantId, agentId: t.agentId })).status).toBe(404);
  });

  it('bad input is a 400 that names the parameter', async () => {
    const id = randomUUID();
    const cases: [string, RegExp][] = [
      ['', /"tenant" is required/],
      [`chatbot=${id}`, /"tenant" is required/],
      [`tenant=${id}`, /"chatbot" is required/],
      [`tenant=abc&chatbot=${id}`, /"tenant" must be a UUID/],
      [`tenant=${id}&chatbot=not-a-uuid`, /"chatbot" must be a UUID/],
      [`tenant=${id}&chatbot=${id}&chatbot=${id}`, /"chatbot" must be given once/],
      [`tenant=${id}'%20OR%201=1&chatbot=${id}`, /"tenant" must be a UUID/],
    ];
    for (const [query, message] of cases) {
      const res = await get(a, query);
      expect(res.status).toBe(400);
      expect(res.body['statusCode']).toBe(400);
      expect(res.body['error']).toBe('Bad Request');
      expect(String(res.body['message'])).toMatch(message);
    }
  });

  describe('CORS: only the chatbot\'s allowed origins', () => {
    it('an allowed origin (exact, normalised) gets Access-Control-Allow-Origin; others get none', async () => {
      const t = await newAgent();
      for (const origin of ['https://shop.example.com', 'http://localhost:5173']) {
        const res = await getConfig(a, t, { origin });
        expect(res.status).toBe(200);
        expect(res.headers.get('access-control-allow-origin')).toBe(origin);
        expect(res.headers.get('access-control-expose-headers')).toMatch(/ETag/i);
        expect(res.headers.get('vary')).toMatch(/Origin/);
      }
      for (const origin of ['https://evil.example', 'https://shop.example.com.evil.example', 'http://shop.example.com', 'https://sub.shop.example.com', 'null']) {
        const res = await getConfig(a, t, { origin });
        expect(res.status).toBe(200); // the server answers; the browser withholds it from the page
        expect(res.headers.get('access-control-allow-origin')).toBeNull();
        expect(res.headers.get('vary')).toMatch(/Origin/);
      }
      // 304 keeps the CORS headers for the allowed origin
      const etag = (await getConfig(a, t)).headers.get('etag')!;
      const notModified = await getConfig(a, t, { origin: 'https://shop.example.com', 'if-none-match': etag });
      expect(notModified.status).toBe(304);
      expect(notModified.headers.get('access-control-allow-origin')).toBe('https://shop.example.com');
    });

    it('preflight (OPTIONS) is answered for allowed origins only', async () => {
      const t = await newAgent();
      const preflight = (origin: string) =>
        request('OPTIONS', `${a.baseUrl}/api/widget/config?tenant=${t.tenantId}&chatbot=${t.agentId}`, {
          headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'if-none-match', 'x-forwarded-for': newIp() },
        });
      const ok = await preflight('https://shop.example.com');
      expect(ok.status).toBe(204);
      expect(ok.headers.get('access-control-allow-origin')).toBe('https://shop.example.com');
      expect(ok.headers.get('access-control-allow-methods')).toMatch(/GET/);
      expect(ok.headers.get('access-control-allow-headers')).toBe('if-none-match');
      expect(ok.headers.get('access-control-max-age')).toBe('600');
      const denied = await preflight('https://evil.example');
      expect(denied.status).toBe(204);
      expect(denied.headers.get('access-control-allow-origin')).toBeNull();
      expect(denied.headers.get('access-control-allow-methods')).toBeNull();
    });

    it('an empty allowedOrigins means no cross-origin access at all', async () => {
      const t = await newAgent({ allowedOrigins: [] });
      const res = await getConfig(a, t, { origin: 'https://shop.example.com' });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      const none = await newAgent({ allowedOrigins: undefined });
      expect((await getConfig(a, none, { origin: 'https://shop.example.com' })).headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  it('rate limit per client IP: 429 with Retry-After, other IPs unaffected', async () => {
    const t = await newAgent();
    const ip = newIp();
    await withinOneRateWindow();
    for (let i = 0; i < 3; i++) expect((await getConfig(b, t, {}, ip)).status).toBe(200);
    const limited = await getConfig(b, t, {}, ip);
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.body['statusCode']).toBe(429);
    expect(limited.body['error']).toBe('Too Many Requests');
    // bad input from the limited IP is limited too (the limiter runs first)
    expect((await get(b, 'tenant=x&chatbot=y', {}, ip)).status).toBe(429);
    expect((await getConfig(b, t, {}, newIp())).status).toBe(200);
  });

  it('X-Forwarded-For from a peer that is not a trusted proxy is ignored: a client cannot rotate it to dodge the limit', async () => {
    const t = await newAgent();
    // Only 10.1.2.3 may set the header; the test client connects from 127.0.0.1.
    const strict = await startService(widgetApiDefinition, { env: { WIDGET_CONFIG_RATE_LIMIT: '3', TRUST_PROXY: '10.1.2.3' } });
    try {
      const statuses: number[] = [];
      await withinOneRateWindow();
      for (let i = 0; i < 5; i++) statuses.push((await getConfig(strict, t, {}, newIp())).status);
      expect(statuses.at(-1)).toBe(429);
      expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(3);
    } finally {
      await strict.close();
    }
  });

  it('the rate limit is shared through Redis: another instance learns the count', async () => {
    const t = await newAgent();
    const ip = newIp();
    await withinOneRateWindow();
    const sharedCount = async (): Promise<number> => Number((await redis.get(rateLimitKey(testEnv()['REDIS_PREFIX'] ?? 'cb', ip))) ?? 0);
    // 3 requests on a (limit 1000) reach Redis with a's next sync; b (limit 3) then learns the total from its own.
    for (let i = 0; i < 3; i++) expect((await getConfig(a, t, {}, ip)).status).toBe(200);
    await waitFor(async () => (await sharedCount()) === 3, { what: "a's sync of 3 hits" });
    expect((await getConfig(b, t, {}, ip)).status).toBe(200); // b's first hit: its local view is still 0 (+1)
    await waitFor(async () => (await sharedCount()) === 4, { what: "b's sync, which reads back the shared total" });
    await new Promise((resolve) => setTimeout(resolve, 50)); // b handles the reply Redis sent it before ours
    expect((await getConfig(b, t, {}, ip)).status).toBe(429);
  });

  it('a malformed projection event fails without retries and changes nothing', async () => {
    const t = await newAgent();
    const before = await getConfig(a, t);
    const id = randomUUID();
    await queue.queue.add('project', { event: { id, type: 'agent_updated', tenant_id: t.tenantId, occurred_at: '', data: { agent_id: t.agentId, version: 'x', agent: null } } }, { jobId: id, attempts: 5 });
    await processed(id, 'failed');
    const job = await queue.queue.getJob(id);
    expect(job?.attemptsMade).toBe(1);
    expect((await getConfig(a, t)).headers.get('etag')).toBe(before.headers.get('etag'));
  });

  it('documents the route in OpenAPI', async () => {
    const res = await request<{ paths: Record<string, Record<string, { parameters?: { name: string }[] }>> }>('GET', `${a.baseUrl}/docs-json`);
    const op = res.body.paths['/api/widget/config']?.['get'];
    expect(op?.parameters?.map((p) => p.name)).toEqual(expect.arrayContaining(['tenant', 'chatbot']));
  });
});
