import { randomUUID } from 'node:crypto';
import { type RunningService, TestTenants, request, startService } from '@chatbot/testing';
import { DataSource } from 'typeorm';
import { widgetApiDefinition } from '../src/app.definition';
import { AgentProjectionRepository } from '../src/projection/agent-projection.repository';
import { FakeGoogleTts, generateServiceAccount } from '../src/tts/testing/fake-google-tts.server';
import { parseWav } from '../src/tts/wav';

interface Speech {
  audioContentBase64: string;
  mimeType: string;
  estimatedDurationSeconds: number;
}
interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: unknown;
}

describe('widget-api TTS (real Postgres + Redis, eSpeak NG, the Google client against a local fake)', () => {
  let svc: RunningService;
  let tenants: TestTenants;
  let fake: FakeGoogleTts;
  let agents: AgentProjectionRepository;

  beforeAll(async () => {
    fake = await new FakeGoogleTts().start();
    tenants = await TestTenants.open();
    svc = await startService(widgetApiDefinition, { env: { TTS_GOOGLE_BASE_URL: fake.baseUrl } });
    agents = svc.app.get(AgentProjectionRepository, { strict: false });
  });

  afterAll(async () => {
    await svc?.close();
    await tenants?.close();
    await fake?.stop();
  });

  /** A tenant with one agent in widget-api's projection. */
  async function tenantWithAgent(plan: 'starter' | 'team' | 'business' = 'team', lang = 'en') {
    const t = await tenants.create(plan);
    const agentId = randomUUID();
    await agents.upsert(t.tenantId, agentId, 1, { ID: agentId, title: 'Helper', lang });
    return { ...t, agentId };
  }

  const generate = (key: string, body: Record<string, unknown>) => request<Speech & ErrorBody>('POST', `${svc.baseUrl}/api/tts/generate`, { key, body });

  async function metric(name: string, labels: string): Promise<number> {
    const res = await request<string>('GET', `${svc.baseUrl}/metrics`);
    const line = res.text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
    return line ? Number(line.split(' ').pop()) : 0;
  }

  describe('GET /api/tts/voices', () => {
    it('12 languages, each with a female and a male Google voice (seed field names)', async () => {
      const t = await tenants.create('team');
      const res = await request<{ language: string; languageCode: string; voices: { gender: string; voiceName: string; ssmlGender: string }[] }[]>(
        'GET',
        `${svc.baseUrl}/api/tts/voices`,
        { key: t.apiKey },
      );
      expect(res.status).toBe(200);
      expect(res.body.map((l) => l.languageCode)).toEqual(['en-US', 'es-ES', 'fr-FR', 'de-DE', 'it-IT', 'pt-BR', 'hi-IN', 'ja-JP', 'ko-KR', 'cmn-CN', 'ar-XA', 'nl-NL']);
      expect(res.body[0]).toEqual({
        language: 'English (United States)',
        languageCode: 'en-US',
        voices: [
          { gender: 'female', voiceName: 'en-US-Chirp3-HD-Aoede', ssmlGender: 'FEMALE' },
          { gender: 'male', voiceName: 'en-US-Chirp3-HD-Charon', ssmlGender: 'MALE' },
        ],
      });
      for (const l of res.body) expect(l.voices.map((v) => v.gender)).toEqual(['female', 'male']);
    });

    it('starter plan: 403 naming the plan that is needed (voices, generate, credentials)', async () => {
      const t = await tenantWithAgent('starter');
      for (const res of [
        await request<ErrorBody>('GET', `${svc.baseUrl}/api/tts/voices`, { key: t.apiKey }),
        await generate(t.apiKey, { tenantId: t.tenantId, chatbotId: t.agentId, text: 'hi' }),
        await request<ErrorBody>('PUT', `${svc.baseUrl}/api/tts/credentials`, { key: t.apiKey, body: { serviceAccount: generateServiceAccount() } }),
      ]) {
        expect(res.status).toBe(403);
        expect(res.body).toMatchObject({ statusCode: 403, error: 'Forbidden', message: expect.stringMatching(/"tts".*"ChatVix Team" plan \(team\)/) });
      }
    });

    it('no key: 401', async () => {
      expect((await request('GET', `${svc.baseUrl}/api/tts/voices`)).status).toBe(401);
    });
  });

  describe('plan overview', () => {
    it('requiredGcpRoles: TTS roles on team, TTS + Live roles on business, none on starter', async () => {
      const roles = async (plan: 'starter' | 'team' | 'business') => {
        const t = await tenants.create(plan);
        return (await request<{ requiredGcpRoles: string[] }>('GET', `${svc.baseUrl}/api/plan/overview`, { key: t.apiKey })).body.requiredGcpRoles;
      };
      expect(await roles('starter')).toEqual([]);
      expect(await roles('team')).toEqual(['roles/serviceusage.serviceUsageConsumer']);
      expect(await roles('business')).toEqual(['roles/aiplatform.user', 'roles/serviceusage.serviceUsageConsumer']);
    });
  });

  describe('POST /api/tts/generate with the embedded eSpeak NG (no service account)', () => {
    it("speaks in the agent's language; the WAV decodes and its duration is estimatedDurationSeconds; a repeat is a cache hit", async () => {
      const t = await tenantWithAgent('team', 'de');
      const body = { tenantId: t.tenantId, chatbotId: t.agentId, text: 'Guten Tag! Wie kann ich Ihnen heute helfen?' };
      const runsBefore = await metric('tts_syntheses_total', 'provider="espeak",outcome="ok"');

      const first = await generate(t.apiKey, body);
      expect(first.status).toBe(200);
      expect(first.headers.get('x-tts-provider')).toBe('espeak');
      expect(first.headers.get('x-tts-cache')).toBe('miss');
      expect(Object.keys(first.body).sort()).toEqual(['audioContentBase64', 'estimatedDurationSeconds', 'mimeType']);
      expect(first.body.mimeType).toBe('audio/wav');
      const wav = parseWav(Buffer.from(first.body.audioContentBase64, 'base64'));
      expect(wav).toMatchObject({ sampleRate: 22050, channels: 1, bitsPerSample: 16 });
      expect(first.body.estimatedDurationSeconds).toBeCloseTo(wav.durationSeconds, 3);
      expect(first.body.estimatedDurationSeconds).toBeGreaterThan(1.5);
      expect(await metric('tts_syntheses_total', 'provider="espeak",outcome="ok"')).toBe(runsBefore + 1);

      const second = await generate(t.apiKey, body);
      expect(second.status).toBe(200);
      expect(second.headers.get('x-tts-cache')).toBe('hit');
      expect(second.body).toEqual(first.body);
      expect(await metric('tts_syntheses_total', 'provider="espeak",outcome="ok"')).toBe(runsBefore + 1); // not re-synthesised

      // Another gender is other audio: a miss.
      const male = await generate(t.apiKey, { ...body, preferredGender: 'MALE' });
      expect(male.status).toBe(200);
      expect(male.headers.get('x-tts-cache')).toBe('miss');
    });

    it('languageCode overrides the agent language (case-insensitive)', async () => {
      const t = await tenantWithAgent('team', 'en');
      const res = await generate(t.apiKey, { tenantId: t.tenantId, chatbotId: t.agentId, text: 'Hola, ¿en qué puedo ayudarte?', languageCode: 'es-es' });
      expect(res.status).toBe(200);
      expect(res.body.estimatedDurationSeconds).toBeGreaterThan(0.5);
    });

    it('the same text of another tenant is not served from the first tenant\'s cache', async () => {
      const a = await tenantWithAgent('team');
      const b = await tenantWithAgent('team');
      const text = `Shared sentence ${randomUUID().slice(0, 8)}.`;
      expect((await generate(a.apiKey, { tenantId: a.tenantId, chatbotId: a.agentId, text })).headers.get('x-tts-cache')).toBe('miss');
      expect((await generate(b.apiKey, { tenantId: b.tenantId, chatbotId: b.agentId, text })).headers.get('x-tts-cache')).toBe('miss');
    });
  });

  describe("POST /api/tts/generate with the tenant's Google service account", () => {
    it('stores the key encrypted, shows only email and project, calls Google with it, caches, rebuilds on replacement, falls back on delete', async () => {
      const t = await tenantWithAgent('team', 'fr');
      const account = generateServiceAccount('acme-voice');
      fake.register(account);

      const put = await request<Record<string, unknown>>('PUT', `${svc.baseUrl}/api/tts/credentials`, { key: t.apiKey, body: { serviceAccount: account } });
      expect(put.status).toBe(200);
      expect(put.body).toEqual({
        configured: true,
        provider: 'google',
        clientEmail: account['client_email'],
        projectId: 'acme-voice',
        privateKeyId: account['private_key_id'],
        updatedAt: expect.any(String),
      });
      expect(put.text).not.toContain('PRIVATE KEY');
      const got = await request<Record<string, unknown>>('GET', `${svc.baseUrl}/api/tts/credentials`, { key: t.apiKey });
      expect(got.body).toEqual(put.body);
      const [row] = await svc.app.get(DataSource).query<{ secret: string; key_id: string }[]>(
        'SELECT secret, key_id FROM widget.tts_credentials WHERE tenant_id = $1',
        [t.tenantId],
      );
      expect(row!.secret).toMatch(/^v1:/);
      expect(row!.secret).not.toContain('PRIVATE KEY');
      expect(row!.secret).not.toContain(account['client_email']);

      const before = fake.requests.length;
      const body = { tenantId: t.tenantId, chatbotId: t.agentId, text: 'Bonjour, comment puis-je vous aider ?', preferredGender: 'male' };
      const first = await generate(t.apiKey, body);
      expect(first.status).toBe(200);
      expect(first.headers.get('x-tts-provider')).toBe('google');
      expect(first.headers.get('x-tts-cache')).toBe('miss');
      expect(fake.requests.length).toBe(before + 1);
      const sent = fake.requests.at(-1)!;
      expect(sent.body['input']).toEqual({ text: body.text });
      expect(sent.body['voice']).toMatchObject({ languageCode: 'fr-FR', name: 'fr-FR-Chirp3-HD-Charon' });
      expect(sent.jwtClaims).toMatchObject({ iss: account['client_email'] });
      expect(first.body.mimeType).toBe('audio/wav');
      expect(first.body.estimatedDurationSeconds).toBeCloseTo(body.text.length * fake.secondsPerChar, 3);
      expect(parseWav(Buffer.from(first.body.audioContentBase64, 'base64')).durationSeconds).toBeCloseTo(first.body.estimatedDurationSeconds, 3);

      const second = await generate(t.apiKey, body);
      expect(second.headers.get('x-tts-cache')).toBe('hit');
      expect(second.body).toEqual(first.body);
      expect(fake.requests.length).toBe(before + 1); // served from the cache: Google not called again

      // Replaced credentials: a new client (JWT of the new account) and a new cache identity.
      const replacement = generateServiceAccount('acme-voice-2');
      fake.register(replacement);
      expect((await request('PUT', `${svc.baseUrl}/api/tts/credentials`, { key: t.apiKey, body: { serviceAccount: replacement } })).status).toBe(200);
      const third = await generate(t.apiKey, body);
      expect(third.headers.get('x-tts-cache')).toBe('miss');
      expect(fake.requests.length).toBe(before + 2);
      expect(fake.requests.at(-1)!.jwtClaims).toMatchObject({ iss: replacement['client_email'] });

      // Removed: back to the embedded eSpeak NG.
      expect((await request('DELETE', `${svc.baseUrl}/api/tts/credentials`, { key: t.apiKey })).status).toBe(204);
      const fourth = await generate(t.apiKey, body);
      expect(fourth.status).toBe(200);
      expect(fourth.headers.get('x-tts-provider')).toBe('espeak');
      expect(fake.requests.length).toBe(before + 2);
      expect((await request('DELETE', `${svc.baseUrl}/api/tts/credentials`, { key: t.apiKey })).status).toBe(404);
      expect((await request<Record<string, unknown>>('GET', `${svc.baseUrl}/api/tts/credentials`, { key: t.apiKey })).body).toMatchObject({
        configured: false,
        provider: 'espeak',
        clientEmail: null,
      });
    });

    it('exactly 5000 bytes are accepted; 5001+ bytes (UTF-8, not characters) are a 400', async () => {
      const t = await tenantWithAgent('team');
      const account = generateServiceAccount('bytes-project');
      fake.register(account);
      await request('PUT', `${svc.baseUrl}/api/tts/credentials`, { key: t.apiKey, body: { serviceAccount: account } });
      fake.secondsPerChar = 0.002; // keep the fake's audio small
      const ok = await generate(t.apiKey, { tenantId: t.tenantId, chatbotId: t.agentId, text: 'é'.repeat(2500) }).finally(() => {
        fake.secondsPerChar = 0.05;
      });
      expect(ok.status).toBe(200);
      const over = await generate(t.apiKey, { tenantId: t.tenantId, chatbotId: t.agentId, text: 'é'.repeat(2500) + 'a' });
      expect(over.status).toBe(400);
      expect(over.body).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.stringContaining('5001 bytes'), details: { bytes: 5001, maxBytes: 5000 } });
    });

    it('Google refusing the service account: 502 saying so', async () => {
      const t = await tenantWithAgent('team');
      const account = generateServiceAccount('denied-project');
      await request('PUT', `${svc.baseUrl}/api/tts/credentials`, { key: t.apiKey, body: { serviceAccount: account } });
      fake.nextReply = { status: 403, body: { error: { code: 403, message: 'Cloud Text-to-Speech API has not been used in project', status: 'PERMISSION_DENIED' } } };
      const res = await generate(t.apiKey, { tenantId: t.tenantId, chatbotId: t.agentId, text: 'hello' });
      expect(res.status).toBe(502);
      expect(res.body.message).toMatch(/refused.*service account.*not been used/);
    });

    it('refuses what is not a service-account key (400 listing the problems); agent keys cannot manage credentials', async () => {
      const t = await tenantWithAgent('team');
      const bad = await request<ErrorBody>('PUT', `${svc.baseUrl}/api/tts/credentials`, {
        key: t.apiKey,
        body: { serviceAccount: { type: 'external_account', credential_source: { url: 'http://169.254.169.254/' } } },
      });
      expect(bad.status).toBe(400);
      expect(bad.body.message).toMatch(/service_account.*client_email.*private_key/s);
      expect((await request('PUT', `${svc.baseUrl}/api/tts/credentials`, { key: t.apiKey, body: {} })).status).toBe(400);
      const agentKey = await tenants.admin.createKey({ tenantId: t.tenantId, agentId: t.agentId });
      expect((await request('GET', `${svc.baseUrl}/api/tts/credentials`, { key: agentKey.apiKey })).status).toBe(403);
    });
  });

  describe('bad input', () => {
    it('unsupported languageCode: 400 listing the supported ones', async () => {
      const t = await tenantWithAgent('team');
      const res = await generate(t.apiKey, { tenantId: t.tenantId, chatbotId: t.agentId, text: 'hej', languageCode: 'sv-SE' });
      expect(res.status).toBe(400);
      expect(res.body.message).toContain('sv-SE');
      expect(res.body.message).toContain('en-US, es-ES, fr-FR, de-DE, it-IT, pt-BR, hi-IN, ja-JP, ko-KR, cmn-CN, ar-XA, nl-NL');
    });

    it("an agent language without a voice and no languageCode: 400 listing the supported ones", async () => {
      const t = await tenantWithAgent('team', 'sv');
      const res = await generate(t.apiKey, { tenantId: t.tenantId, chatbotId: t.agentId, text: 'hej' });
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/"sv".*pass languageCode.*en-US/);
    });

    it.each([
      ['bad gender', { preferredGender: 'robot' }, /preferredGender must be "female" or "male"/],
      ['empty text', { text: '' }, /text/],
      ['blank text', { text: '   ' }, /something to speak/],
      ['text not a string', { text: 42 }, /text must be a string/],
      ['unknown field', { speed: 2 }, /property speed should not exist/],
      ['missing chatbotId', { chatbotId: undefined }, /chatbotId/],
    ])('%s: 400', async (_label, patch, message) => {
      const t = await tenantWithAgent('team');
      const res = await generate(t.apiKey, { tenantId: t.tenantId, chatbotId: t.agentId, text: 'hello', ...patch });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.stringMatching(message) });
    });
  });

  describe('tenancy', () => {
    it("another tenant's chatbot: 404, like an unknown one; another tenant's id in the body: 403", async () => {
      const a = await tenantWithAgent('team');
      const b = await tenantWithAgent('team');
      const foreign = await generate(b.apiKey, { tenantId: b.tenantId, chatbotId: a.agentId, text: 'hello' });
      expect(foreign.status).toBe(404);
      const unknown = await generate(b.apiKey, { tenantId: b.tenantId, chatbotId: randomUUID(), text: 'hello' });
      expect(unknown.status).toBe(404);
      expect(foreign.body.message.replace(a.agentId, 'X')).toBe(unknown.body.message.replace(/[0-9a-f-]{36}/, 'X'));
      const notUuid = await generate(b.apiKey, { tenantId: b.tenantId, chatbotId: 'not-a-uuid', text: 'hello' });
      expect(notUuid.status).toBe(404);

      const claimed = await generate(b.apiKey, { tenantId: a.tenantId, chatbotId: a.agentId, text: 'hello' });
      expect(claimed.status).toBe(403);
      expect(claimed.body.message).toContain('tenantId');
      const header = await request('POST', `${svc.baseUrl}/api/tts/generate`, {
        key: b.apiKey,
        headers: { 'x-tenant-id': a.tenantId },
        body: { tenantId: b.tenantId, chatbotId: b.agentId, text: 'hello' },
      });
      expect(header.status).toBe(403);
    });

    it('a deleted chatbot: 404; an agent-scoped key only reaches its own agent', async () => {
      const t = await tenantWithAgent('team');
      const other = randomUUID();
      await agents.upsert(t.tenantId, other, 1, { ID: other, lang: 'en' });
      const agentKey = await tenants.admin.createKey({ tenantId: t.tenantId, agentId: t.agentId });
      expect((await generate(agentKey.apiKey, { tenantId: t.tenantId, chatbotId: other, text: 'hello' })).status).toBe(404);
      expect((await generate(agentKey.apiKey, { tenantId: t.tenantId, chatbotId: t.agentId, text: 'hello' })).status).toBe(200);
      await agents.markDeleted(t.tenantId, other);
      expect((await generate(t.apiKey, { tenantId: t.tenantId, chatbotId: other, text: 'hello' })).status).toBe(404);
    });

    it("one tenant's credentials are invisible to another", async () => {
      const a = await tenantWithAgent('team');
      const b = await tenantWithAgent('team');
      const account = generateServiceAccount('a-project');
      await request('PUT', `${svc.baseUrl}/api/tts/credentials`, { key: a.apiKey, body: { serviceAccount: account } });
      const seen = await request<Record<string, unknown>>('GET', `${svc.baseUrl}/api/tts/credentials`, { key: b.apiKey });
      expect(seen.body).toMatchObject({ configured: false, clientEmail: null });
      expect((await request('DELETE', `${svc.baseUrl}/api/tts/credentials`, { key: b.apiKey })).status).toBe(404);
      expect((await request<Record<string, unknown>>('GET', `${svc.baseUrl}/api/tts/credentials`, { key: a.apiKey })).body['configured']).toBe(true);
    });
  });
});
