import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { type RunningService, type TestTenant, TestTenants, request, startService } from '@chatbot/testing';
import { agentsApiDefinition } from '../src/app.definition';

type Agent = Record<string, unknown> & { ID: string; SECRET_API_KEY: string };
interface Env<T> {
  success: boolean;
  message: string;
  data: T;
  total?: number;
  totalPages?: number;
  currentPage?: number;
  statusCode?: number;
  error?: string;
  details?: { field: string; problems: string[] }[];
}

const palette = Array.from({ length: 9 }, (_, i) => [210, 80, 10 + i * 10]);
const FULL = {
  agentPlatform: 'vg',
  title: 'Support bot',
  description: 'Answers questions about orders',
  theme: 'custom-dark',
  customThemeJSONString: JSON.stringify({ themeType: 'dark', primary: '#1a2b3c', nineColorPallet: palette }),
  roundedImageURL: 'https://cdn.example.com/launcher.png',
  avatarImageUrl: 'https://cdn.example.com/avatar.png',
  headerImageUrl: 'https://cdn.example.com/header.png',
  bannerImageUrl: 'https://cdn.example.com/banner.png',
  chatBgURL: 'https://cdn.example.com/bg.png',
  fontFamily: 'Inter',
  branding: 'Powered by Acme',
  lang: 'es',
  UIhandoffTitle: 'Talk to a human',
  UIhandoffSubtitle: 'We reply within minutes',
  buttonsLayout: 'horizontal',
  ADVANCED_customCSS: '.chat { color: red; }',
  whatsappToken: 'EAAG-whatsapp-token-secret-1234',
  whatsappNumberId: '1234567890',
  whatsappBusniessId: '9876543210',
  discord: { webhookUrl: 'https://discord.com/api/webhooks/1/discord-secret-token' },
  gcloudPrivateKey: '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n',
  gcloudClientEmail: 'bot@project.iam.gserviceaccount.com',
  VF_DIALOGUE_API_KEY: 'VF.DM.dialogue-secret-9876',
  VF_PROJECT_API_KEY: 'VF.DM.project-secret-5432',
  vg_initMessages: ['Hola!', '¿En qué te ayudo?'],
  vg_prompt: 'You are a helpful support agent.',
  vg_temperature: 0.7,
  vg_defaultModel: 'gemini-2.5-flash',
  vg_maxTokens: 2048,
  vg_kbDefaultDimension: 768,
  vg_kbTopChunks: 8,
  vg_enableUIEngine: true,
  messageDelayMS: 250,
  proactiveMessage: 'Need help?',
  recordChatHistory: false,
  disableSmoothScroll: true,
  autoStartWidget: true,
  listenForUrlChanges: true,
  chatForget: true,
  enableAudioSupport: true,
  enableAITranslate: true,
  disableNoReplyListener: true,
  alwaysShowHandoff: true,
  fixedHandoffPopup: true,
  smartInit: true,
  showHandoffEvenIfOffline: true,
  enableQuickFileUpload: true,
  disabled: false,
  allowedOrigins: ['https://www.example.com', 'http://localhost:3000'],
  welcomeMessage: 'Welcome to Acme!',
  businessName: 'Acme Inc',
};
const SECRETS = ['EAAG-whatsapp-token-secret-1234', 'discord-secret-token', 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC', 'dialogue-secret-9876', 'project-secret-5432'];

describe('agents-api: agents (TIXAE V3 wire format, real Postgres + Redis)', () => {
  let api: RunningService;
  let tenants: TestTenants;
  let db: Client;

  beforeAll(async () => {
    tenants = await TestTenants.open();
    api = await startService(agentsApiDefinition);
    db = new Client({ connectionString: process.env['DATABASE_URL'] });
    await db.connect();
  });

  afterAll(async () => {
    await api?.close();
    await tenants?.close();
    await db?.end();
  });

  const call = <T = Agent>(method: string, path: string, key: string, body?: unknown) =>
    request<Env<T>>(method, `${api.baseUrl}/v3/agents${path}`, { key, ...(body !== undefined ? { body } : {}) });
  const create = async (t: TestTenant, agent: Record<string, unknown> = { title: 'Bot' }) => {
    const res = await call('POST', '', t.apiKey, { agent });
    expect(res.status).toBe(200);
    return res.body.data;
  };

  it('creates an agent with every seed field, answers the TIXAE envelope, and reads it back (secrets masked)', async () => {
    const t = await tenants.create();
    const res = await call('POST', '', t.apiKey, { agent: FULL });
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
    const agent = res.body.data;
    expect(agent.ID).toMatch(/^[0-9a-f-]{36}$/);
    expect(agent.SECRET_API_KEY).toMatch(/^cbk_[A-Za-z0-9]{43}$/);
    const { customThemeJSONString, whatsappToken, discord, gcloudPrivateKey, VF_DIALOGUE_API_KEY, VF_PROJECT_API_KEY, ...plain } = FULL;
    expect(agent).toMatchObject(plain);
    expect(agent['customTheme']).toEqual(JSON.parse(customThemeJSONString));
    expect(JSON.parse(String(agent['customThemeJSONString']))).toEqual(JSON.parse(customThemeJSONString));
    expect(agent['whatsappToken']).toBe(`********${whatsappToken.slice(-4)}`);
    expect(agent['VF_DIALOGUE_API_KEY']).toBe(`********${VF_DIALOGUE_API_KEY.slice(-4)}`);
    expect(agent['VF_PROJECT_API_KEY']).toBe(`********${VF_PROJECT_API_KEY.slice(-4)}`);
    expect(agent['discord']).toEqual({ webhookUrl: `********${discord.webhookUrl.slice(-4)}` });
    expect(String(agent['gcloudPrivateKey'])).not.toContain(gcloudPrivateKey.split('\n')[1]!);
    expect(typeof agent['createdAtUNIX']).toBe('number');

    const read = await call('GET', `/${agent.ID}`, t.apiKey);
    expect(read.body).toMatchObject({ success: true, data: { ...plain, ID: agent.ID } });
    expect(read.body.data.SECRET_API_KEY).toMatch(/^cbk_.{8}…$/); // only the prefix after creation
    const dump = JSON.stringify(read.body);
    for (const secret of SECRETS) expect(dump).not.toContain(secret);

    const { rows } = await db.query<Record<string, unknown>>('SELECT * FROM agents.agents WHERE id = $1', [agent.ID]);
    const stored = JSON.stringify(rows[0]);
    for (const secret of SECRETS) expect(stored).not.toContain(secret);
    expect(stored).not.toContain(agent.SECRET_API_KEY);
  });

  it('new agents get sensible defaults', async () => {
    const t = await tenants.create();
    const agent = await create(t, { title: 'Minimal' });
    expect(agent).toMatchObject({ agentPlatform: 'vg', theme: 'blue-light', lang: 'en', vg_kbTopChunks: 5, disabled: false, allowedOrigins: [] });
    expect(agent['whatsappToken']).toBeNull();
  });

  it('edit (POST and PATCH) changes only what it names; an empty string clears a secret; version goes up', async () => {
    const t = await tenants.create();
    const agent = await create(t, { title: 'Before', whatsappToken: 'token-aaaa-1111', VF_PROJECT_API_KEY: 'vf-project-2222' });
    const edited = await call('POST', `/${agent.ID}`, t.apiKey, { agent: { title: 'After', lang: 'de', whatsappToken: '' } });
    expect(edited.status).toBe(200);
    expect(edited.body.data).toMatchObject({ title: 'After', lang: 'de', whatsappToken: null, VF_PROJECT_API_KEY: '********2222' });
    const patched = await call('PATCH', `/${agent.ID}`, t.apiKey, { agent: { vg_temperature: 1.1, ID: 'ignored', SECRET_API_KEY: 'ignored' } });
    expect(patched.body.data).toMatchObject({ title: 'After', vg_temperature: 1.1, ID: agent.ID });
    const { rows } = await db.query<{ version: number }>('SELECT version FROM agents.agents WHERE id = $1', [agent.ID]);
    expect(rows[0]!.version).toBe(3);
  });

  it('every create and edit raises agent_updated through the outbox (no secrets); delete raises agent_deleted', async () => {
    const t = await tenants.create();
    const agent = await create(t, { title: 'Evented', whatsappToken: 'never-in-events-7777', welcomeMessage: 'Hi' });
    await call('POST', `/${agent.ID}`, t.apiKey, { agent: { welcomeMessage: 'Hello again' } });
    await call('DELETE', `/${agent.ID}`, t.apiKey);
    const { rows } = await db.query<{ event_type: string; payload: { agent_id: string; version?: number; agent?: Record<string, unknown> } }>(
      `SELECT event_type, payload FROM events.outbox WHERE tenant_id = $1 ORDER BY created_at`,
      [t.tenantId],
    );
    expect(rows.map((r) => [r.event_type, r.payload.version ?? null])).toEqual([
      ['agent_updated', 1],
      ['agent_updated', 2],
      ['agent_deleted', null],
    ]);
    expect(rows[1]!.payload.agent).toMatchObject({ ID: agent.ID, title: 'Evented', welcomeMessage: 'Hello again' });
    expect(JSON.stringify(rows)).not.toContain('never-in-events-7777');
    expect(rows[1]!.payload.agent).not.toHaveProperty('whatsappToken');
  });

  it('lists with paging metadata', async () => {
    const t = await tenants.create();
    for (const title of ['A', 'B', 'C']) await create(t, { title });
    const page1 = await call<Agent[]>('GET', '?page=1&limit=2', t.apiKey);
    expect(page1.body).toMatchObject({ success: true, total: 3, totalPages: 2, currentPage: 1 });
    expect(page1.body.data.map((a) => a['title'])).toEqual(['A', 'B']);
    const page2 = await call<Agent[]>('GET', '?page=2&limit=2', t.apiKey);
    expect(page2.body.data.map((a) => a['title'])).toEqual(['C']);
  });

  it("the agent's SECRET_API_KEY sees only that agent: 404 elsewhere, 403 to create; deleting the agent revokes it", async () => {
    const t = await tenants.create();
    const mine = await create(t, { title: 'Mine' });
    const other = await create(t, { title: 'Other' });
    const key = mine.SECRET_API_KEY;
    expect((await call('GET', `/${mine.ID}`, key)).status).toBe(200);
    expect((await call('POST', `/${mine.ID}`, key, { agent: { title: 'Renamed by its key' } })).status).toBe(200);
    for (const [method, body] of [['GET'], ['POST', { agent: { title: 'x' } }], ['PATCH', { agent: { title: 'x' } }], ['DELETE']] as const) {
      const res = await call(method, `/${other.ID}`, key, body);
      expect([method, res.status]).toEqual([method, 404]);
    }
    const listed = await call<Agent[]>('GET', '', key);
    expect(listed.body.data.map((a) => a.ID)).toEqual([mine.ID]);
    expect(listed.body.total).toBe(1);
    const created = await call('POST', '', key, { agent: { title: 'Nope' } });
    expect(created.status).toBe(403);
    expect(created.body).toMatchObject({ success: false, data: null, statusCode: 403 });

    expect((await call('DELETE', `/${mine.ID}`, t.apiKey)).body).toMatchObject({ success: true, data: null });
    expect((await call('GET', `/${mine.ID}`, t.apiKey)).status).toBe(404);
    const revoked = await call('GET', `/${other.ID}`, key);
    expect(revoked.status).toBe(401);
  });

  it("another tenant's agent is 404 on every route, like an unknown or malformed id", async () => {
    const owner = await tenants.create();
    const stranger = await tenants.create();
    const agent = await create(owner, { title: 'Private' });
    for (const id of [agent.ID, randomUUID(), 'not-an-id']) {
      for (const [method, body] of [['GET'], ['POST', { agent: { title: 'x' } }], ['PATCH', { agent: { title: 'x' } }], ['DELETE']] as const) {
        const res = await call(method, `/${id}`, stranger.apiKey, body);
        expect([id, method, res.status, res.body.success]).toEqual([id, method, 404, false]);
      }
    }
    expect((await call<Agent[]>('GET', '', stranger.apiKey)).body.data).toEqual([]);
    expect((await call('GET', `/${agent.ID}`, owner.apiKey)).body.data['title']).toBe('Private');
  });

  it('needs a key', async () => {
    const res = await call('GET', '', '');
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ success: false, data: null, statusCode: 401 });
  });

  describe('bad input: 400 in the envelope, naming the field', () => {
    let t: TestTenant;
    let id: string;
    beforeAll(async () => {
      t = await tenants.create();
      id = (await create(t, { title: 'Target' })).ID;
    });

    it.each<[string, unknown, RegExp]>([
      ['no agent wrapper', { title: 'x' }, /agent/],
      ['agent not an object', { agent: 'x' }, /agent/],
      ['missing title', { agent: {} }, /title is required/],
      ['empty title', { agent: { title: '' } }, /title/],
      ['platform', { agent: { title: 'x', agentPlatform: 'dialogflow' } }, /agentPlatform must be vf or vg/],
      ['theme', { agent: { title: 'x', theme: 'neon' } }, /theme must be one of/],
      ['custom theme not JSON', { agent: { title: 'x', customThemeJSONString: '{bad' } }, /JSON.stringify/],
      ['custom theme bad hex', { agent: { title: 'x', customThemeJSONString: JSON.stringify({ themeType: 'dark', primary: 'red', nineColorPallet: palette }) } }, /hex colour/],
      ['custom theme 8 colours', { agent: { title: 'x', customTheme: { themeType: 'light', primary: '#fff', nineColorPallet: palette.slice(1) } } }, /9 HSL/],
      ['custom theme bad type', { agent: { title: 'x', customTheme: { themeType: 'blue', primary: '#fff', nineColorPallet: palette } } }, /themeType/],
      ['image URL', { agent: { title: 'x', avatarImageUrl: 'not a url' } }, /avatarImageUrl must be a URL/],
      ['lang not ISO 639-1', { agent: { title: 'x', lang: 'english' } }, /ISO 639-1/],
      ['buttonsLayout', { agent: { title: 'x', buttonsLayout: 'grid' } }, /buttonsLayout/],
      ['whatsappNumberId', { agent: { title: 'x', whatsappNumberId: 'abc' } }, /digits/],
      ['discord URL', { agent: { title: 'x', discord: { webhookUrl: 'ftp://x' } } }, /webhookUrl/],
      ['discord extra key', { agent: { title: 'x', discord: { webhookUrl: 'https://discord.com/x', token: 1 } } }, /token should not exist/],
      ['gcloud key not PEM', { agent: { title: 'x', gcloudPrivateKey: 'abc' } }, /PEM/],
      ['gcloud email', { agent: { title: 'x', gcloudClientEmail: 'nope' } }, /email/],
      ['init messages not strings', { agent: { title: 'x', vg_initMessages: [1, 2] } }, /vg_initMessages/],
      ['temperature > 2', { agent: { title: 'x', vg_temperature: 3 } }, /vg_temperature must not be greater than 2/],
      ['max tokens 0', { agent: { title: 'x', vg_maxTokens: 0 } }, /vg_maxTokens/],
      ['kb chunks 51', { agent: { title: 'x', vg_kbTopChunks: 51 } }, /vg_kbTopChunks/],
      ['delay negative', { agent: { title: 'x', messageDelayMS: -5 } }, /messageDelayMS/],
      ['boolean as string', { agent: { title: 'x', chatForget: 'yes' } }, /chatForget must be a boolean/],
      ['origin with path', { agent: { title: 'x', allowedOrigins: ['https://example.com/page'] } }, /allowedOrigins/],
      ['unknown field', { agent: { title: 'x', colour: 'red' } }, /property colour should not exist/],
      ['unknown top-level field', { agent: { title: 'x' }, extra: 1 }, /property extra should not exist/],
    ])('create: %s', async (_label, body, pattern) => {
      const res = await call('POST', '', t.apiKey, body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ success: false, data: null, statusCode: 400, error: 'Bad Request' });
      expect(res.body.message).toMatch(pattern);
    });

    it.each<[string, unknown]>([
      ['bad lang', { agent: { lang: 'xx-YY' } }],
      ['bad temperature', { agent: { vg_temperature: 'hot' } }],
      ['no wrapper', { title: 'x' }],
    ])('edit: %s', async (_label, body) => {
      expect((await call('PATCH', `/${id}`, t.apiKey, body)).status).toBe(400);
      expect((await call('POST', `/${id}`, t.apiKey, body)).status).toBe(400);
    });

    it.each(['?page=0', '?limit=101', '?page=abc', '?sort=x'])('list %s', async (query) => {
      expect((await call('GET', query, t.apiKey)).status).toBe(400);
    });

    it('malformed JSON', async () => {
      const res = await request<Env<null>>('POST', `${api.baseUrl}/v3/agents`, { key: t.apiKey, rawBody: '{"agent":' });
      expect(res.status).toBe(400);
      expect(res.body.success).toBe(false);
    });
  });
});
