import { createHash } from 'node:crypto';
import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { type RunningService, type TestTenant, TestTenants, request, startService, waitFor } from '@chatbot/testing';
import { WebSocket } from 'ws';
import { agentsApiDefinition } from '../../agents-api/src/app.definition';
import { widgetApiDefinition } from '../src/app.definition';
import { AgentProjectionRepository } from '../src/projection/agent-projection.repository';

interface LiveSession {
  sessionId: string;
  websocketUrl: string;
  expiresAt: string;
  provider: string;
  languageCode: string;
  ephemeralToken?: string;
  model?: string;
}
interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
}
type ServerMessage = Record<string, unknown> & { type: string };

const SHOP_DOC =
  '# Opening hours\n\nOur shop in Lisbon is open Monday to Friday from 9:00 to 18:00. On Saturdays we open from 10:00 to 14:00. ' +
  'We are closed on Sundays and public holidays.';
const PROMPT = 'You are Shop bot, the friendly assistant of a Lisbon bike shop.';

/** A connected test client that collects messages and the close frame. */
class LiveClient {
  readonly messages: ServerMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      this.messages.push(JSON.parse(data.toString('utf8')) as ServerMessage);
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => socket.on('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString('utf8') })));
  }

  static connect(url: string): Promise<LiveClient> {
    const socket = new WebSocket(url);
    const client = new LiveClient(socket);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(client));
      socket.once('error', reject);
    });
  }

  send(message: unknown): void {
    this.socket.send(JSON.stringify(message));
  }

  async next(type: string, timeoutMs = 15_000): Promise<ServerMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.messages.findIndex((m) => m.type === type);
      if (index >= 0) return this.messages.splice(index, 1)[0]!;
      if (Date.now() > deadline) throw new Error(`no "${type}" message; got ${JSON.stringify(this.messages.map((m) => m.type))}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }
}

function readWav(wav: Buffer): { sampleRate: number; seconds: number } {
  expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
  expect(wav.toString('ascii', 8, 12)).toBe('WAVE');
  expect(wav.readUInt32LE(4)).toBe(wav.length - 8);
  let offset = 12;
  let rate = 0;
  let bytesPerSecond = 0;
  while (offset + 8 <= wav.length) {
    const id = wav.toString('ascii', offset, offset + 4);
    const size = wav.readUInt32LE(offset + 4);
    if (id === 'fmt ') {
      expect(wav.readUInt16LE(offset + 8)).toBe(1);
      rate = wav.readUInt32LE(offset + 12);
      bytesPerSecond = wav.readUInt32LE(offset + 16);
    }
    if (id === 'data') {
      expect(offset + 8 + size).toBeLessThanOrEqual(wav.length);
      return { sampleRate: rate, seconds: size / bytesPerSecond };
    }
    offset += 8 + size;
  }
  throw new Error('no data chunk');
}

describe('widget-api Live sessions (real Postgres, Redis, agents-api, WebSocket)', () => {
  let agents: RunningService;
  let widget: RunningService;
  let tenants: TestTenants;
  let redis: Redis;

  beforeAll(async () => {
    tenants = await TestTenants.open();
    agents = await startService(agentsApiDefinition, { env: { CHAT_ENGINE: 'offline', GEMINI_API_KEY: '' } });
    widget = await startService(widgetApiDefinition, { env: { AGENTS_API_INTERNAL_URL: agents.baseUrl, GEMINI_API_KEY: '', PUBLIC_BASE_URL: '' } });
    redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
  });

  afterAll(async () => {
    await redis?.quit();
    await widget?.close();
    await agents?.close();
    await tenants?.close();
  });

  /** An agent created through agents-api (same database), optionally with a KB document, and widget-api's projection of it. */
  async function chatbot(t: TestTenant, settings: Record<string, unknown> = {}, into: RunningService = widget, withKb = false): Promise<string> {
    const created = await request<{ data: { ID: string } }>('POST', `${agents.baseUrl}/v3/agents`, {
      key: t.apiKey,
      body: { agent: { title: 'Shop bot', vg_prompt: PROMPT, lang: 'en', vg_initMessages: ['Hello! Ask me about the shop.'], ...settings } },
    });
    expect(created.status).toBe(200);
    const id = created.body.data.ID;
    if (withKb) {
      const kb = await request('POST', `${agents.baseUrl}/v3/agents/${id}/kb`, { key: t.apiKey, body: { name: 'Shop FAQ', content: SHOP_DOC } });
      expect(kb.status).toBeLessThan(300);
      const stats = () => request<{ data?: { knowledgeBaseStatus?: string } }>('GET', `${agents.baseUrl}/v3/agents/${id}/kb/stats`, { key: t.apiKey });
      await waitFor(async () => (await stats()).body.data?.knowledgeBaseStatus === 'ready', { timeoutMs: 15_000, what: 'KB ingestion' });
    }
    await into.app
      .get(AgentProjectionRepository)
      .upsert(t.tenantId, id, 1, { ID: id, title: 'Shop bot', vg_prompt: PROMPT, lang: 'en', disabled: false, ...settings });
    return id;
  }

  const createSession = (body: Record<string, unknown>, key: string, base: RunningService = widget) =>
    request<LiveSession & ErrorBody>('POST', `${base.baseUrl}/api/live/session`, { key, body });

  describe('platform endpoint (no Gemini key)', () => {
    it('creates a session (seed fields) and carries a text turn to the agent engine: reply and decodable audio', async () => {
      const t = await tenants.create('business');
      const agentId = await chatbot(t, {}, widget, true);
      const before = Date.now();
      const res = await createSession({ tenantId: t.tenantId, chatbotId: agentId }, t.apiKey);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ sessionId: expect.any(String), provider: 'platform', languageCode: 'en-US' });
      const expiresIn = Date.parse(res.body.expiresAt) - before;
      expect(expiresIn).toBeGreaterThan(595_000);
      expect(expiresIn).toBeLessThan(605_000);
      const url = new URL(res.body.websocketUrl);
      expect(url.protocol).toBe('ws:');
      expect(url.host).toBe(new URL(widget.baseUrl).host);
      expect(url.pathname).toBe('/api/live/ws');
      expect(url.searchParams.get('session')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      // Redis holds the session with the session's TTL and only a hash of the token.
      const prefix = process.env['REDIS_PREFIX'] ?? 'cb';
      const ttl = await redis.ttl(`${prefix}:widget:live:session:${res.body.sessionId}`);
      expect(ttl).toBeGreaterThan(590);
      expect(ttl).toBeLessThanOrEqual(600);
      const keys = await redis.keys(`${prefix}:widget:live:token:*`);
      expect(keys.join()).not.toContain(url.searchParams.get('session'));

      const client = await LiveClient.connect(res.body.websocketUrl);
      expect(await client.next('ready')).toMatchObject({ sessionId: res.body.sessionId, languageCode: 'en-US', expiresAt: res.body.expiresAt });
      client.send({ type: 'text', text: 'When is the shop open on Saturday?' });
      const reply = await client.next('reply');
      expect(String(reply['text'])).toMatch(/10:00 to 14:00/);
      const audio = await client.next('audio');
      expect(audio['mimeType']).toBe('audio/wav');
      const wav = readWav(Buffer.from(String(audio['audioContentBase64']), 'base64'));
      expect(wav.sampleRate).toBe(22050);
      expect(wav.seconds).toBeGreaterThan(1);
      expect(audio['estimatedDurationSeconds']).toBeCloseTo(wav.seconds, 2);

      // Bad messages are answered, and the session stays open.
      client.send({ type: 'dance' });
      expect(String((await client.next('error'))['message'])).toContain('type must be one of');
      client.send({ type: 'launch' });
      expect((await client.next('reply'))['text']).toBe('Hello! Ask me about the shop.');
      await client.next('audio');

      // The turn reached agents-api as a conversation whose user is the Live session.
      const state = await request<{ turns: { from: string; messages: { item: { message?: string } }[] }[] }>(
        'GET',
        `${agents.baseUrl}/v3/agents/${agentId}/interact/${res.body.sessionId}/state`,
        { key: t.apiKey },
      );
      expect(state.status).toBe(200);
      expect(state.body.turns[0]!.messages[0]!.item.message).toBe('When is the shop open on Saturday?');

      // Single use: a second connection with the same URL is refused with a clear close code.
      const again = await LiveClient.connect(res.body.websocketUrl);
      expect(await again.closed).toEqual({ code: 4409, reason: expect.stringContaining('already used') });
      client.socket.close();
      await client.closed;
    });

    it('speaks the session language; the language defaults to the agent language', async () => {
      const t = await tenants.create('business');
      const agentId = await chatbot(t, { lang: 'de' });
      const byAgent = await createSession({ tenantId: t.tenantId, chatbotId: agentId }, t.apiKey);
      expect(byAgent.body.languageCode).toBe('de-DE');
      const requested = await createSession({ tenantId: t.tenantId, chatbotId: agentId, languageCode: 'es-es', sessionTimeoutSeconds: 60 }, t.apiKey);
      expect(requested.status).toBe(200);
      expect(requested.body.languageCode).toBe('es-ES');
      const client = await LiveClient.connect(requested.body.websocketUrl);
      expect(await client.next('ready')).toMatchObject({ languageCode: 'es-ES' });
      client.socket.close();
    });

    it('refuses an expired token, a missing token and a made-up token', async () => {
      const t = await tenants.create('business');
      const agentId = await chatbot(t);
      const res = await createSession({ tenantId: t.tenantId, chatbotId: agentId, sessionTimeoutSeconds: 60 }, t.apiKey);
      expect(res.status).toBe(200);
      const token = new URL(res.body.websocketUrl).searchParams.get('session')!;
      const prefix = process.env['REDIS_PREFIX'] ?? 'cb';
      const tokenKey = `${prefix}:widget:live:token:${createHash('sha256').update(token).digest('hex')}`;
      expect(await redis.ttl(tokenKey)).toBeGreaterThan(55);
      // Time passes: the session's TTL runs out.
      await redis.pexpire(tokenKey, 1);
      await redis.pexpire(`${prefix}:widget:live:session:${res.body.sessionId}`, 1);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const expired = await LiveClient.connect(res.body.websocketUrl);
      expect(await expired.closed).toEqual({ code: 4401, reason: expect.stringContaining('expired') });

      const base = res.body.websocketUrl.split('?')[0]!;
      expect(await (await LiveClient.connect(base)).closed).toEqual({ code: 4401, reason: expect.stringContaining('missing') });
      expect((await (await LiveClient.connect(`${base}?session=${'A'.repeat(43)}`)).closed).code).toBe(4401);
      expect((await (await LiveClient.connect(`${base}?session=../../x`)).closed).code).toBe(4401);
    });

    it('graceful shutdown closes open sockets with 1001 and does not hang', async () => {
      const t = await tenants.create('business');
      const own = await startService(widgetApiDefinition, { env: { AGENTS_API_INTERNAL_URL: agents.baseUrl, GEMINI_API_KEY: '' } });
      const agentId = await chatbot(t, {}, own);
      const res = await createSession({ tenantId: t.tenantId, chatbotId: agentId }, t.apiKey, own);
      const client = await LiveClient.connect(res.body.websocketUrl);
      await client.next('ready');
      const started = Date.now();
      await own.close();
      expect(Date.now() - started).toBeLessThan(5000);
      expect(await client.closed).toEqual({ code: 1001, reason: 'server shutting down' });
    });
  });

  describe('rules', () => {
    it.each([['starter'], ['team']] as const)('plan %s: 403 naming the plan that includes live', async (plan) => {
      const t = await tenants.create(plan);
      const agentId = await chatbot(t);
      const res = await createSession({ tenantId: t.tenantId, chatbotId: agentId }, t.apiKey);
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ statusCode: 403, error: 'Forbidden' });
      expect(res.body.message).toContain('"live"');
      expect(res.body.message).toContain('ChatVix Pro');
      expect(res.body.message).toContain('business');
    });

    it('no key: 401', async () => {
      const res = await request('POST', `${widget.baseUrl}/api/live/session`, { body: { tenantId: 'x', chatbotId: 'y' } });
      expect(res.status).toBe(401);
    });

    it("cross-tenant: another tenant's id is 403, another tenant's chatbot or an unknown one is 404", async () => {
      const a = await tenants.create('business');
      const b = await tenants.create('business');
      const agentOfB = await chatbot(b);
      const agentOfA = await chatbot(a);
      const otherTenant = await createSession({ tenantId: b.tenantId, chatbotId: agentOfB }, a.apiKey);
      expect(otherTenant.status).toBe(403);
      expect(otherTenant.body.message).toContain('tenantId');
      const foreignBot = await createSession({ tenantId: a.tenantId, chatbotId: agentOfB }, a.apiKey);
      expect(foreignBot.status).toBe(404);
      const unknown = await createSession({ tenantId: a.tenantId, chatbotId: '00000000-0000-4000-8000-000000000000' }, a.apiKey);
      expect(unknown.status).toBe(404);
      expect(foreignBot.body.message).toBe(`Chatbot ${agentOfB} not found`);
      // An agent key reaches only its own agent.
      const agentKey = await tenants.admin.createKey({ tenantId: a.tenantId, agentId: agentOfA });
      const secondOfA = await chatbot(a);
      expect((await createSession({ tenantId: a.tenantId, chatbotId: agentOfA }, agentKey.apiKey)).status).toBe(200);
      expect((await createSession({ tenantId: a.tenantId, chatbotId: secondOfA }, agentKey.apiKey)).status).toBe(404);
      // A disabled chatbot takes no live session.
      const disabled = await chatbot(a, { disabled: true });
      expect((await createSession({ tenantId: a.tenantId, chatbotId: disabled }, a.apiKey)).status).toBe(403);
    });

    it.each([
      [{ sessionTimeoutSeconds: 59 }, 'sessionTimeoutSeconds must be at least 60'],
      [{ sessionTimeoutSeconds: 3601 }, 'sessionTimeoutSeconds must be at most 3600'],
      [{ sessionTimeoutSeconds: 'ten' }, 'sessionTimeoutSeconds must be an integer'],
      [{ sessionTimeoutSeconds: 90.5 }, 'sessionTimeoutSeconds must be an integer'],
      [{ languageCode: 'xx-XX' }, 'languageCode must be one of en-US'],
      [{ languageCode: 7 }, 'languageCode must be one of'],
      [{ chatbotId: 'not-an-id' }, 'chatbotId must be a chatbot id'],
      [{ chatbotId: undefined }, 'chatbotId'],
      [{ tenantId: 'nope' }, 'tenantId must be a tenant id'],
      [{ extra: true }, 'extra'],
    ])('bad input %j: 400 saying what is wrong', async (patch, expected) => {
      const t = await tenants.create('business');
      const body = { tenantId: t.tenantId, chatbotId: '00000000-0000-4000-8000-000000000000', ...patch };
      const res = await createSession(body, t.apiKey);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toContain(expected);
    });

    it('is documented in OpenAPI', async () => {
      const docs = await request<{ paths: Record<string, Record<string, unknown>> }>('GET', `${widget.baseUrl}/docs-json`);
      expect(docs.body.paths['/api/live/session']?.['post']).toBeDefined();
    });
  });

  describe('Gemini Live (ephemeral token through the real SDK, against a local fake)', () => {
    let fake: Server;
    let fakeUrl: string;
    let gemini: RunningService;
    const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: Record<string, unknown> }[] = [];
    let answer: { status: number; body: unknown } = { status: 200, body: { name: 'auth_tokens/ephemeral-1234' } };

    beforeAll(async () => {
      fake = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: raw ? (JSON.parse(raw) as Record<string, unknown>) : {} });
          res.writeHead(answer.status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(answer.body));
        });
      });
      await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
      fakeUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
      gemini = await startService(widgetApiDefinition, {
        env: { GEMINI_API_KEY: 'platform-secret-gemini-key', GEMINI_BASE_URL: fakeUrl, GEMINI_LIVE_MODEL: 'gemini-live-test', GEMINI_LIVE_VOICE: 'Puck' },
      });
    });

    afterAll(async () => {
      await gemini?.close();
      await new Promise((resolve) => fake?.close(resolve));
    });

    it("creates a single-use token locked to the agent's prompt, model, voice and language; the key stays on the server", async () => {
      const t = await tenants.create('business');
      const agentId = await chatbot(t, {}, gemini);
      seen.length = 0;
      answer = { status: 200, body: { name: 'auth_tokens/ephemeral-1234' } };
      const before = Date.now();
      const res = await createSession({ tenantId: t.tenantId, chatbotId: agentId, languageCode: 'fr-FR', sessionTimeoutSeconds: 900 }, t.apiKey, gemini);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ provider: 'gemini', languageCode: 'fr-FR', ephemeralToken: 'auth_tokens/ephemeral-1234', model: 'gemini-live-test' });
      expect(res.body.websocketUrl).toBe(
        `${fakeUrl.replace('http:', 'ws:')}/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained?access_token=auth_tokens%2Fephemeral-1234`,
      );
      expect(JSON.stringify(res.body)).not.toContain('platform-secret-gemini-key');
      expect(Date.parse(res.body.expiresAt) - before).toBeGreaterThan(895_000);

      expect(seen).toHaveLength(1);
      const call = seen[0]!;
      expect(call.method).toBe('POST');
      expect(call.url.split('?')[0]).toBe('/v1alpha/auth_tokens');
      expect(call.headers['x-goog-api-key']).toBe('platform-secret-gemini-key');
      const body = call.body;
      expect(body['uses']).toBe(1);
      expect(body['expireTime']).toBe(res.body.expiresAt);
      const newSession = Date.parse(String(body['newSessionExpireTime']));
      expect(newSession).toBeGreaterThan(before);
      expect(newSession - before).toBeLessThanOrEqual(61_000);
      const setup = body['bidiGenerateContentSetup'] as Record<string, unknown>;
      expect(String(setup['model'])).toMatch(/gemini-live-test$/);
      expect(JSON.stringify(setup['systemInstruction'])).toContain(PROMPT);
      expect(setup['generationConfig']).toMatchObject({
        responseModalities: ['AUDIO'],
        speechConfig: { languageCode: 'fr-FR', voiceConfig: { prebuiltVoiceConfig: { voiceName: 'Puck' } } },
      });
      // Every constrained field is locked.
      expect(String(body['fieldMask'])).toContain('systemInstruction');

      // The session is remembered in Redis for its lifetime.
      const prefix = process.env['REDIS_PREFIX'] ?? 'cb';
      expect(await redis.ttl(`${prefix}:widget:live:session:${res.body.sessionId}`)).toBeGreaterThan(890);
    });

    it('Gemini refusing the token: 502, and the platform key is not echoed', async () => {
      const t = await tenants.create('business');
      const agentId = await chatbot(t, {}, gemini);
      answer = { status: 500, body: { error: { code: 500, message: 'boom', status: 'INTERNAL' } } };
      const res = await createSession({ tenantId: t.tenantId, chatbotId: agentId }, t.apiKey, gemini);
      expect(res.status).toBe(502);
      expect(res.body.message).toContain('Gemini Live is unavailable');
      expect(res.text).not.toContain('platform-secret-gemini-key');
      answer = { status: 200, body: { name: 'auth_tokens/ephemeral-1234' } };
    });

    it('the plan rule holds in Gemini mode too (no token is requested)', async () => {
      const t = await tenants.create('team');
      const agentId = await chatbot(t, {}, gemini);
      seen.length = 0;
      const res = await createSession({ tenantId: t.tenantId, chatbotId: agentId }, t.apiKey, gemini);
      expect(res.status).toBe(403);
      expect(seen).toHaveLength(0);
    });
  });
});
