import { request, waitFor } from '@chatbot/testing';
import { FRESH_MS } from '../src/webhooks/delivery-handoff';
import { PipelineFixture, lead } from './pipeline-fixture';

const ref = (n: number) => ({ agent_id: 'agent_1', conversation_id: `conv_${n}`, user_id: `user_${n}` });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Fan-out hands the webhook row it read to the delivery of the same process; change notifications (a trigger on
 * business.webhooks, the worker's LISTEN connection) say when that row went stale. One delivery slot, held by a
 * request the receiver answers only when the test says so, makes deliveries wait behind it, longer or shorter than
 * FRESH_MS. The relay is woken by LISTEN only here (polling every 60 s), so every delivery also shows the shared
 * LISTEN connection at work.
 */
describe('webhook pipeline: handed-over contexts and webhook changes (real Postgres, Redis, worker)', () => {
  let f: PipelineFixture;

  beforeAll(async () => {
    // Every delivery through the queue (no eager first attempts): the handover is what is tested here.
    f = await PipelineFixture.start({
      WEBHOOK_DELIVERY_CONCURRENCY: '1',
      WEBHOOK_ENDPOINT_CONCURRENCY: '1',
      WEBHOOK_EAGER_LIMIT: '0',
      OUTBOX_POLL_INTERVAL_MS: '60000',
    });
  });

  afterAll(async () => {
    await f?.stop();
  });

  /** The worker's `webhook_delivery_handoff_total` counters. */
  const handoffs = async (): Promise<Record<string, number>> => {
    const res = await request<string>('GET', `${f.worker.baseUrl}/metrics`);
    const counts: Record<string, number> = { used: 0, missing: 0, changed: 0, expired: 0 };
    for (const match of res.text.matchAll(/^webhook_delivery_handoff_total\{result="(\w+)"\} (\d+)$/gm)) counts[match[1]!] = Number(match[2]);
    return counts;
  };
  const delta = (before: Record<string, number>, after: Record<string, number>) =>
    Object.fromEntries(Object.keys(after).map((key) => [key, after[key]! - (before[key] ?? 0)]));

  /** Fan-out has stored the event's messages (and handed their contexts over right after). */
  const fannedOut = (eventId: string) =>
    waitFor(
      async () =>
        Number((await f.db.query<{ n: string }[]>(`SELECT count(*) AS n FROM business.webhook_messages WHERE event_id = $1`, [eventId]))[0]!.n) > 0,
      { timeoutMs: 10000, what: `fan-out of ${eventId}` },
    );

  /**
   * A delivery that holds the only slot until `release()` (the receiver answers it then); resolves once the receiver
   * has the request, i.e. from when the slot is busy.
   */
  const occupySlot = async (tenantId: string, n: number): Promise<{ busySince: number; release: () => void }> => {
    let release = (): void => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    f.receiver.respond((r) => (r.path === '/slow' ? { status: 200, until: released } : { status: 200 }));
    const already = f.receiver.on('/slow').length;
    await f.produce(tenantId, 'conversation_started', { ...ref(n), origin: 'web-chat' });
    await waitFor(() => f.receiver.on('/slow').length === already + 1, { timeoutMs: 10000, what: 'the slow delivery' });
    return { busySince: Date.now(), release };
  };
  /** Until `ms` have passed since `since`. */
  const sleepUntil = (since: number, ms: number) => sleep(Math.max(0, since + ms - Date.now()));

  it('a delivery waiting longer than FRESH_MS uses the handed-over row; a changed or deleted webhook is read afresh at once', async () => {
    const t = await f.tenants.create();
    await f.createWebhook(t.apiKey, { event_type: 'conversation_started', webhook_url: f.receiver.url('/slow') });
    await f.createWebhook(t.apiKey, { event_type: 'lead_captured', webhook_url: f.receiver.url('/kept') });
    const changed = await f.createWebhook(t.apiKey, { event_type: 'message_sent', webhook_url: f.receiver.url('/changed-old') });
    const deleted = await f.createWebhook(t.apiKey, { event_type: 'ticket_created', webhook_url: f.receiver.url('/deleted') });
    const before = await handoffs();

    const { busySince, release } = await occupySlot(t.tenantId, 1);
    const kept = await f.produce(t.tenantId, 'lead_captured', lead(1)); // will wait longer than FRESH_MS
    await fannedOut(kept.id);
    await sleepUntil(busySince, FRESH_MS + 300);
    const producedAt = Date.now();
    const message = await f.produce(t.tenantId, 'message_sent', { ...ref(2), message_id: 'm2', from: 'bot', type: 'text', text: 'hi' });
    const ticket = await f.produce(t.tenantId, 'ticket_created', { ...ref(3), ticket_id: 't3', state: 'requested_chat', reason: null });
    await fannedOut(message.id);
    await fannedOut(ticket.id);
    expect((await f.api$('PUT', `/${changed.id}`, t.apiKey, { webhook_url: f.receiver.url('/changed-new') })).status).toBe(200);
    expect((await f.api$('DELETE', `/${deleted.id}`, t.apiKey)).status).toBe(200);
    // Released now, these two contexts are younger than FRESH_MS when their deliveries take them: without the
    // notifications they would be used as they were read.
    expect(Date.now() - producedAt).toBeLessThan(FRESH_MS - 500);
    release();

    await waitFor(() => f.receiver.on('/kept').length === 1 && f.receiver.on('/changed-new').length === 1, {
      timeoutMs: 15000,
      what: 'the waiting deliveries',
    });
    await sleep(500);
    expect(f.receiver.on('/changed-old')).toHaveLength(0);
    expect(f.receiver.on('/deleted')).toHaveLength(0);
    expect(JSON.parse(f.receiver.on('/kept')[0]!.body)).toMatchObject({ id: kept.id });
    expect(JSON.parse(f.receiver.on('/changed-new')[0]!.body)).toMatchObject({ id: message.id });
    expect(f.receiver.on('/kept')[0]!.at - busySince).toBeGreaterThan(FRESH_MS + 300); // it did wait that long
    // The slow delivery's own and the kept one were handed over; the changed and the deleted webhook's were read.
    expect(delta(before, await handoffs())).toEqual({ used: 2, missing: 0, changed: 2, expired: 0 });
  });

  it('after the LISTEN connection is replaced, a context read before it is trusted only for FRESH_MS', async () => {
    const t = await f.tenants.create();
    await f.createWebhook(t.apiKey, { event_type: 'conversation_started', webhook_url: f.receiver.url('/slow') });
    await f.createWebhook(t.apiKey, { event_type: 'lead_captured', webhook_url: f.receiver.url('/after-reconnect') });
    const before = await handoffs();

    const { busySince, release } = await occupySlot(t.tenantId, 4);
    const event = await f.produce(t.tenantId, 'lead_captured', lead(4));
    await fannedOut(event.id);
    const backends = async () =>
      (
        await f.db.query<{ pid: number }[]>(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'worker:listen'`,
        )
      ).map((row) => row.pid);
    const [pid] = await backends();
    expect(pid).toBeDefined();
    await f.db.query(`SELECT pg_terminate_backend($1)`, [pid]);
    await waitFor(async () => (await backends()).some((other) => other !== pid), { timeoutMs: 10000, what: 'a new LISTEN connection' });
    await sleepUntil(busySince, FRESH_MS + 300);
    release();

    await waitFor(() => f.receiver.on('/after-reconnect').length === 1, { timeoutMs: 15000, what: 'the waiting delivery' });
    // Changes committed while no connection listened would have been missed: the older-than-FRESH_MS row was re-read.
    expect(delta(before, await handoffs())).toEqual({ used: 1, missing: 0, changed: 0, expired: 1 });

    // The relay is woken through the new connection (polling is 60 s away).
    const produced = Date.now();
    await f.produce(t.tenantId, 'lead_captured', lead(5));
    await waitFor(() => f.receiver.on('/after-reconnect').length === 2, { timeoutMs: 10000, what: 'a delivery after the reconnection' });
    expect(Date.now() - produced).toBeLessThan(5000);
  });
});
