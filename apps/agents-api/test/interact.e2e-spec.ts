import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { type RunningService, type TestTenant, TestTenants, request, startService } from '@chatbot/testing';
import { agentsApiDefinition } from '../src/app.definition';

interface Message {
  mid: string;
  from: 'human' | 'bot';
  type: string;
  item: Record<string, unknown> | null;
  delay: number;
  ts: number;
}
interface Turn {
  from: 'human' | 'bot';
  messages: Message[];
  ts: number;
}
interface InteractRes {
  platformName: string;
  success: boolean;
  message: string;
  chatState: string;
  actionMessages: Message[];
  turns: Turn[];
  appError: string | null;
  agentData: Record<string, unknown>;
  origin: string;
  userID: string;
  agentID: string;
  metadata: Record<string, unknown>;
  statusCode?: number;
}

const HOURS_DOC =
  '# Opening hours\n\nOur shop in Lisbon is open Monday to Friday from 9:00 to 18:00. On Saturdays we open from 10:00 to 14:00. ' +
  'We are closed on Sundays and public holidays.\n\n# Returns\n\nYou can return any item within 30 days of purchase with the receipt. ' +
  'Refunds are paid to the original card within 5 working days.';

describe('agents-api: Chat Interact and Configure State (real Postgres + Redis)', () => {
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
    await db?.end();
    await api?.close();
    await tenants?.close();
  });

  const call = <T = InteractRes>(method: string, path: string, key: string, body?: unknown) =>
    request<T>(method, `${api.baseUrl}/v3${path}`, { key, ...(body !== undefined ? { body } : {}) });
  const interact = (t: { apiKey: string }, agentId: string, userId: string, body: unknown) =>
    call('POST', `/agents/${agentId}/interact/${encodeURIComponent(userId)}`, t.apiKey, body);
  const text = (t: { apiKey: string }, agentId: string, userId: string, payload: string) =>
    interact(t, agentId, userId, { action: { type: 'text', payload } });
  const state = (t: { apiKey: string }, agentId: string, userId: string, body: unknown) =>
    call('POST', `/agents/${agentId}/interact/${encodeURIComponent(userId)}/state`, t.apiKey, body);

  async function agentWithKb(t: TestTenant, settings: Record<string, unknown> = {}): Promise<{ id: string; key: string }> {
    const created = await call<{ data: { ID: string; SECRET_API_KEY: string } }>('POST', '/agents', t.apiKey, {
      agent: { title: 'Shop bot', vg_initMessages: ['Hello!', 'Ask me about the shop.'], ...settings },
    });
    expect(created.status).toBe(200);
    const kb = await call('POST', `/agents/${created.body.data.ID}/kb`, t.apiKey, { name: 'Shop FAQ', content: HOURS_DOC, tags: ['faq'] });
    expect(kb.status).toBeLessThan(300);
    return { id: created.body.data.ID, key: created.body.data.SECRET_API_KEY };
  }

  async function outbox(tenantId: string, type: string): Promise<Record<string, unknown>[]> {
    const rows = await db.query<{ payload: Record<string, unknown> }>(
      `SELECT payload FROM events.outbox WHERE tenant_id = $1 AND event_type = $2 ORDER BY created_at, id`,
      [tenantId, type],
    );
    return rows.rows.map((r) => r.payload);
  }

  async function client(t: TestTenant, name: string): Promise<string> {
    const res = await request<{ data: { ID: string } }>('POST', `${api.baseUrl}/v3/workspaces/${t.tenantId}/clients`, {
      key: t.apiKey,
      body: { client: { name, email: `${name.toLowerCase()}-${randomUUID().slice(0, 6)}@example.com` } },
    });
    expect(res.status).toBe(200);
    return res.body.data.ID;
  }

  it('launch plays the initial messages and starts the conversation (response in the TIXAE interact shape)', async () => {
    const t = await tenants.create();
    const agent = await agentWithKb(t);
    const res = await interact(t, agent.id, 'user-1', { action: { type: 'launch' }, origin: 'web-chat', transcriptMetadata: { name: 'Maria' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      platformName: 'vg',
      success: true,
      chatState: 'ai-chatting',
      appError: null,
      origin: 'web-chat',
      userID: 'user-1',
      agentID: agent.id,
      agentData: { ID: agent.id, title: 'Shop bot' },
    });
    expect(res.body.agentData).not.toHaveProperty('SECRET_API_KEY');
    expect(res.body.actionMessages.map((m) => m.item?.['message'])).toEqual(['Hello!', 'Ask me about the shop.']);
    expect(res.body.turns.map((tn) => tn.from)).toEqual(['human', 'bot']);
    expect(res.body.turns[0]!.messages[0]).toMatchObject({ from: 'human', type: 'launch' });
    for (const m of res.body.turns.flatMap((tn) => tn.messages)) {
      expect(Object.keys(m).sort()).toEqual(['delay', 'from', 'item', 'mid', 'ts', 'type']);
      expect(m).toMatchObject({ mid: expect.any(String), from: expect.any(String), type: expect.any(String), delay: expect.any(Number), ts: expect.any(Number) });
    }
    expect(res.body.metadata).toMatchObject({ name: 'Maria', userID: 'user-1', messagesNum: 3, interactionsNum: 1, sessionsNum: 1, chatState: 'ai-chatting' });

    const started = await outbox(t.tenantId, 'conversation_started');
    expect(started).toEqual([{ agent_id: agent.id, conversation_id: res.body.metadata['convoId'], user_id: 'user-1', origin: 'web-chat' }]);
    expect(await outbox(t.tenantId, 'message_sent')).toHaveLength(3);

    // A second launch is a new session of the same conversation.
    const again = await interact(t, agent.id, 'user-1', { action: { type: 'launch' } });
    expect(again.body.metadata).toMatchObject({ convoId: res.body.metadata['convoId'], sessionsNum: 2, interactionsNum: 2 });
    expect(await outbox(t.tenantId, 'conversation_started')).toHaveLength(1);
  });

  it('text is answered from the knowledge base with sources; an unknown question is said plainly', async () => {
    const t = await tenants.create();
    const agent = await agentWithKb(t);
    const res = await text(t, agent.id, 'u', 'When is the shop open on Saturday?');
    expect(res.status).toBe(200);
    expect(res.body.actionMessages).toHaveLength(1);
    const reply = res.body.actionMessages[0]!;
    expect(reply).toMatchObject({ from: 'bot', type: 'text' });
    expect(String(reply.item?.['message'])).toMatch(/10:00 to 14:00/);
    expect(reply.item?.['sources']).toEqual(expect.arrayContaining([expect.objectContaining({ title: 'Shop FAQ' })]));
    expect(res.body.turns.map((tn) => tn.from)).toEqual(['human', 'bot']);
    expect(res.body.metadata).toMatchObject({ messagesNum: 2, interactionsNum: 1 });

    const unknown = await text(t, agent.id, 'u', 'Do you sell submarine periscopes?');
    const answer = unknown.body.actionMessages[0]!;
    expect(answer.item?.['sources']).toEqual([]);
    expect(String(answer.item?.['message'])).toMatch(/don.t know|not sure|no information|cannot find|couldn.t find/i);
  });

  it('handoff: a request for a human opens a ticket; the bot is silent while requested and human-chatting; operator replies; back to AI; end', async () => {
    const t = await tenants.create();
    const agent = await agentWithKb(t);
    const ana = await client(t, 'Ana');
    await interact(t, agent.id, 'h', { action: { type: 'launch' } });

    const ask = await text(t, agent.id, 'h', 'I want to talk to a human please');
    expect(ask.body.chatState).toBe('requested_chat');
    expect(ask.body.actionMessages).toHaveLength(1);
    const [ticket] = await outbox(t.tenantId, 'ticket_created');
    expect(ticket).toMatchObject({ state: 'requested_chat', ticket_id: expect.any(String), user_id: 'h' });
    expect(await outbox(t.tenantId, 'intent_detected')).toEqual([expect.objectContaining({ intent: 'handoff_request' })]);

    const waiting = await text(t, agent.id, 'h', 'Hello? When are you open?');
    expect(waiting.body.actionMessages).toEqual([]);
    expect(waiting.body.turns.at(-1)).toMatchObject({ from: 'human' });

    // Entering human-chatting needs an operator.
    const noOperator = await state(t, agent.id, 'h', { metadata: { chatState: 'human-chatting' } });
    expect(noOperator.status).toBe(400);
    const assigned = await state(t, agent.id, 'h', { metadata: { chatState: 'human-chatting', chatAssignedTo: ana } });
    expect(assigned.status).toBe(200);
    expect(assigned.body).toMatchObject({ chatState: 'human-chatting', metadata: { chatAssignedTo: ana } });
    expect(await outbox(t.tenantId, 'ticket_updated')).toEqual([
      expect.objectContaining({ ticket_id: ticket!['ticket_id'], state: 'human-chatting', previous_state: 'requested_chat', assigned_to: ana }),
    ]);

    const silent = await text(t, agent.id, 'h', 'Are you there?');
    expect(silent.status).toBe(200);
    expect(silent.body.actionMessages).toEqual([]);
    const sent = await outbox(t.tenantId, 'message_sent');
    expect(sent.at(-1)).toMatchObject({ from: 'human', text: 'Are you there?' });

    const wrongOperator = await call('POST', `/agents/${agent.id}/interact/h/operator`, t.apiKey, { clientId: await client(t, 'Bob'), message: 'hi' });
    expect(wrongOperator.status).toBe(409);
    const op = await call('POST', `/agents/${agent.id}/interact/h/operator`, t.apiKey, { clientId: ana, message: 'Hi, Ana here.' });
    expect(op.status).toBe(200);
    expect(op.body.actionMessages[0]).toMatchObject({ from: 'bot', item: { message: 'Hi, Ana here.', operator: ana } });
    expect((await outbox(t.tenantId, 'message_sent')).at(-1)).toMatchObject({ from: 'operator', text: 'Hi, Ana here.' });

    const back = await state(t, agent.id, 'h', { metadata: { chatState: 'ai-chatting' } });
    expect(back.body).toMatchObject({ chatState: 'ai-chatting', metadata: { chatAssignedTo: null } });
    const answered = await text(t, agent.id, 'h', 'What is your returns policy?');
    expect(String(answered.body.actionMessages[0]?.item?.['message'])).toMatch(/30 days/);

    const ended = await interact(t, agent.id, 'h', { action: { type: 'end' } });
    expect(ended.body.chatState).toBe('ended_chat');
    expect(await outbox(t.tenantId, 'conversation_ended')).toEqual([expect.objectContaining({ user_id: 'h', reason: 'user_ended', duration_seconds: expect.any(Number) })]);

    // Illegal: from ended_chat straight to human-chatting.
    const illegal = await state(t, agent.id, 'h', { metadata: { chatState: 'human-chatting', chatAssignedTo: ana } });
    expect(illegal.status).toBe(409);
    expect(illegal.body).toMatchObject({ success: false, statusCode: 409, message: expect.stringMatching(/ended_chat → human-chatting/) });

    // A new message after the end starts a new session in ai-chatting.
    const next = await text(t, agent.id, 'h', 'Hi again');
    expect(next.body.chatState).toBe('ai-chatting');
    expect(next.body.metadata['sessionsNum']).toBe(2);
  });

  it('captures leads (email, phone) into the metadata and raises lead_captured', async () => {
    const t = await tenants.create();
    const agent = await agentWithKb(t);
    const res = await text(t, agent.id, 'lead', 'Please call me back, my email is jo.doe@example.org and my phone is +1 415 555 0100');
    expect(res.body.metadata).toMatchObject({ email: 'jo.doe@example.org', phone: expect.stringMatching(/^\+?1?4155550100$/), leadId: expect.any(String) });
    expect(await outbox(t.tenantId, 'lead_captured')).toEqual([
      expect.objectContaining({ lead_id: res.body.metadata['leadId'], email: 'jo.doe@example.org', user_id: 'lead' }),
    ]);
  });

  it('Configure State: turns replace the history, delete removes message ids, metadata patches; GET state', async () => {
    const t = await tenants.create();
    const agent = await agentWithKb(t);
    const turns = [
      { from: 'human', ts: 1_700_000_000_000, messages: [{ mid: 'm1', type: 'text', item: { message: 'hi' } }] },
      { from: 'bot', ts: 1_700_000_005_000, messages: [{ mid: 'm2', type: 'text', item: { message: 'hello' } }, { mid: 'm3', type: 'choice', item: { buttons: ['a', 'b'] } }] },
      { from: 'human', ts: 1_700_000_065_000, messages: [{ mid: 'm4', type: 'text', item: { message: 'bye' } }] },
    ];
    const replaced = await state(t, agent.id, 'st', { turns, metadata: { name: 'Lee', email: 'lee@example.com', tags: ['vip', 'vip', 'eu'], messagesNum: 999 } });
    expect(replaced.status).toBe(200);
    expect(replaced.body.turns).toHaveLength(3);
    expect(replaced.body.turns[1]!.messages.map((m) => m.mid)).toEqual(['m2', 'm3']);
    expect(replaced.body.metadata).toMatchObject({
      name: 'Lee', email: 'lee@example.com', tags: ['vip', 'eu'], messagesNum: 4, interactionsNum: 2,
      firstMessageTS: 1_700_000_000_000, lastMessageTS: 1_700_000_065_000, convoTimeSeconds: 65,
    });

    const deleted = await state(t, agent.id, 'st', { delete: ['m3', 'm4', 'nope'] });
    expect(deleted.body.message).toMatch(/2 of 3/);
    expect(deleted.body.turns.map((tn) => tn.messages.map((m) => m.mid))).toEqual([['m1'], ['m2']]);
    expect(deleted.body.metadata).toMatchObject({ messagesNum: 2, lastMessageTS: 1_700_000_005_000 });
    const asObject = await state(t, agent.id, 'st', { delete: { ids: ['m2'] } });
    expect(asObject.body.turns).toHaveLength(1);

    const got = await call('GET', `/agents/${agent.id}/interact/st/state`, t.apiKey);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ chatState: 'ai-chatting', userID: 'st', metadata: { name: 'Lee', messagesNum: 1 } });
    expect((await call('GET', `/agents/${agent.id}/interact/nobody/state`, t.apiKey)).status).toBe(404);
  });

  it('parallel interacts on one conversation never lose a turn', async () => {
    const t = await tenants.create();
    const agent = await agentWithKb(t);
    const n = 16;
    const results = await Promise.all(Array.from({ length: n }, (_, i) => text(t, agent.id, 'busy', `question number ${i} about opening hours`)));
    expect(results.map((r) => r.status)).toEqual(Array(n).fill(200));
    const final = await call('GET', `/agents/${agent.id}/interact/busy/state`, t.apiKey);
    const humanTexts = final.body.turns.filter((tn) => tn.from === 'human').map((tn) => String(tn.messages[0]?.item?.['message']));
    expect(humanTexts.sort()).toEqual(Array.from({ length: n }, (_, i) => `question number ${i} about opening hours`).sort());
    expect(final.body.turns.filter((tn) => tn.from === 'bot')).toHaveLength(n);
    expect(final.body.metadata).toMatchObject({ messagesNum: 2 * n, interactionsNum: n });
    const seqs = await db.query<{ seq: number }>(
      `SELECT seq FROM agents.conversation_turns WHERE conversation_id = $1 ORDER BY seq`,
      [final.body.metadata['convoId']],
    );
    expect(seqs.rows.map((r) => r.seq)).toEqual(Array.from({ length: 2 * n }, (_, i) => i));
  });

  it('?stream=true answers as Server-Sent Events: deltas, then the full response', async () => {
    const t = await tenants.create();
    const agent = await agentWithKb(t);
    const res = await fetch(`${api.baseUrl}/v3/agents/${agent.id}/interact/sse?stream=true`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ action: { type: 'text', payload: 'How long do refunds take?' } }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const raw = await res.text();
    const events = raw.split('\n\n').filter(Boolean).map((block) => {
      const lines = block.split('\n');
      return { event: lines.find((l) => l.startsWith('event: '))!.slice(7), data: JSON.parse(lines.find((l) => l.startsWith('data: '))!.slice(6)) as unknown };
    });
    const deltas = events.filter((e) => e.event === 'delta').map((e) => (e.data as { text: string }).text);
    expect(deltas.length).toBeGreaterThan(1);
    const done = events.at(-1)!;
    expect(done.event).toBe('done');
    const body = done.data as InteractRes;
    expect(deltas.join('')).toBe(body.actionMessages[0]!.item!['message']);
    expect(String(body.actionMessages[0]!.item!['message'])).toMatch(/5 working days/);

    // Errors before the first event are ordinary HTTP errors.
    const bad = await fetch(`${api.baseUrl}/v3/agents/${randomUUID()}/interact/sse?stream=true`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ action: { type: 'text', payload: 'hi' } }),
    });
    expect(bad.status).toBe(404);
  });

  it("an agent key is confined to its agent; another tenant's agent is 404 on every route", async () => {
    const t = await tenants.create();
    const other = await tenants.create();
    const a1 = await agentWithKb(t);
    const a2 = await agentWithKb(t);
    await interact(t, a1.id, 'x', { action: { type: 'launch' } });
    await interact(t, a2.id, 'x', { action: { type: 'launch' } });
    expect((await interact({ apiKey: a1.key }, a1.id, 'x', { action: { type: 'launch' } })).status).toBe(200);
    const routes = (key: string, agentId: string) => [
      () => interact({ apiKey: key }, agentId, 'x', { action: { type: 'launch' } }),
      () => call('GET', `/agents/${agentId}/interact/x/state`, key),
      () => call('POST', `/agents/${agentId}/interact/x/state`, key, { metadata: { name: 'z' } }),
      () => call('POST', `/agents/${agentId}/interact/x/operator`, key, { clientId: randomUUID(), message: 'hi' }),
    ];
    for (const route of [...routes(a1.key, a2.id), ...routes(other.apiKey, a1.id), ...routes(t.apiKey, randomUUID())]) {
      const res = await route();
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ success: false, statusCode: 404 });
    }
    expect((await interact(t, a1.id, 'x', { action: { type: 'launch' } })).status).toBe(200); // still fine for the owner
  });

  it('bad input is a 400 naming the problem on every route', async () => {
    const t = await tenants.create();
    const agent = await agentWithKb(t);
    const cases: [string, string, unknown, RegExp][] = [
      ['POST', 'u', {}, /action/],
      ['POST', 'u', { action: { type: 'shout' } }, /action.type must be one of/],
      ['POST', 'u', { action: { type: 'text' } }, /non-empty payload/],
      ['POST', 'u', { action: { type: 'text', payload: 'x'.repeat(4001) } }, /longer than 4000/],
      ['POST', 'u', { action: { type: 'launch' }, origin: 'telegram' }, /origin must be one of/],
      ['POST', 'u', { action: { type: 'launch' }, appendMessages: [{ type: 'nope' }] }, /type must be one of/],
      ['POST', 'u', { action: { type: 'launch' }, transcriptMetadata: { favouriteColour: 'red' } }, /favouriteColour/],
      ['POST', 'u', { action: { type: 'launch' }, surprise: 1 }, /surprise/],
      ['POST', 'u/state', {}, /Nothing to do/],
      ['POST', 'u/state', { delete: 'm1' }, /delete must be an array/],
      ['POST', 'u/state', { metadata: { chatState: 'sleeping' } }, /chatState must be one of/],
      ['POST', 'u/state', { metadata: { chatAssignedTo: 'ana' } }, /chatAssignedTo must be/],
      ['POST', 'u/state', { metadata: { chatAssignedTo: randomUUID() } }, /No client/],
      ['POST', 'u/state', { turns: [{ from: 'robot', messages: [] }] }, /turn.from must be human or bot/],
      ['POST', 'u/operator', { clientId: 'x', message: 'hi' }, /clientId/],
      ['POST', 'bad%01id', { action: { type: 'launch' } }, /userId/],
      ['POST', 'y'.repeat(201), { action: { type: 'launch' } }, /userId/],
    ];
    for (const [method, path, body, pattern] of cases) {
      const res = await call(method, `/agents/${agent.id}/interact/${path}`, t.apiKey, body);
      expect({ path, body, status: res.status }).toEqual({ path, body, status: 400 });
      expect(res.body.message).toMatch(pattern);
    }
    const malformed = await request('POST', `${api.baseUrl}/v3/agents/${agent.id}/interact/u`, { key: t.apiKey, rawBody: '{"action":' });
    expect(malformed.status).toBe(400);
    expect((await request('POST', `${api.baseUrl}/v3/agents/${agent.id}/interact/u`, { body: { action: { type: 'launch' } } })).status).toBe(401);
  });

  it('agents are cached for interact, and an edit or delete on one replica takes effect on every replica at once', async () => {
    // A second replica of the service on the same database and Redis, with a cache TTL far beyond the test.
    const replica = await startService(agentsApiDefinition, { env: { AGENT_CACHE_TTL_MS: '300000' } });
    try {
      const t = await tenants.create();
      const agent = await agentWithKb(t, { vg_initMessages: ['Version one'] });
      const launchOn = async (base: string, user: string) =>
        request<InteractRes>('POST', `${base}/v3/agents/${agent.id}/interact/${user}`, { key: t.apiKey, body: { action: { type: 'launch' } } });
      const firstText = (res: { body: InteractRes }) => res.body.actionMessages[0]?.item?.['message'];
      // The replica reads (and caches) the agent.
      expect(firstText(await launchOn(replica.baseUrl, 'u1'))).toBe('Version one');
      // A change behind the service's back (no invalidation published) is not seen: the replica serves its copy.
      await db.query(`UPDATE agents.agents SET settings = jsonb_set(settings, '{vg_initMessages}', '["Behind its back"]') WHERE id = $1`, [agent.id]);
      expect(firstText(await launchOn(replica.baseUrl, 'u1b'))).toBe('Version one');
      // Edited through the other instance: the replica drops its copy as soon as the invalidation arrives (pub/sub,
      // milliseconds; allowed 2 s here against a TTL of 5 minutes).
      const soon = async <T>(probe: () => Promise<T>, done: (value: T) => boolean): Promise<T> => {
        const deadline = Date.now() + 2000;
        for (;;) {
          const value = await probe();
          if (done(value) || Date.now() > deadline) return value;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      };
      const edited = await call('POST', `/agents/${agent.id}`, t.apiKey, { agent: { vg_initMessages: ['Version two'] } });
      expect(edited.status).toBe(200);
      expect(firstText(await soon(() => launchOn(replica.baseUrl, 'u2'), (r) => firstText(r) === 'Version two'))).toBe('Version two');
      // Disabled, then deleted, through the other instance.
      expect((await call('PATCH', `/agents/${agent.id}`, t.apiKey, { agent: { disabled: true } })).status).toBe(200);
      expect((await soon(() => launchOn(replica.baseUrl, 'u3'), (r) => r.status === 403)).status).toBe(403);
      expect((await call('DELETE', `/agents/${agent.id}`, t.apiKey)).status).toBe(200);
      expect((await soon(() => launchOn(replica.baseUrl, 'u4'), (r) => r.status === 404)).status).toBe(404);
    } finally {
      await replica.close();
    }
  });
});
