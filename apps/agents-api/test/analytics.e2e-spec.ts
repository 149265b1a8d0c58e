import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { type HttpResult, type RunningService, type TestTenant, TestTenants, request, startService } from '@chatbot/testing';
import { agentsApiDefinition } from '../src/app.definition';

interface Metrics {
  conversations: number;
  interactions: number;
  humanMessages: number;
  botMessages: number;
  operatorMessages: number;
  uniqueUsers: number;
  returningUsers: number;
  handoffs: number;
  handoffRate: number | null;
  avgHumanFirstResponseSeconds: number | null;
  avgDurationSeconds: number | null;
}
type Bucket = Metrics & { byOrigin: Record<string, Metrics> };
interface Report {
  agentID: string;
  start: string;
  end: string;
  timezone: string;
  totals: Bucket;
  days: (Bucket & { date: string })[];
}
interface Env<T> {
  success: boolean;
  message: string;
  data: T;
  details?: { field: string; problems: string[] }[];
}
interface TurnFixture {
  from: 'human' | 'bot';
  messages: number;
  ts: string;
  operator?: boolean;
}
interface ConvoFixture {
  userId: string;
  origin: string;
  createdAt: string;
  firstAt?: string;
  lastAt?: string;
  handoffAt?: string;
  humanResponseAt?: string;
  turns: TurnFixture[];
}

const ZERO: Metrics = {
  conversations: 0,
  interactions: 0,
  humanMessages: 0,
  botMessages: 0,
  operatorMessages: 0,
  uniqueUsers: 0,
  returningUsers: 0,
  handoffs: 0,
  handoffRate: null,
  avgHumanFirstResponseSeconds: null,
  avgDurationSeconds: null,
};
const m = (values: Partial<Metrics>): Metrics => ({ ...ZERO, ...values });
const bucket = (total: Partial<Metrics>, byOrigin: Record<string, Partial<Metrics>> = {}): Bucket => ({
  ...m(total),
  byOrigin: {
    'web-chat': m(byOrigin['web-chat'] ?? {}),
    whatsapp: m(byOrigin['whatsapp'] ?? {}),
    discord: m(byOrigin['discord'] ?? {}),
    'gb-chat': m(byOrigin['gb-chat'] ?? {}),
  },
});

/**
 * The fixture (UTC), agent A, range 2025-03-10 (D1) .. 2025-03-12 (D3):
 *   c1 u1 web-chat  created D1 10:00  turns D1: human 1, bot 2, human 1, bot 1          duration 65 s, no handoff
 *   c2 u2 whatsapp  created D1 23:30  turns D1: human 1, bot 1; D2: human 2, bot 1,     duration 2550 s,
 *                                      operator 1                                       handoff D2 00:11:00, answered after 90 s
 *   c3 u3 web-chat  created D2 09:00  turns D2: human 1, bot 1, operator 2              duration 90 s, handoff answered after 30 s
 *   c4 u4 discord   created D3 12:00  turns D3: human 1, bot 1                          duration 10 s, handoff unanswered
 *   c5 u5 web-chat  created D0 (03-09) turns D0: human 1 (outside); D3: human 1, bot 1; 03-13 00:00: human 1 (outside)
 *   c7 u7 web-chat  created D3 23:59:59.5, no turns
 *   c6    another agent of the same tenant, active on D2 (never counted)
 */
const FIXTURE: ConvoFixture[] = [
  {
    userId: 'u1',
    origin: 'web-chat',
    createdAt: '2025-03-10T10:00:00Z',
    firstAt: '2025-03-10T10:00:00Z',
    lastAt: '2025-03-10T10:01:05Z',
    turns: [
      { from: 'human', messages: 1, ts: '2025-03-10T10:00:00Z' },
      { from: 'bot', messages: 2, ts: '2025-03-10T10:00:05Z' },
      { from: 'human', messages: 1, ts: '2025-03-10T10:01:00Z' },
      { from: 'bot', messages: 1, ts: '2025-03-10T10:01:05Z' },
    ],
  },
  {
    userId: 'u2',
    origin: 'whatsapp',
    createdAt: '2025-03-10T23:30:00Z',
    firstAt: '2025-03-10T23:30:00Z',
    lastAt: '2025-03-11T00:12:30Z',
    handoffAt: '2025-03-11T00:11:00Z',
    humanResponseAt: '2025-03-11T00:12:30Z',
    turns: [
      { from: 'human', messages: 1, ts: '2025-03-10T23:30:00Z' },
      { from: 'bot', messages: 1, ts: '2025-03-10T23:30:02Z' },
      { from: 'human', messages: 2, ts: '2025-03-11T00:10:00Z' },
      { from: 'bot', messages: 1, ts: '2025-03-11T00:10:03Z' },
      { from: 'bot', messages: 1, ts: '2025-03-11T00:12:30Z', operator: true },
    ],
  },
  {
    userId: 'u3',
    origin: 'web-chat',
    createdAt: '2025-03-11T09:00:00Z',
    firstAt: '2025-03-11T09:00:00Z',
    lastAt: '2025-03-11T09:01:30Z',
    handoffAt: '2025-03-11T09:01:00Z',
    humanResponseAt: '2025-03-11T09:01:30Z',
    turns: [
      { from: 'human', messages: 1, ts: '2025-03-11T09:00:00Z' },
      { from: 'bot', messages: 1, ts: '2025-03-11T09:00:01Z' },
      { from: 'bot', messages: 2, ts: '2025-03-11T09:01:30Z', operator: true },
    ],
  },
  {
    userId: 'u4',
    origin: 'discord',
    createdAt: '2025-03-12T12:00:00Z',
    firstAt: '2025-03-12T12:00:00Z',
    lastAt: '2025-03-12T12:00:10Z',
    handoffAt: '2025-03-12T12:01:00Z',
    turns: [
      { from: 'human', messages: 1, ts: '2025-03-12T12:00:00Z' },
      { from: 'bot', messages: 1, ts: '2025-03-12T12:00:10Z' },
    ],
  },
  {
    userId: 'u5',
    origin: 'web-chat',
    createdAt: '2025-03-09T08:00:00Z',
    firstAt: '2025-03-09T08:00:00Z',
    lastAt: '2025-03-13T00:00:00Z',
    turns: [
      { from: 'human', messages: 1, ts: '2025-03-09T08:00:00Z' },
      { from: 'human', messages: 1, ts: '2025-03-12T15:00:00Z' },
      { from: 'bot', messages: 1, ts: '2025-03-12T15:00:05Z' },
      { from: 'human', messages: 1, ts: '2025-03-13T00:00:00Z' },
    ],
  },
  { userId: 'u7', origin: 'web-chat', createdAt: '2025-03-12T23:59:59.500Z', turns: [] },
];

const D1 = bucket(
  { conversations: 2, handoffs: 1, handoffRate: 0.5, avgHumanFirstResponseSeconds: 90, avgDurationSeconds: 1307.5, interactions: 3, humanMessages: 3, botMessages: 4, uniqueUsers: 2 },
  {
    'web-chat': { conversations: 1, handoffRate: 0, avgDurationSeconds: 65, interactions: 2, humanMessages: 2, botMessages: 3, uniqueUsers: 1 },
    whatsapp: { conversations: 1, handoffs: 1, handoffRate: 1, avgHumanFirstResponseSeconds: 90, avgDurationSeconds: 2550, interactions: 1, humanMessages: 1, botMessages: 1, uniqueUsers: 1 },
  },
);
const D2 = bucket(
  { conversations: 1, handoffs: 1, handoffRate: 1, avgHumanFirstResponseSeconds: 30, avgDurationSeconds: 90, interactions: 2, humanMessages: 3, botMessages: 2, operatorMessages: 3, uniqueUsers: 2, returningUsers: 1 },
  {
    'web-chat': { conversations: 1, handoffs: 1, handoffRate: 1, avgHumanFirstResponseSeconds: 30, avgDurationSeconds: 90, interactions: 1, humanMessages: 1, botMessages: 1, operatorMessages: 2, uniqueUsers: 1 },
    whatsapp: { interactions: 1, humanMessages: 2, botMessages: 1, operatorMessages: 1, uniqueUsers: 1, returningUsers: 1 },
  },
);
const D3 = bucket(
  { conversations: 2, handoffs: 1, handoffRate: 0.5, avgDurationSeconds: 10, interactions: 2, humanMessages: 2, botMessages: 2, uniqueUsers: 2, returningUsers: 1 },
  {
    'web-chat': { conversations: 1, handoffRate: 0, interactions: 1, humanMessages: 1, botMessages: 1, uniqueUsers: 1, returningUsers: 1 },
    discord: { conversations: 1, handoffs: 1, handoffRate: 1, avgDurationSeconds: 10, interactions: 1, humanMessages: 1, botMessages: 1, uniqueUsers: 1 },
  },
);
const TOTALS = bucket(
  {
    conversations: 5,
    handoffs: 3,
    handoffRate: 0.6,
    avgHumanFirstResponseSeconds: 60,
    avgDurationSeconds: 678.75,
    interactions: 7,
    humanMessages: 8,
    botMessages: 8,
    operatorMessages: 3,
    uniqueUsers: 5,
    returningUsers: 2,
  },
  {
    'web-chat': { conversations: 3, handoffs: 1, handoffRate: 0.3333, avgHumanFirstResponseSeconds: 30, avgDurationSeconds: 77.5, interactions: 4, humanMessages: 4, botMessages: 5, operatorMessages: 2, uniqueUsers: 3, returningUsers: 1 },
    whatsapp: { conversations: 1, handoffs: 1, handoffRate: 1, avgHumanFirstResponseSeconds: 90, avgDurationSeconds: 2550, interactions: 2, humanMessages: 3, botMessages: 2, operatorMessages: 1, uniqueUsers: 1, returningUsers: 1 },
    discord: { conversations: 1, handoffs: 1, handoffRate: 1, avgDurationSeconds: 10, interactions: 1, humanMessages: 1, botMessages: 1, uniqueUsers: 1 },
  },
);

describe('agents-api: analytics (SQL aggregates, real Postgres + Redis)', () => {
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

  const call = <T = Report>(path: string, key: string): Promise<HttpResult<Env<T>>> => request<Env<T>>('GET', `${api.baseUrl}/v3${path}`, { key });
  const newAgent = async (t: TestTenant, title = 'Bot') => {
    const res = await request<Env<{ ID: string; SECRET_API_KEY: string }>>('POST', `${api.baseUrl}/v3/agents`, { key: t.apiKey, body: { agent: { title } } });
    expect(res.status).toBe(200);
    return { agentId: res.body.data.ID, agentKey: res.body.data.SECRET_API_KEY };
  };

  const insert = async (t: TestTenant, agentId: string, f: ConvoFixture): Promise<void> => {
    const operator = randomUUID();
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO agents.conversations (tenant_id, agent_id, user_id, origin, created_at, updated_at, first_message_at,
         last_message_at, handoff_requested_at, first_human_response_at, state, next_seq)
       VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
      [t.tenantId, agentId, f.userId, f.origin, f.createdAt, f.firstAt ?? null, f.lastAt ?? null, f.handoffAt ?? null,
        f.humanResponseAt ?? null, f.handoffAt ? 'human-chatting' : 'ai-chatting', f.turns.length],
    );
    for (const [seq, turn] of f.turns.entries()) {
      const ts = Date.parse(turn.ts);
      const messages = Array.from({ length: turn.messages }, (_, i) => ({
        mid: `${seq}-${i}`,
        from: turn.from,
        type: 'text',
        item: { message: `message ${i}` },
        delay: 0,
        ts,
      }));
      await db.query(
        `INSERT INTO agents.conversation_turns (tenant_id, agent_id, conversation_id, seq, sender, operator_id, messages, ts)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [t.tenantId, agentId, rows[0]!.id, seq, turn.from, turn.operator ? operator : null, JSON.stringify(messages), turn.ts],
      );
    }
  };

  const seeded = async () => {
    const t = await tenants.create();
    const agent = await newAgent(t);
    const other = await newAgent(t, 'Other');
    for (const f of FIXTURE) await insert(t, agent.agentId, f);
    await insert(t, other.agentId, {
      userId: 'u6',
      origin: 'web-chat',
      createdAt: '2025-03-11T10:00:00Z',
      firstAt: '2025-03-11T10:00:00Z',
      lastAt: '2025-03-11T10:00:01Z',
      handoffAt: '2025-03-11T10:00:01Z',
      turns: [
        { from: 'human', messages: 3, ts: '2025-03-11T10:00:00Z' },
        { from: 'bot', messages: 3, ts: '2025-03-11T10:00:01Z' },
      ],
    });
    return { t, ...agent, other };
  };

  it('computes per-day, total and per-origin numbers that match the hand-computed fixture', async () => {
    const s = await seeded();
    const res = await call(`/agents/${s.agentId}/analytics?start=2025-03-10&end=2025-03-12`, s.t.apiKey);
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
    const report = res.body.data;
    expect(report).toMatchObject({ agentID: s.agentId, start: '2025-03-10', end: '2025-03-12', timezone: 'UTC' });
    expect(report.days.map((d) => d.date)).toEqual(['2025-03-10', '2025-03-11', '2025-03-12']);
    expect(report.days[0]).toEqual({ date: '2025-03-10', ...D1 });
    expect(report.days[1]).toEqual({ date: '2025-03-11', ...D2 });
    expect(report.days[2]).toEqual({ date: '2025-03-12', ...D3 });
    expect(report.totals).toEqual(TOTALS);

    // The same range written as date-times (the UTC day of each) and as unix milliseconds.
    for (const query of [
      'start=2025-03-10T15:30:00Z&end=2025-03-12T01:00:00%2B00:00',
      `start=${Date.parse('2025-03-10T00:00:00Z')}&end=${Date.parse('2025-03-12T23:59:59Z')}`,
    ]) {
      const again = await call(`/agents/${s.agentId}/analytics?${query}`, s.t.apiKey);
      expect([query, again.status]).toEqual([query, 200]);
      expect(again.body.data.totals).toEqual(TOTALS);
    }

    // A wider range lists every day, zeros included, and picks up what lies outside the fixture range.
    const wide = (await call(`/agents/${s.agentId}/analytics?start=2025-03-08&end=2025-03-14`, s.t.apiKey)).body.data;
    expect(wide.days.map((d) => d.date)).toEqual(['2025-03-08', '2025-03-09', '2025-03-10', '2025-03-11', '2025-03-12', '2025-03-13', '2025-03-14']);
    expect(wide.days[0]).toEqual({ date: '2025-03-08', ...bucket({}) });
    expect(wide.days[1]).toMatchObject({ conversations: 1, interactions: 1, humanMessages: 1, uniqueUsers: 1, returningUsers: 0, avgDurationSeconds: 316800 });
    expect(wide.days[5]).toMatchObject({ conversations: 0, interactions: 1, humanMessages: 1, uniqueUsers: 1, returningUsers: 1 });
    expect(wide.totals).toMatchObject({ conversations: 6, interactions: 9, uniqueUsers: 5 });

    // One day only; and the other agent has its own numbers.
    const one = (await call(`/agents/${s.agentId}/analytics?start=2025-03-11&end=2025-03-11`, s.t.apiKey)).body.data;
    expect(one.days).toEqual([{ date: '2025-03-11', ...D2 }]);
    expect(one.totals).toEqual(D2);
    const other = (await call(`/agents/${s.other.agentId}/analytics?start=2025-03-10&end=2025-03-12`, s.t.apiKey)).body.data;
    expect(other.totals).toMatchObject({ conversations: 1, handoffs: 1, handoffRate: 1, interactions: 1, humanMessages: 3, botMessages: 3, uniqueUsers: 1 });
  });

  it('defaults to the last 30 days (today included) and accepts a 366-day range', async () => {
    const s = await seeded();
    const res = await call(`/agents/${s.agentId}/analytics`, s.t.apiKey);
    expect(res.status).toBe(200);
    const today = new Date().toISOString().slice(0, 10);
    expect(res.body.data.days).toHaveLength(30);
    expect(res.body.data.end).toBe(today);
    expect(res.body.data.days[29]!.date).toBe(today);
    const onlyEnd = await call(`/agents/${s.agentId}/analytics?end=2025-03-12`, s.t.apiKey);
    expect(onlyEnd.body.data).toMatchObject({ start: '2025-02-11', end: '2025-03-12' });
    // 2025-02-11 .. 2025-03-12 also holds c5's start (03-09) and first turn.
    expect(onlyEnd.body.data.totals).toMatchObject({ conversations: 6, interactions: 8, uniqueUsers: 5, returningUsers: 2 });
    const year = await call(`/agents/${s.agentId}/analytics?start=2024-03-12&end=2025-03-12`, s.t.apiKey);
    expect(year.status).toBe(200);
    expect(year.body.data.days).toHaveLength(366);
  });

  it('bad dates, end before start, and ranges over 366 days are 400s naming the parameter', async () => {
    const s = await seeded();
    const cases: [string, string][] = [
      ['start=yesterday', 'start'],
      ['end=2025-02-30', 'end'],
      ['start=2025-3-1', 'start'],
      ['start=', 'start'],
      ['start=2025-03-12&end=2025-03-11', 'end'],
      ['start=2024-03-11&end=2025-03-12', 'end'],
      ['start=2025-03-10&end=2025-03-12&agent=x', 'agent'],
    ];
    for (const [query, field] of cases) {
      const res = await call(`/agents/${s.agentId}/analytics?${query}`, s.t.apiKey);
      expect([query, res.status]).toEqual([query, 400]);
      expect(res.body).toMatchObject({ success: false, data: null });
      expect(res.body.details?.map((d) => d.field)).toContain(field);
    }
  });

  it("another tenant's agent is 404; an agent key sees only its own agent's analytics", async () => {
    const s = await seeded();
    const intruder = await tenants.create();
    for (const agentId of [s.agentId, randomUUID(), 'nope']) {
      const res = await call(`/agents/${agentId}/analytics?start=2025-03-10&end=2025-03-12`, intruder.apiKey);
      expect([agentId, res.status, res.body.success]).toEqual([agentId, 404, false]);
    }
    const mine = await call(`/agents/${s.agentId}/analytics?start=2025-03-10&end=2025-03-12`, s.agentKey);
    expect(mine.status).toBe(200);
    expect(mine.body.data.totals).toEqual(TOTALS);
    expect((await call(`/agents/${s.other.agentId}/analytics`, s.agentKey)).status).toBe(404);
    expect((await call(`/agents/${s.agentId}/analytics`, '')).status).toBe(401);
  });
});
