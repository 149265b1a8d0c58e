import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { type HttpResult, type RunningService, type TestTenant, TestTenants, request, startService } from '@chatbot/testing';
import { agentsApiDefinition } from '../src/app.definition';

type Wire = Record<string, unknown>;
type Meta = Wire & { convoId: string; userID: string };
interface Env<T> {
  success: boolean;
  message: string;
  data: T;
  nextCursor?: string | null;
  statusCode?: number;
  details?: { field: string; problems: string[] }[];
}
interface Scope {
  t: TestTenant;
  agentId: string;
  agentKey: string;
}
interface TurnFixture {
  from: 'human' | 'bot';
  texts: string[];
  ts: string;
  operatorId?: string;
  type?: string;
  seq?: number;
}
interface ConvoFixture {
  userId?: string;
  origin?: string;
  state?: string;
  tags?: string[];
  metadata?: Wire;
  assignedTo?: string | null;
  ticketId?: string | null;
  createdAt?: string;
  updatedAt?: string;
  firstAt?: string | null;
  lastAt?: string | null;
  turns?: TurnFixture[];
}

/** A strict RFC 4180 reader: CRLF rows, quoted cells with doubled quotes; anything else throws. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  let cellStart = true;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') {
        quoted = false;
        if (![',', '\r', undefined].includes(text[i + 1])) throw new Error(`text after a closing quote at ${i}`);
      } else cell += ch;
      continue;
    }
    if (ch === '"') {
      if (!cellStart) throw new Error(`quote inside an unquoted cell at ${i}`);
      quoted = true;
      cellStart = false;
    } else if (ch === ',') {
      row.push(cell);
      cell = '';
      cellStart = true;
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      cellStart = true;
      i++;
    } else if (ch === '\n' || ch === '\r') {
      throw new Error(`bare line break outside quotes at ${i}`);
    } else {
      cell += ch;
      cellStart = false;
    }
  }
  if (quoted) throw new Error('unterminated quoted cell');
  if (cell !== '' || row.length > 0) throw new Error('last row does not end with CRLF');
  return rows;
}

describe('agents-api: conversations list, get, patch, delete, assign, export (real Postgres + Redis)', () => {
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

  const call = <T = Meta>(method: string, path: string, key: string, body?: unknown): Promise<HttpResult<Env<T>>> =>
    request<Env<T>>(method, `${api.baseUrl}/v3${path}`, { key, ...(body !== undefined ? { body } : {}) });

  const newAgent = async (t: TestTenant, title = 'Bot'): Promise<{ agentId: string; agentKey: string }> => {
    const res = await call<{ ID: string; SECRET_API_KEY: string }>('POST', '/agents', t.apiKey, { agent: { title } });
    expect(res.status).toBe(200);
    return { agentId: res.body.data.ID, agentKey: res.body.data.SECRET_API_KEY };
  };
  const setup = async (): Promise<Scope> => {
    const t = await tenants.create();
    return { t, ...(await newAgent(t)) };
  };
  const newClient = async (t: TestTenant, name = 'Operator'): Promise<string> => {
    const res = await call<{ ID: string }>('POST', `/workspaces/${t.tenantId}/clients`, t.apiKey, {
      client: { name, email: `${randomUUID()}@example.com` },
    });
    expect(res.status).toBe(200);
    return res.body.data.ID;
  };

  let midCounter = 0;
  /** Inserts a conversation and its turns straight in SQL (the interact routes are not what this file tests). */
  const insertConvo = async (s: { t: TestTenant; agentId: string }, f: ConvoFixture = {}): Promise<string> => {
    const turns = f.turns ?? [];
    const humanTurns = turns.filter((t) => t.from === 'human');
    const count = (list: TurnFixture[]) => list.reduce((n, t) => n + t.texts.length, 0);
    const created = f.createdAt ?? turns[0]?.ts ?? new Date().toISOString();
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO agents.conversations (tenant_id, agent_id, user_id, origin, state, tags, metadata, assigned_client_id,
         ticket_id, next_seq, messages_num, human_messages_num, bot_messages_num, interactions_num, sessions_num,
         first_message_at, last_message_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1, $15, $16, $17, $18) RETURNING id`,
      [
        s.t.tenantId,
        s.agentId,
        f.userId ?? `user-${randomUUID()}`,
        f.origin ?? 'web-chat',
        f.state ?? 'ai-chatting',
        f.tags ?? [],
        JSON.stringify(f.metadata ?? {}),
        f.assignedTo ?? null,
        f.ticketId ?? null,
        turns.length,
        count(turns),
        count(humanTurns),
        count(turns) - count(humanTurns),
        humanTurns.length,
        f.firstAt !== undefined ? f.firstAt : (turns[0]?.ts ?? null),
        f.lastAt !== undefined ? f.lastAt : (turns[turns.length - 1]?.ts ?? null),
        created,
        f.updatedAt ?? f.lastAt ?? turns[turns.length - 1]?.ts ?? created,
      ],
    );
    const id = rows[0]!.id;
    for (const [i, turn] of turns.entries()) {
      const ts = Date.parse(turn.ts);
      const messages = turn.texts.map((text) => ({
        mid: `m${++midCounter}`,
        from: turn.from,
        type: turn.type ?? 'text',
        item: { message: text },
        delay: 0,
        ts,
      }));
      await db.query(
        `INSERT INTO agents.conversation_turns (tenant_id, agent_id, conversation_id, seq, sender, operator_id, messages, ts)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [s.t.tenantId, s.agentId, id, turn.seq ?? i, turn.from, turn.operatorId ?? null, JSON.stringify(messages), turn.ts],
      );
    }
    return id;
  };
  const ids = (res: HttpResult<Env<Meta[]>>): string[] => {
    expect(res.status).toBe(200);
    return res.body.data.map((m) => m.convoId);
  };
  const list = (s: Scope, query: string, key = s.t.apiKey) => call<Meta[]>('GET', `/agents/${s.agentId}/convos${query}`, key);

  it('pages through every conversation newest-activity first, with no duplicate or gap (ties and microseconds included)', async () => {
    const s = await setup();
    // Groups of three: two with the same updated_at (id breaks the tie), one a single microsecond later.
    for (let i = 0; i < 45; i++) {
      const group = Math.floor(i / 3);
      const micros = i % 3 === 2 ? '123457' : '123456';
      await insertConvo(s, { userId: `pager-${i}`, updatedAt: `2025-01-01T00:00:${String(group).padStart(2, '0')}.${micros}Z` });
    }
    const { rows } = await db.query<{ id: string }>(
      'SELECT id FROM agents.conversations WHERE agent_id = $1 ORDER BY updated_at DESC, id DESC',
      [s.agentId],
    );
    const expected = rows.map((r) => r.id);
    const seen: string[] = [];
    let cursor: string | null | undefined;
    let pages = 0;
    do {
      const res = await list(s, `?limit=10${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.body.success).toBe(true);
      seen.push(...ids(res));
      cursor = res.body.nextCursor;
      expect(cursor === null || /^[A-Za-z0-9_-]+$/.test(cursor!)).toBe(true);
      pages++;
    } while (cursor);
    expect(pages).toBe(5);
    expect(seen).toEqual(expected);
    expect(new Set(seen).size).toBe(45);

    // Default limit 20; a page has transcript metadata and no turns.
    const first = await list(s, '');
    expect(first.body.data).toHaveLength(20);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    expect(first.body.data[0]).toMatchObject({ convoId: expected[0], chatState: 'ai-chatting', origin: 'web-chat', tags: [] });
    expect(first.body.data[0]).not.toHaveProperty('turns');
    const exact = await list(s, '?limit=45');
    expect(exact.body.data).toHaveLength(45);
    expect(exact.body.nextCursor).toBeNull();
  });

  it('filters by origin, state, tag(s), assigned client, last-activity range, and full-text search over messages', async () => {
    const s = await setup();
    const ana = await newClient(s.t, 'Ana');
    const bo = await newClient(s.t, 'Bo');
    const c = {
      a: await insertConvo(s, {
        origin: 'web-chat',
        tags: ['vip', 'refund'],
        turns: [
          { from: 'human', texts: ['I want a refund for my blue sweater'], ts: '2025-02-01T10:00:00Z' },
          { from: 'bot', texts: ['Sure, refunds take 5 days'], ts: '2025-02-01T10:00:05Z' },
        ],
      }),
      b: await insertConvo(s, {
        origin: 'whatsapp',
        state: 'human-chatting',
        assignedTo: ana,
        tags: ['vip'],
        turns: [{ from: 'human', texts: ['Where is my order?'], ts: '2025-02-03T09:00:00Z' }],
      }),
      c: await insertConvo(s, {
        origin: 'discord',
        state: 'requested_chat',
        tags: ['refund'],
        turns: [{ from: 'human', texts: ['Green sweater delivery status'], ts: '2025-02-05T12:00:00Z' }],
      }),
      d: await insertConvo(s, {
        origin: 'gb-chat',
        state: 'ended_chat',
        assignedTo: bo,
        turns: [{ from: 'bot', texts: ['Goodbye'], ts: '2025-02-07T23:59:59Z' }],
      }),
      // No messages: its last activity is its creation.
      e: await insertConvo(s, { createdAt: '2025-02-04T00:00:00Z', firstAt: null, lastAt: null }),
    };
    const sorted = (values: string[]) => [...values].sort();
    const got = async (query: string) => sorted(ids(await list(s, query)));

    expect(await got('?origin=whatsapp')).toEqual([c.b]);
    expect(await got('?origin=gb-chat')).toEqual([c.d]);
    expect(await got('?state=requested_chat')).toEqual([c.c]);
    expect(await got('?state=ai-chatting')).toEqual(sorted([c.a, c.e]));
    expect(await got('?tag=vip')).toEqual(sorted([c.a, c.b]));
    expect(await got('?tag=vip&tag=refund')).toEqual([c.a]);
    expect(await got('?tag=nope')).toEqual([]);
    expect(await got(`?assignedTo=${ana}`)).toEqual([c.b]);
    expect(await got(`?assignedTo=${bo.toUpperCase()}`)).toEqual([c.d]);
    // Date range on last activity: ISO date (to includes its whole day), ISO date-time, unix ms.
    expect(await got('?from=2025-02-03&to=2025-02-05')).toEqual(sorted([c.b, c.c, c.e]));
    expect(await got('?from=2025-02-07')).toEqual([c.d]);
    expect(await got('?to=2025-02-01')).toEqual([c.a]);
    expect(await got(`?from=${Date.parse('2025-02-05T12:00:00Z')}`)).toEqual(sorted([c.c, c.d]));
    expect(await got('?from=2025-02-03T09:00:00.001Z&to=2025-02-05T11:59:59%2B00:00')).toEqual([c.e]);
    expect(await got('?to=2025-02-03T09:00:00Z')).toEqual(sorted([c.a, c.b]));
    // Text search (websearch syntax) over every message of the conversation.
    expect(await got('?q=sweater')).toEqual(sorted([c.a, c.c]));
    expect(await got('?q=REFUNDS')).toEqual([c.a]);
    expect(await got('?q=%22blue%20sweater%22')).toEqual([c.a]);
    expect(await got('?q=sweater%20-green')).toEqual([c.a]);
    expect(await got('?q=goodbye%20or%20order')).toEqual(sorted([c.b, c.d]));
    expect(await got('?q=nothing-like-this')).toEqual([]);
    // Filters combine, and paging keeps them.
    expect(await got('?q=sweater&origin=discord&tag=refund')).toEqual([c.c]);
    const p1 = await list(s, '?tag=vip&limit=1');
    const p2 = await list(s, `?tag=vip&limit=1&cursor=${p1.body.nextCursor}`);
    expect(sorted([...ids(p1), ...ids(p2)])).toEqual(sorted([c.a, c.b]));
    expect(p2.body.nextCursor).toBeNull();
  });

  it('gets a conversation with its turns in seq order (by convoId or userID), patches metadata, deletes it', async () => {
    const s = await setup();
    const id = await insertConvo(s, {
      userId: 'visitor-7',
      tags: ['new'],
      metadata: { name: 'Ada', browser: 'Firefox', custom: { plan: 'gold' } },
      firstAt: '2025-03-01T09:59:59Z',
      lastAt: '2025-03-01T10:00:02Z',
      turns: [
        { from: 'human', texts: ['hello'], ts: '2025-03-01T10:00:00Z', seq: 1 },
        { from: 'bot', texts: ['hi!', 'how can I help?'], ts: '2025-03-01T10:00:02Z', seq: 2 },
        { from: 'human', texts: ['launch'], type: 'launch', ts: '2025-03-01T09:59:59Z', seq: 0 },
      ],
    });
    const res = await call<{ metadata: Meta; turns: { from: string; ts: number; messages: Wire[] }[] }>('GET', `/agents/${s.agentId}/convos/${id}`, s.t.apiKey);
    expect(res.status).toBe(200);
    expect(res.body.data.metadata).toMatchObject({
      convoId: id,
      userID: 'visitor-7',
      name: 'Ada',
      browser: 'Firefox',
      custom: { plan: 'gold' },
      messagesNum: 4,
      interactionsNum: 2,
      tags: ['new'],
      chatState: 'ai-chatting',
      chatAssignedTo: null,
      firstMessageTS: Date.parse('2025-03-01T09:59:59Z'),
      lastMessageTS: Date.parse('2025-03-01T10:00:02Z'),
      convoTimeSeconds: 3,
    });
    expect(res.body.data.turns.map((t) => t.from)).toEqual(['human', 'human', 'bot']);
    expect(res.body.data.turns[0]!.messages[0]).toMatchObject({ type: 'launch' });
    expect(res.body.data.turns[2]).toMatchObject({ ts: Date.parse('2025-03-01T10:00:02Z'), messages: [{ item: { message: 'hi!' } }, { item: { message: 'how can I help?' } }] });
    const byUser = await call<{ metadata: Meta }>('GET', `/agents/${s.agentId}/convos/visitor-7`, s.t.apiKey);
    expect(byUser.body.data.metadata.convoId).toBe(id);

    const patched = await call('PATCH', `/agents/${s.agentId}/convos/${id}`, s.t.apiKey, {
      tags: ['vip', 'vip', 'billing'],
      metadata: { email: 'ada@example.com', phone: '+44 20 7946 0000', browser: null, origin: 'whatsapp', profilePic: 'https://x.example/p.png', score: 7 },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.data).toMatchObject({
      convoId: id,
      name: 'Ada',
      email: 'ada@example.com',
      phone: '+44 20 7946 0000',
      profilePic: 'https://x.example/p.png',
      score: 7,
      origin: 'whatsapp',
      tags: ['vip', 'billing'],
      messagesNum: 4,
    });
    expect(patched.body.data).not.toHaveProperty('browser');
    expect(patched.body.data['lastModified'] as number).toBeGreaterThan(Date.now() - 60_000);
    // Tags also as metadata.tags; the list sees the change.
    await call('PATCH', `/agents/${s.agentId}/convos/visitor-7`, s.t.apiKey, { metadata: { tags: ['done'] } });
    expect(ids(await list(s, '?tag=done&origin=whatsapp'))).toEqual([id]);

    const deleted = await call<null>('DELETE', `/agents/${s.agentId}/convos/${id}`, s.t.apiKey);
    expect(deleted.body).toMatchObject({ success: true, data: null });
    expect((await call('GET', `/agents/${s.agentId}/convos/${id}`, s.t.apiKey)).status).toBe(404);
    expect((await call('DELETE', `/agents/${s.agentId}/convos/${id}`, s.t.apiKey)).status).toBe(404);
    const { rows } = await db.query('SELECT 1 FROM agents.conversation_turns WHERE conversation_id = $1', [id]);
    expect(rows).toHaveLength(0);
  });

  it('patch refuses computed and state fields, bad values, and empty bodies with a 400 naming the field', async () => {
    const s = await setup();
    const id = await insertConvo(s);
    const bad: [unknown, string][] = [
      [{ metadata: { messagesNum: 3 } }, 'metadata.messagesNum'],
      [{ metadata: { convoId: 'x' } }, 'metadata.convoId'],
      [{ metadata: { lastMessageTS: 1 } }, 'metadata.lastMessageTS'],
      [{ metadata: { chatState: 'ended_chat' } }, 'metadata.chatState'],
      [{ metadata: { chatAssignedTo: randomUUID() } }, 'metadata.chatAssignedTo'],
      [{ metadata: { origin: 'fax' } }, 'metadata.origin'],
      [{ metadata: { name: 42 } }, 'metadata.name'],
      [{ metadata: { 'bad key!': 1 } }, 'metadata.bad key!'],
      [{ metadata: { tags: 'vip' } }, 'metadata.tags'],
      [{ tags: ['a'], metadata: { tags: ['b'] } }, 'metadata.tags'],
      [{ tags: 'vip' }, 'tags'],
      [{ tags: [''] }, 'tags'],
      [{ metadata: 'x' }, 'metadata'],
      [{}, 'metadata'],
      [{ chatState: 'ended_chat' }, 'chatState'],
    ];
    for (const [body, field] of bad) {
      const res = await call('PATCH', `/agents/${s.agentId}/convos/${id}`, s.t.apiKey, body);
      expect([body, res.status]).toEqual([body, 400]);
      expect(res.body.success).toBe(false);
      expect(res.body.details?.map((d) => d.field)).toContain(field);
    }
    const { rows } = await db.query<{ metadata: Wire; state: string }>('SELECT metadata, state FROM agents.conversations WHERE id = $1', [id]);
    expect(rows[0]).toEqual({ metadata: {}, state: 'ai-chatting' });
  });

  it('assign moves to human-chatting with the client, raises ticket_updated in the same transaction, 409 from ended_chat', async () => {
    const s = await setup();
    const ana = await newClient(s.t, 'Ana');
    const bo = await newClient(s.t, 'Bo');
    const ticket = randomUUID();
    const requested = await insertConvo(s, { userId: 'u-requested', state: 'requested_chat', ticketId: ticket });
    const res = await call('POST', `/agents/${s.agentId}/convos/${requested}/assign`, s.t.apiKey, { clientId: ana });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ convoId: requested, chatState: 'human-chatting', chatAssignedTo: ana });
    const events = async () =>
      (
        await db.query<{ aggregate_id: string; payload: Wire }>(
          `SELECT aggregate_id, payload FROM events.outbox WHERE tenant_id = $1 AND event_type = 'ticket_updated' ORDER BY created_at, id`,
          [s.t.tenantId],
        )
      ).rows;
    expect(await events()).toEqual([
      {
        aggregate_id: requested,
        payload: {
          agent_id: s.agentId,
          conversation_id: requested,
          user_id: 'u-requested',
          ticket_id: ticket,
          state: 'human-chatting',
          previous_state: 'requested_chat',
          assigned_to: ana,
        },
      },
    ]);
    // The same operator again changes nothing; another operator takes over (same ticket).
    await call('POST', `/agents/${s.agentId}/convos/${requested}/assign`, s.t.apiKey, { clientId: ana });
    expect(await events()).toHaveLength(1);
    const moved = await call('POST', `/agents/${s.agentId}/convos/u-requested/assign`, s.t.apiKey, { clientId: bo });
    expect(moved.body.data).toMatchObject({ chatState: 'human-chatting', chatAssignedTo: bo });
    expect((await events())[1]!.payload).toMatchObject({ ticket_id: ticket, previous_state: 'human-chatting', assigned_to: bo });

    // From ai-chatting without a ticket: a new ticket id is made and kept on the conversation.
    const fresh = await insertConvo(s, { state: 'ai-chatting' });
    expect((await call('POST', `/agents/${s.agentId}/convos/${fresh}/assign`, s.t.apiKey, { clientId: ana })).status).toBe(200);
    const { rows } = await db.query<{ ticket_id: string; state: string; assigned_client_id: string }>(
      'SELECT ticket_id, state, assigned_client_id FROM agents.conversations WHERE id = $1',
      [fresh],
    );
    expect(rows[0]).toMatchObject({ state: 'human-chatting', assigned_client_id: ana, ticket_id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect((await events())[2]!.payload).toMatchObject({ conversation_id: fresh, ticket_id: rows[0]!.ticket_id, previous_state: 'ai-chatting' });

    // ended_chat → human-chatting is illegal: 409, nothing changes, no event.
    const ended = await insertConvo(s, { state: 'ended_chat' });
    const conflict = await call('POST', `/agents/${s.agentId}/convos/${ended}/assign`, s.t.apiKey, { clientId: ana });
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ success: false, data: null });
    expect(conflict.body.message).toContain('ended_chat');
    expect(await events()).toHaveLength(3);

    // A client of another workspace, or none at all: 404; not a uuid / missing: 400.
    const other = await tenants.create();
    const foreign = await newClient(other, 'Eve');
    for (const clientId of [foreign, randomUUID()]) {
      const r = await call('POST', `/agents/${s.agentId}/convos/${fresh}/assign`, s.t.apiKey, { clientId });
      expect([clientId, r.status]).toEqual([clientId, 404]);
    }
    for (const body of [{ clientId: 'ana' }, {}, { clientId: ana, extra: 1 }]) {
      expect((await call('POST', `/agents/${s.agentId}/convos/${fresh}/assign`, s.t.apiKey, body)).status).toBe(400);
    }
    expect(await events()).toHaveLength(3);
  });

  it('exports CSV (RFC 4180 quoting, formula guard, transcript) and JSON, streamed as an attachment', async () => {
    const s = await setup();
    const op = await newClient(s.t);
    const tricky = await insertConvo(s, {
      userId: '=HYPERLINK("http://evil")',
      origin: 'whatsapp',
      state: 'human-chatting',
      assignedTo: op,
      tags: ['vip', 'a,b'],
      metadata: { name: 'Doe, "Jane"', email: '@jane@example.com', phone: '+1 555 0100' },
      createdAt: '2025-04-01T08:00:00Z',
      turns: [
        { from: 'human', texts: ['Hi, I need\nhelp'], ts: '2025-04-01T08:00:00Z' },
        { from: 'bot', texts: ['Sure "friend"'], ts: '2025-04-01T08:00:05Z' },
        { from: 'bot', texts: ['choose'], type: 'choice', ts: '2025-04-01T08:00:06Z' },
        { from: 'bot', texts: ['An operator here'], operatorId: op, ts: '2025-04-01T08:01:40Z' },
      ],
    });
    const plain = await insertConvo(s, {
      userId: 'plain-user',
      metadata: { name: '-minus' },
      createdAt: '2025-04-02T08:00:00Z',
      turns: [{ from: 'human', texts: ['=1+1'], ts: '2025-04-02T08:00:00Z' }],
    });
    const empty = await insertConvo(s, { userId: 'empty', createdAt: '2025-04-03T08:00:00Z', firstAt: null, lastAt: null });

    const csv = await request<string>('GET', `${api.baseUrl}/v3/agents/${s.agentId}/convos/export?format=csv`, { key: s.t.apiKey });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toMatch(new RegExp(`^attachment; filename="convos-${s.agentId}-\\d{4}-\\d{2}-\\d{2}\\.csv"$`));
    const rows = parseCsv(csv.text);
    expect(rows[0]).toEqual([
      'id', 'userID', 'origin', 'chatState', 'chatAssignedTo', 'tags', 'messagesNum', 'interactionsNum', 'sessionsNum',
      'firstMessageAt', 'lastMessageAt', 'convoTimeSeconds', 'name', 'email', 'phone', 'transcript',
    ]);
    expect(rows).toHaveLength(4);
    const byId = new Map(rows.slice(1).map((r) => [r[0], Object.fromEntries(rows[0]!.map((h, i) => [h, r[i]]))]));
    expect([...byId.keys()]).toEqual([tricky, plain, empty]); // oldest first
    expect(byId.get(tricky)).toEqual({
      id: tricky,
      userID: `'=HYPERLINK("http://evil")`,
      origin: 'whatsapp',
      chatState: 'human-chatting',
      chatAssignedTo: op,
      tags: 'vip; a,b',
      messagesNum: '4',
      interactionsNum: '1',
      sessionsNum: '1',
      firstMessageAt: '2025-04-01T08:00:00.000Z',
      lastMessageAt: '2025-04-01T08:01:40.000Z',
      convoTimeSeconds: '100',
      name: 'Doe, "Jane"',
      email: "'@jane@example.com",
      phone: "'+1 555 0100",
      transcript: 'human: Hi, I need\nhelp\nbot: Sure "friend"\noperator: An operator here',
    });
    expect(byId.get(plain)).toMatchObject({ name: "'-minus", transcript: 'human: =1+1', email: '', phone: '', chatAssignedTo: '' });
    expect(byId.get(empty)).toMatchObject({ messagesNum: '0', firstMessageAt: '', lastMessageAt: '', convoTimeSeconds: '0', transcript: '' });
    // The raw text really is quoted the RFC 4180 way.
    expect(csv.text).toContain('"Doe, ""Jane"""');
    expect(csv.text.endsWith('\r\n')).toBe(true);

    const json = await request<{ metadata: Meta; turns: { from: string; messages: Wire[] }[] }[]>(
      'GET',
      `${api.baseUrl}/v3/agents/${s.agentId}/convos/export?format=json&from=2025-04-01&to=2025-04-02`,
      { key: s.t.apiKey },
    );
    expect(json.status).toBe(200);
    expect(json.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(json.headers.get('content-disposition')).toMatch(/^attachment; filename="convos-.*\.json"$/);
    expect(json.body.map((c) => c.metadata.convoId)).toEqual([tricky, plain]);
    expect(json.body[0]!.metadata).toMatchObject({ userID: '=HYPERLINK("http://evil")', name: 'Doe, "Jane"', chatAssignedTo: op });
    expect(json.body[0]!.turns.map((t) => t.from)).toEqual(['human', 'bot', 'bot', 'bot']);
    expect(json.body[0]!.turns[0]!.messages[0]).toMatchObject({ item: { message: 'Hi, I need\nhelp' } });

    // Filters apply; an empty export is a valid empty document; json is the default.
    const none = await request<unknown[]>('GET', `${api.baseUrl}/v3/agents/${s.agentId}/convos/export?origin=discord`, { key: s.t.apiKey });
    expect(none.body).toEqual([]);
    const noneCsv = await request('GET', `${api.baseUrl}/v3/agents/${s.agentId}/convos/export?format=csv&q=nomatch`, { key: s.t.apiKey });
    expect(parseCsv(noneCsv.text)).toHaveLength(1);
  });

  it('exports thousands of conversations in keyset batches: every one once, oldest first, in both formats', async () => {
    const s = await setup();
    // 1,201 conversations (pairs share created_at); every 100th is long, so the message budget cuts batches short.
    await db.query(
      `INSERT INTO agents.conversations (tenant_id, agent_id, user_id, created_at, updated_at, messages_num, first_message_at, last_message_at)
       SELECT $1, $2, 'bulk-' || g, timestamptz '2025-05-01' + (g / 2) * interval '1 second', now(),
              CASE WHEN g % 100 = 0 THEN 15000 ELSE 2 END, timestamptz '2025-05-01', timestamptz '2025-05-01'
       FROM generate_series(0, 1200) AS g`,
      [s.t.tenantId, s.agentId],
    );
    await db.query(
      `INSERT INTO agents.conversation_turns (tenant_id, agent_id, conversation_id, seq, sender, messages, ts)
       SELECT tenant_id, agent_id, id, 0, 'human',
              jsonb_build_array(jsonb_build_object('mid', 'a', 'from', 'human', 'type', 'text', 'item', jsonb_build_object('message', 'hello ' || user_id), 'delay', 0, 'ts', 0)),
              created_at
       FROM agents.conversations WHERE agent_id = $1`,
      [s.agentId],
    );
    const { rows } = await db.query<{ id: string }>('SELECT id FROM agents.conversations WHERE agent_id = $1 ORDER BY created_at, id', [s.agentId]);
    const expected = rows.map((r) => r.id);

    const json = await request<{ metadata: Meta; turns: { messages: { item: { message: string } }[] }[] }[]>(
      'GET',
      `${api.baseUrl}/v3/agents/${s.agentId}/convos/export?format=json`,
      { key: s.t.apiKey },
    );
    expect(json.status).toBe(200);
    expect(json.body.map((c) => c.metadata.convoId)).toEqual(expected);
    expect(json.body.every((c) => c.turns[0]!.messages[0]!.item.message === `hello ${c.metadata.userID}`)).toBe(true);

    const csv = await request('GET', `${api.baseUrl}/v3/agents/${s.agentId}/convos/export?format=csv`, { key: s.t.apiKey });
    const parsed = parseCsv(csv.text);
    expect(parsed.slice(1).map((r) => r[0])).toEqual(expected);
    expect(parsed.find((r) => r[1] === 'bulk-0')![15]).toBe('human: hello bulk-0');
  });

  it("another tenant's agent or conversation is 404 on every route", async () => {
    const owner = await setup();
    const convo = await insertConvo(owner, { userId: 'owned-user' });
    const intruder = await setup();
    const client = await newClient(intruder.t);
    const routes = (agentId: string, convoId: string): [string, string, unknown?][] => [
      ['GET', `/agents/${agentId}/convos`],
      ['GET', `/agents/${agentId}/convos/export?format=csv`],
      ['GET', `/agents/${agentId}/convos/${convoId}`],
      ['PATCH', `/agents/${agentId}/convos/${convoId}`, { tags: ['x'] }],
      ['POST', `/agents/${agentId}/convos/${convoId}/assign`, { clientId: client }],
      ['DELETE', `/agents/${agentId}/convos/${convoId}`],
    ];
    // The owner's agent with the intruder's workspace key.
    for (const [method, path, body] of routes(owner.agentId, convo)) {
      const res = await call(method, path, intruder.t.apiKey, body);
      expect([method, path, res.status, res.body.success]).toEqual([method, path, 404, false]);
    }
    // The intruder's own agent, with the owner's conversation id or userID.
    for (const ref of [convo, 'owned-user']) {
      for (const [method, path, body] of routes(intruder.agentId, ref).slice(2)) {
        const res = await call(method, path, intruder.t.apiKey, body);
        expect([method, path, res.status]).toEqual([method, path, 404]);
      }
    }
    // Unknown and malformed agent ids too.
    for (const agentId of [randomUUID(), 'not-a-uuid']) {
      for (const [method, path, body] of routes(agentId, convo)) {
        expect((await call(method, path, owner.t.apiKey, body)).status).toBe(404);
      }
    }
    const { rows } = await db.query<{ tags: string[]; state: string }>('SELECT tags, state FROM agents.conversations WHERE id = $1', [convo]);
    expect(rows[0]).toEqual({ tags: [], state: 'ai-chatting' });
    expect((await call('GET', `/agents/${owner.agentId}/convos`, '')).status).toBe(401);
  });

  it("an agent's SECRET_API_KEY works on its own conversations only (404 for the workspace's other agents)", async () => {
    const s = await setup();
    const sibling = await newAgent(s.t, 'Sibling');
    const mine = await insertConvo(s, { userId: 'mine' });
    const theirs = await insertConvo({ t: s.t, agentId: sibling.agentId }, { userId: 'theirs' });
    const client = await newClient(s.t);

    expect(ids(await list(s, '', s.agentKey))).toEqual([mine]);
    expect((await call('GET', `/agents/${s.agentId}/convos/${mine}`, s.agentKey)).status).toBe(200);
    expect((await call('PATCH', `/agents/${s.agentId}/convos/${mine}`, s.agentKey, { tags: ['k'] })).status).toBe(200);
    expect((await call('POST', `/agents/${s.agentId}/convos/${mine}/assign`, s.agentKey, { clientId: client })).status).toBe(200);
    expect((await request('GET', `${api.baseUrl}/v3/agents/${s.agentId}/convos/export`, { key: s.agentKey })).status).toBe(200);

    for (const [method, path, body] of [
      ['GET', `/agents/${sibling.agentId}/convos`],
      ['GET', `/agents/${sibling.agentId}/convos/export`],
      ['GET', `/agents/${sibling.agentId}/convos/${theirs}`],
      ['PATCH', `/agents/${sibling.agentId}/convos/${theirs}`, { tags: ['x'] }],
      ['POST', `/agents/${sibling.agentId}/convos/${theirs}/assign`, { clientId: client }],
      ['DELETE', `/agents/${sibling.agentId}/convos/${theirs}`],
      // The sibling's conversation through the key's own agent is not found either.
      ['GET', `/agents/${s.agentId}/convos/${theirs}`],
      ['DELETE', `/agents/${s.agentId}/convos/${theirs}`],
    ] as [string, string, unknown?][]) {
      const res = await call(method, path, s.agentKey, body);
      expect([method, path, res.status]).toEqual([method, path, 404]);
    }
    expect((await call('DELETE', `/agents/${s.agentId}/convos/${mine}`, s.agentKey)).status).toBe(200);
    // The workspace key still sees the sibling's conversation.
    expect((await call('GET', `/agents/${sibling.agentId}/convos/${theirs}`, s.t.apiKey)).status).toBe(200);
  });

  it('reads what the Chat Interact routes write: list, get, search, assign, operator reply, export, analytics agree', async () => {
    const s = await setup();
    const ana = await newClient(s.t, 'Ana');
    const interact = (body: unknown, suffix = '') => call<never>('POST', `/agents/${s.agentId}/interact/live-user${suffix}`, s.t.apiKey, body);
    expect((await interact({ action: { type: 'launch' }, origin: 'whatsapp', transcriptMetadata: { name: 'Maria' } })).status).toBe(200);
    expect((await interact({ action: { type: 'text', payload: 'I want to talk to a human please' } })).status).toBe(200);

    const listed = await list(s, '?state=requested_chat&origin=whatsapp&q=human%20please');
    expect(ids(listed)).toHaveLength(1);
    const convoId = listed.body.data[0]!.convoId;
    expect(listed.body.data[0]).toMatchObject({ userID: 'live-user', name: 'Maria', chatState: 'requested_chat', chatAssignedTo: null });

    const assigned = await call('POST', `/agents/${s.agentId}/convos/live-user/assign`, s.t.apiKey, { clientId: ana });
    expect(assigned.body.data).toMatchObject({ convoId, chatState: 'human-chatting', chatAssignedTo: ana });
    expect((await interact({ clientId: ana, message: 'Hi, Ana here.' }, '/operator')).status).toBe(200);

    const state = await call<never>('GET', `/agents/${s.agentId}/interact/live-user/state`, s.t.apiKey);
    const got = await call<{ metadata: Meta; turns: { from: string; messages: { mid: string }[] }[] }>('GET', `/agents/${s.agentId}/convos/${convoId}`, s.t.apiKey);
    const stateTurns = (state.body as unknown as { turns: { from: string; messages: { mid: string }[] }[] }).turns;
    expect(got.body.data.turns.map((t) => [t.from, t.messages.map((m) => m.mid)])).toEqual(stateTurns.map((t) => [t.from, t.messages.map((m) => m.mid)]));
    expect(got.body.data.metadata).toMatchObject({ chatState: 'human-chatting', chatAssignedTo: ana, interactionsNum: 2 });

    const csv = parseCsv((await request('GET', `${api.baseUrl}/v3/agents/${s.agentId}/convos/export?format=csv`, { key: s.t.apiKey })).text);
    expect(csv[1]![15]).toContain('human: I want to talk to a human please');
    expect(csv[1]![15]).toMatch(/\noperator: Hi, Ana here\.$/);

    // Yesterday and today (UTC), so a run across midnight still holds everything.
    const day = (offset: number) => new Date(Date.now() + offset).toISOString().slice(0, 10);
    const analytics = await call<{ totals: Wire & { byOrigin: Record<string, Wire> } }>(
      'GET',
      `/agents/${s.agentId}/analytics?start=${day(-86_400_000)}&end=${day(0)}`,
      s.t.apiKey,
    );
    expect(analytics.body.data.totals).toMatchObject({
      conversations: 1,
      interactions: 2,
      humanMessages: 2,
      operatorMessages: 1,
      uniqueUsers: 1,
      returningUsers: 0,
      handoffs: 1,
      handoffRate: 1,
      avgHumanFirstResponseSeconds: expect.any(Number),
    });
    expect(analytics.body.data.totals.byOrigin['whatsapp']).toMatchObject({ conversations: 1, operatorMessages: 1 });
  });

  it('documents every conversations and analytics route in the OpenAPI document', async () => {
    const doc = await request<{ paths: Record<string, Record<string, { summary?: string; parameters?: { name: string }[] }>> }>('GET', `${api.baseUrl}/docs-json`);
    const paths = doc.body.paths;
    expect(Object.keys(paths['/v3/agents/{agentId}/convos']!)).toEqual(['get']);
    expect(Object.keys(paths['/v3/agents/{agentId}/convos/export']!)).toEqual(['get']);
    expect(Object.keys(paths['/v3/agents/{agentId}/convos/{convoId}']!).sort()).toEqual(['delete', 'get', 'patch']);
    expect(Object.keys(paths['/v3/agents/{agentId}/convos/{convoId}/assign']!)).toEqual(['post']);
    expect(Object.keys(paths['/v3/agents/{agentId}/analytics']!)).toEqual(['get']);
    const listParams = paths['/v3/agents/{agentId}/convos']!['get']!.parameters!.map((p) => p.name).sort();
    expect(listParams).toEqual(['agentId', 'assignedTo', 'cursor', 'from', 'limit', 'origin', 'q', 'state', 'tag', 'to']);
    for (const [path, ops] of Object.entries(paths)) {
      if (!/\/(convos|analytics)/.test(path)) continue;
      for (const [method, op] of Object.entries(ops)) expect([path, method, typeof op.summary]).toEqual([path, method, 'string']);
    }
  });

  it('bad query parameters are 400s that name the parameter', async () => {
    const s = await setup();
    const cases: [string, string][] = [
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=ten', 'limit'],
      ['limit=1.5', 'limit'],
      ['origin=fax', 'origin'],
      ['state=sleeping', 'state'],
      ['assignedTo=ana', 'assignedTo'],
      ['from=yesterday', 'from'],
      ['to=2025-13-01', 'to'],
      ['from=2025-02-30', 'from'],
      ['from=2025-03-02&to=2025-03-01', 'to'],
      ['cursor=garbage', 'cursor'],
      [`cursor=${Buffer.from('["2025-01-01T00:00:00.000000Z","x"]').toString('base64url')}`, 'cursor'],
      ['cursor=', 'cursor'],
      [`q=${'x'.repeat(201)}`, 'q'],
      ['q=', 'q'],
      ['tag=', 'tag'],
      ['sort=asc', 'sort'],
    ];
    for (const [query, field] of cases) {
      const res = await list(s, `?${query}`);
      expect([query, res.status]).toEqual([query, 400]);
      expect(res.body.success).toBe(false);
      expect(res.body.details?.map((d) => d.field)).toContain(field);
    }
    for (const query of ['format=xml', 'from=soon', 'from=2025-02-02&to=2025-02-01', 'limit=5']) {
      const res = await request<Env<null>>('GET', `${api.baseUrl}/v3/agents/${s.agentId}/convos/export?${query}`, { key: s.t.apiKey });
      expect([query, res.status, res.headers.get('content-type')]).toEqual([query, 400, expect.stringContaining('application/json')]);
    }
    // An unknown conversation id or userID is a 404, not an error.
    for (const ref of [randomUUID(), 'nobody', 'x'.repeat(99)]) {
      expect((await call('GET', `/agents/${s.agentId}/convos/${ref}`, s.t.apiKey)).status).toBe(404);
    }
  });
});
