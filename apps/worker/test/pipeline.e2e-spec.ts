import { QUEUES, type QueueName, TypedQueue, bullPrefix, jobIds } from '@chatbot/events';
import { Redis } from 'ioredis';
import { Webhook } from 'standardwebhooks';
import { type ReceivedRequest, request, testEnv, waitFor } from '@chatbot/testing';
import { RetentionService } from '../src/retention/retention.service';
import { PipelineFixture, lead } from './pipeline-fixture';

const verifyHeaders = (r: ReceivedRequest) => ({
  'webhook-id': String(r.headers['webhook-id']),
  'webhook-timestamp': String(r.headers['webhook-timestamp']),
  'webhook-signature': String(r.headers['webhook-signature']),
});

describe('webhook pipeline: outbox → relay → fan-out → signed delivery (real Postgres, Redis, worker)', () => {
  let f: PipelineFixture;

  beforeAll(async () => {
    f = await PipelineFixture.start({ WEBHOOK_ENDPOINT_CONCURRENCY: '2', WEBHOOK_DELIVERY_CONCURRENCY: '8' });
  });

  afterAll(async () => {
    await f?.stop();
  });

  /** A counter of the worker's /metrics, e.g. `webhook_delivery_handoff_total{result="missing"}`. */
  const metric = async (series: string): Promise<number> => {
    const res = await request<string>('GET', `${f.worker.baseUrl}/metrics`);
    const line = res.text.split('\n').find((l) => l.startsWith(`${series} `));
    return Number(line?.slice(series.length + 1) ?? 0);
  };

  /** What BullMQ's event stream of a queue (the services' Redis and prefix) says happened to a job, oldest first. */
  const jobHistory = async (queue: QueueName, jobId: string): Promise<{ event: string; at: number }[]> => {
    const env = testEnv(f.isolated.env);
    const client = new Redis(env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
    try {
      const entries = await client.xrange(`${bullPrefix(env['REDIS_PREFIX']!)}:${queue}:events`, '-', '+');
      return entries.filter(([, fields]) => fields[3] === jobId).map(([id, fields]) => ({ event: fields[1]!, at: Number(id.split('-')[0]) }));
    } finally {
      client.disconnect();
    }
  };

  /** First delivery attempts that found no context handed over by fan-out (`webhook_delivery_handoff_total`). */
  const handoffMissing = () => metric('webhook_delivery_handoff_total{result="missing"}');

  it('delivers a committed event, signed (verified by standardwebhooks), with webhook-id = event id, to matching webhooks only', async () => {
    const t = await f.tenants.create();
    const other = await f.tenants.create();
    const hook = await f.createWebhook(t.apiKey, { event_type: 'lead_captured', webhook_url: f.receiver.url('/basic') });
    await f.createWebhook(t.apiKey, { event_type: 'message_sent', webhook_url: f.receiver.url('/basic-wrong-type') });
    await f.createWebhook(t.apiKey, { event_type: 'lead_captured', webhook_url: f.receiver.url('/basic-inactive'), is_active: false });
    await f.createWebhook(other.apiKey, { event_type: 'lead_captured', webhook_url: f.receiver.url('/basic-other-tenant') });

    const event = await f.produce(t.tenantId, 'lead_captured', lead());
    await waitFor(() => f.receiver.on('/basic').length === 1, { timeoutMs: 10000, what: 'delivery' });
    const [received] = f.receiver.on('/basic');
    const body = new Webhook(hook.secret).verify(received!.body, verifyHeaders(received!));
    expect(body).toEqual(event);
    expect(received!.headers['webhook-id']).toBe(event.id);
    expect(received!.method).toBe('POST');

    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(f.receiver.on('/basic')).toHaveLength(1);
    expect(f.receiver.on('/basic-wrong-type')).toHaveLength(0);
    expect(f.receiver.on('/basic-inactive')).toHaveLength(0);
    expect(f.receiver.on('/basic-other-tenant')).toHaveLength(0);

    const logs = await f.api$('GET', `/${hook.id}/logs`, t.apiKey);
    expect(logs.body).toHaveLength(1);
    expect(logs.body[0]).toMatchObject({ event_id: event.id, event_type: 'lead_captured', response_status: 200, retry_count: 0, success: true, is_test: false });
  });

  it('renders payload_template with JSON-escaped values, with the method and custom headers', async () => {
    const t = await f.tenants.create();
    await f.createWebhook(t.apiKey, {
      event_type: 'lead_captured',
      webhook_url: f.receiver.url('/template'),
      http_method: 'PUT',
      headers: { Authorization: 'Bearer receiver-token' },
      payload_template: { lead: '{{lead_id}}', who: 'Name: {{name}}', type: '{{event_type}}', at: '{{timestamp}}', all: '{{data}}' },
    });
    const event = await f.produce(t.tenantId, 'lead_captured', lead(7));
    await waitFor(() => f.receiver.on('/template').length === 1, { timeoutMs: 10000, what: 'templated delivery' });
    const [received] = f.receiver.on('/template');
    expect(received!.method).toBe('PUT');
    expect(received!.headers['authorization']).toBe('Bearer receiver-token');
    expect(JSON.parse(received!.body)).toEqual({
      lead: 'lead_7',
      who: 'Name: Jo "Quote" O\'Brien\n</script>',
      type: 'lead_captured',
      at: event.occurred_at,
      all: event.data,
    });
  });

  it('retries a failing endpoint with growing, jittered delays; webhook-id stays the same; logs every attempt', async () => {
    const t = await f.tenants.create();
    const hook = await f.createWebhook(t.apiKey, {
      event_type: 'lead_captured',
      webhook_url: f.receiver.url('/flaky'),
      retry_config: { max_retries: 5, backoff: 'exponential', initial_delay_ms: 100 },
    });
    f.receiver.respond((r, _i) => (r.path === '/flaky' && f.receiver.on('/flaky').length <= 3 ? { status: 503, body: 'busy' } : { status: 200 }));
    await f.produce(t.tenantId, 'lead_captured', lead(2));
    await waitFor(() => f.receiver.on('/flaky').length === 4, { timeoutMs: 15000, what: '4 attempts' });
    f.receiver.respond(() => ({ status: 200 }));

    const attempts = f.receiver.on('/flaky');
    expect(new Set(attempts.map((a) => a.headers['webhook-id'])).size).toBe(1);
    const gaps = attempts.slice(1).map((a, i) => a.at - attempts[i]!.at);
    // 100 ms × 6^(n-1) ± 20%: 80–120, 480–720, 2880–4320 ms. Lower bounds are exact (delays only grow under load);
    // upper bounds leave room for a busy machine.
    expect(gaps[0]).toBeGreaterThanOrEqual(75);
    expect(gaps[0]).toBeLessThan(120 + 700);
    expect(gaps[1]).toBeGreaterThanOrEqual(475);
    expect(gaps[1]).toBeLessThan(720 + 1000);
    expect(gaps[2]).toBeGreaterThanOrEqual(2875);
    expect(gaps[2]).toBeLessThan(4320 + 1500);
    expect(gaps[1]!).toBeGreaterThan(gaps[0]!);
    expect(gaps[2]!).toBeGreaterThan(gaps[1]!);

    await waitFor(async () => (await f.api$('GET', `/${hook.id}/logs`, t.apiKey)).body.length === 4, { what: '4 logs' });
    const logs = (await f.api$('GET', `/${hook.id}/logs`, t.apiKey)).body;
    expect(logs.map((l) => l['retry_count'])).toEqual([3, 2, 1, 0]);
    expect(logs.map((l) => l['response_status'])).toEqual([200, 503, 503, 503]);
    expect(logs[0]!['next_attempt_at']).toBeNull();
    expect(logs[1]!['next_attempt_at']).toEqual(expect.any(String));
    expect(logs[3]!['error_message']).toContain('503');
  });

  it('an eager first attempt counts: max_retries 2 means 3 attempts in all, the last 2 by the delivery job', async () => {
    const t = await f.tenants.create();
    const hook = await f.createWebhook(t.apiKey, {
      event_type: 'lead_captured',
      webhook_url: f.receiver.url('/always-500'),
      retry_config: { max_retries: 2, backoff: 'fixed', initial_delay_ms: 50 },
    });
    f.receiver.respond((r) => (r.path === '/always-500' ? { status: 500 } : { status: 200 }));
    const event = await f.produce(t.tenantId, 'lead_captured', lead(41));
    const status = async () =>
      (await f.db.query<{ status: string }[]>(`SELECT status FROM business.webhook_messages WHERE event_id = $1`, [event.id]))[0]?.status;
    await waitFor(async () => (await status()) === 'failed', { timeoutMs: 10000, what: 'the message failed' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(f.receiver.on('/always-500')).toHaveLength(3);
    const logs = (await f.api$('GET', `/${hook.id}/logs`, t.apiKey)).body;
    expect(logs.map((l) => l['retry_count'])).toEqual([2, 1, 0]);
    expect(logs.map((l) => l['next_attempt_at'] === null)).toEqual([true, false, false]);
    // Attempt 1 was made while the job waited in the delayed set; the job was then rescheduled for the retry (its
    // data counting that attempt) and ran attempts 2 and 3 as a queued job.
    const history = (await jobHistory(QUEUES.webhookDelivery, jobIds.delivery(event.id, hook.id))).map((h) => h.event);
    expect(history.slice(0, 2)).toEqual(['added', 'delayed']);
    expect(history).not.toContain('removed');
    expect(history.filter((e) => e === 'active')).toHaveLength(2);
    expect(history.at(-1)).toBe('completed');
  });

  it('honours Retry-After', async () => {
    const t = await f.tenants.create();
    await f.createWebhook(t.apiKey, {
      event_type: 'lead_captured',
      webhook_url: f.receiver.url('/retry-after'),
      retry_config: { max_retries: 2, backoff: 'fixed', initial_delay_ms: 10 },
    });
    f.receiver.respond((r) =>
      r.path === '/retry-after' && f.receiver.on('/retry-after').length === 1 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 },
    );
    await f.produce(t.tenantId, 'lead_captured', lead(3));
    await waitFor(() => f.receiver.on('/retry-after').length === 2, { timeoutMs: 10000, what: 'second attempt' });
    f.receiver.respond(() => ({ status: 200 }));
    const [first, second] = f.receiver.on('/retry-after');
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
  });

  it('does not retry a 400; marks the message failed', async () => {
    const t = await f.tenants.create();
    const hook = await f.createWebhook(t.apiKey, {
      event_type: 'lead_captured',
      webhook_url: f.receiver.url('/bad-request'),
      retry_config: { max_retries: 5, backoff: 'fixed', initial_delay_ms: 50 },
    });
    f.receiver.respond((r) => (r.path === '/bad-request' ? { status: 400, body: 'nope' } : { status: 200 }));
    await f.produce(t.tenantId, 'lead_captured', lead(4));
    await waitFor(() => f.receiver.on('/bad-request').length === 1, { timeoutMs: 10000 });
    await new Promise((resolve) => setTimeout(resolve, 800));
    f.receiver.respond(() => ({ status: 200 }));
    expect(f.receiver.on('/bad-request')).toHaveLength(1);
    const logs = (await f.api$('GET', `/${hook.id}/logs`, t.apiKey)).body;
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ response_status: 400, success: false, next_attempt_at: null, response_body: 'nope' });
  });

  it('a replayed event sends nothing again after its jobs completed: completed jobs are removed, Postgres decides', async () => {
    const t = await f.tenants.create();
    const ok = await f.createWebhook(t.apiKey, { event_type: 'lead_captured', webhook_url: f.receiver.url('/replay-ok') });
    const bad = await f.createWebhook(t.apiKey, {
      event_type: 'lead_captured',
      webhook_url: f.receiver.url('/replay-bad'),
      retry_config: { max_retries: 3, backoff: 'fixed', initial_delay_ms: 50 },
    });
    f.receiver.respond((r) => (r.path === '/replay-bad' ? { status: 400, body: 'no' } : { status: 200 }));
    const event = await f.produce(t.tenantId, 'lead_captured', lead(30));
    const statuses = async () =>
      Object.fromEntries(
        (await f.db.query<{ webhook_id: string; status: string }[]>(`SELECT webhook_id, status FROM business.webhook_messages WHERE event_id = $1`, [event.id])).map(
          (m) => [m.webhook_id, m.status],
        ),
      );
    const finished = { [ok.id]: 'delivered', [bad.id]: 'failed' };
    await waitFor(
      async () => {
        const now = Object.values(await statuses());
        return now.length === 2 && !now.includes('pending');
      },
      { timeoutMs: 10000, what: 'both deliveries finished' },
    );
    expect(await statuses()).toEqual(finished);

    // The fan-out job and both delivery jobs are gone from Redis (completed jobs are not kept an hour).
    // The Redis the services under test use (testEnv: the run's environment plus the isolated prefix).
    const env = testEnv(f.isolated.env);
    const redis = { REDIS_URL: env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', REDIS_PREFIX: env['REDIS_PREFIX']! };
    const fanout = new TypedQueue(QUEUES.eventFanout, redis);
    const deliveries = new TypedQueue(QUEUES.webhookDelivery, redis);
    try {
      const jobs = async () =>
        Promise.all([
          fanout.queue.getJob(jobIds.fanout(event.id)),
          deliveries.queue.getJob(jobIds.delivery(event.id, ok.id)),
          deliveries.queue.getJob(jobIds.delivery(event.id, bad.id)),
        ]);
      await waitFor(async () => (await jobs()).every((job) => job === undefined), { timeoutMs: 5000, what: 'completed jobs removed' });
      // BullMQ's event streams tell how: each job waited in the delayed set while this process did its work itself
      // (the relay fanned the event out, fan-out made both first attempts: delivered, and 400 = failed for good) and
      // was removed unfetched.
      const history = async (queue: QueueName, jobId: string) => (await jobHistory(queue, jobId)).map((h) => h.event);
      expect(await history(QUEUES.eventFanout, jobIds.fanout(event.id))).toEqual(['added', 'delayed', 'removed']);
      expect(await history(QUEUES.webhookDelivery, jobIds.delivery(event.id, ok.id))).toEqual(['added', 'delayed', 'removed']);
      expect(await history(QUEUES.webhookDelivery, jobIds.delivery(event.id, bad.id))).toEqual(['added', 'delayed', 'removed']);

      // Replay: the relay publishes the row again, fan-out runs again and adds both delivery jobs again (no handoff:
      // their messages exist), and each finds its message finished and sends nothing.
      const missingBefore = await handoffMissing();
      await f.db.query(`UPDATE events.outbox SET published_at = NULL WHERE id = $1`, [event.id]);
      await waitFor(async () => (await handoffMissing()) === missingBefore + 2, { timeoutMs: 10000, what: 'both delivery jobs ran again' });
      await waitFor(async () => (await jobs()).every((job) => job === undefined), { timeoutMs: 5000, what: 'replayed jobs completed' });
    } finally {
      await fanout.close();
      await deliveries.close();
    }
    expect(f.receiver.on('/replay-ok')).toHaveLength(1);
    expect(f.receiver.on('/replay-bad')).toHaveLength(1);
    expect(await statuses()).toEqual(finished);
    expect((await f.api$('GET', `/${ok.id}/logs`, t.apiKey)).body).toHaveLength(1);
    expect((await f.api$('GET', `/${bad.id}/logs`, t.apiKey)).body).toHaveLength(1);
    const [row] = await f.db.query<{ published_at: Date | null }[]>('SELECT published_at FROM events.outbox WHERE id = $1', [event.id]);
    expect(row?.published_at).toBeInstanceOf(Date);
  });

  it('an eager fan-out that fails is handed to the fan-out worker at once (not after the lease), which retries it', async () => {
    const t = await f.tenants.create();
    await f.createWebhook(t.apiKey, { event_type: 'lead_captured', webhook_url: f.receiver.url('/eager-retry') });
    f.receiver.respond(() => ({ status: 200 }));
    // Storing this tenant's events fails until the trigger is dropped (the database refusing, as in an outage).
    await f.db.query(`CREATE FUNCTION business.refuse_test_event() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.tenant_id = '${t.tenantId}' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$`);
    await f.db.query(`CREATE TRIGGER refuse_test_event BEFORE INSERT ON business.webhook_events FOR EACH ROW EXECUTE FUNCTION business.refuse_test_event()`);
    const failed = () => metric('fanout_eager_events_total{result="failed"}');
    const failedBefore = await failed();
    let eventId: string;
    try {
      eventId = (await f.produce(t.tenantId, 'lead_captured', lead(40))).id;
      await waitFor(async () => (await failed()) === failedBefore + 1, { timeoutMs: 10000, what: 'the eager fan-out failed' });
      expect(f.receiver.on('/eager-retry')).toHaveLength(0);
    } finally {
      await f.db.query(`DROP TRIGGER IF EXISTS refuse_test_event ON business.webhook_events; DROP FUNCTION IF EXISTS business.refuse_test_event()`);
    }
    await waitFor(() => f.receiver.on('/eager-retry').length === 1, { timeoutMs: 15000, what: 'delivered by the retried fan-out job' });
    expect(f.receiver.on('/eager-retry')[0]!.headers['webhook-id']).toBe(eventId);

    // The job was delayed by the lease (QUEUE_LOCK_DURATION_MS = 3 s here), made due as soon as the eager run failed,
    // and completed by the fan-out worker (after a failed attempt or two while the trigger was still there).
    const history = await jobHistory(QUEUES.eventFanout, jobIds.fanout(eventId));
    expect(history.slice(0, 3).map((h) => h.event)).toEqual(['added', 'delayed', 'waiting']);
    expect(history[2]!.at - history[1]!.at).toBeLessThan(2500);
    expect(history.map((h) => h.event)).toContain('completed');
    const delivered = async () =>
      (await f.db.query<unknown[]>(`SELECT 1 FROM business.webhook_messages WHERE event_id = $1 AND status = 'delivered'`, [eventId])).length === 1;
    await waitFor(delivered, { timeoutMs: 5000, what: 'message delivered' });
  });

  it('410 Gone disables the webhook and raises webhook_disabled through the outbox', async () => {
    const t = await f.tenants.create();
    const hook = await f.createWebhook(t.apiKey, { event_type: 'lead_captured', webhook_url: f.receiver.url('/gone') });
    f.receiver.respond((r) => (r.path === '/gone' ? { status: 410 } : { status: 200 }));
    await f.produce(t.tenantId, 'lead_captured', lead(5));
    await waitFor(async () => (await f.api$('GET', `/${hook.id}`, t.apiKey)).body['is_active'] === false, { timeoutMs: 10000, what: 'disabled' });
    f.receiver.respond(() => ({ status: 200 }));
    const webhook = (await f.api$('GET', `/${hook.id}`, t.apiKey)).body;
    expect(webhook['disabled_reason']).toContain('410');
    const rows = await f.db.query<{ payload: { webhook_id: string; reason: string } }[]>(
      `SELECT payload FROM events.outbox WHERE event_type = 'webhook_disabled' AND tenant_id = $1`,
      [t.tenantId],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.payload.webhook_id).toBe(hook.id);

    await f.produce(t.tenantId, 'lead_captured', lead(6));
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(f.receiver.on('/gone')).toHaveLength(1);
  });

  it('redeliver re-sends a logged event (same webhook-id); recover re-sends every failed event since a date', async () => {
    const t = await f.tenants.create();
    const hook = await f.createWebhook(t.apiKey, {
      event_type: 'lead_captured',
      webhook_url: f.receiver.url('/recover'),
      retry_config: { max_retries: 0, backoff: 'fixed' },
    });
    const since = new Date(Date.now() - 1000).toISOString();
    f.receiver.respond((r) => (r.path === '/recover' ? { status: 500 } : { status: 200 }));
    const events = [await f.produce(t.tenantId, 'lead_captured', lead(10)), await f.produce(t.tenantId, 'lead_captured', lead(11)), await f.produce(t.tenantId, 'lead_captured', lead(12))];
    await waitFor(async () => (await f.api$('GET', `/${hook.id}/logs`, t.apiKey)).body.length === 3, { timeoutMs: 10000, what: '3 failed attempts' });
    f.receiver.respond(() => ({ status: 200 }));

    const logs = (await f.api$('GET', `/${hook.id}/logs`, t.apiKey)).body;
    const target = logs.find((l) => l['event_id'] === events[0]!.id)!;
    const redelivered = await f.api$('POST', `/${hook.id}/logs/${String(target['id'])}/redeliver`, t.apiKey);
    expect(redelivered.status).toBe(202);
    expect(redelivered.body).toMatchObject({ success: true, queued: 1 });
    await waitFor(() => f.receiver.on('/recover').length === 4, { timeoutMs: 10000, what: 'redelivery' });
    expect(f.receiver.on('/recover')[3]!.headers['webhook-id']).toBe(events[0]!.id);

    const recovered = await f.api$('POST', `/${hook.id}/recover`, t.apiKey, { since });
    expect(recovered.status).toBe(202);
    expect(recovered.body['queued']).toBe(2);
    await waitFor(() => f.receiver.on('/recover').length === 6, { timeoutMs: 10000, what: 'recovery' });
    const ids = f.receiver.on('/recover').slice(4).map((r) => r.headers['webhook-id']).sort();
    expect(ids).toEqual([events[1]!.id, events[2]!.id].sort());

    const nothingLeft = await f.api$('POST', `/${hook.id}/recover`, t.apiKey, { since });
    expect(nothingLeft.body['queued']).toBe(0);
  });

  it('deleting a webhook stops its pending retries', async () => {
    const t = await f.tenants.create();
    const hook = await f.createWebhook(t.apiKey, {
      event_type: 'lead_captured',
      webhook_url: f.receiver.url('/deleted'),
      retry_config: { max_retries: 5, backoff: 'fixed', initial_delay_ms: 400 },
    });
    f.receiver.respond((r) => (r.path === '/deleted' ? { status: 503 } : { status: 200 }));
    await f.produce(t.tenantId, 'lead_captured', lead(20));
    await waitFor(() => f.receiver.on('/deleted').length === 1, { timeoutMs: 10000 });
    expect((await f.api$('DELETE', `/${hook.id}`, t.apiKey)).status).toBe(200);
    const seen = f.receiver.on('/deleted').length;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    f.receiver.respond(() => ({ status: 200 }));
    expect(f.receiver.on('/deleted').length).toBeLessThanOrEqual(seen + 1); // at most one attempt already in flight
  });

  it("deleting a webhook: its logs answer 404 at once; the worker purges its messages and logs, not its neighbour's", async () => {
    const t = await f.tenants.create();
    const hook = await f.createWebhook(t.apiKey, { event_type: 'conversation_ended', webhook_url: f.receiver.url('/purged') });
    const kept = await f.createWebhook(t.apiKey, { event_type: 'conversation_ended', webhook_url: f.receiver.url('/purge-neighbour') });
    for (let i = 0; i < 3; i++) {
      await f.produce(t.tenantId, 'conversation_ended', { agent_id: 'a', conversation_id: `c${i}`, user_id: 'u', reason: null, duration_seconds: i });
    }
    await waitFor(async () => (await f.api$('GET', `/${hook.id}/logs`, t.apiKey)).body.length === 3, { timeoutMs: 10000, what: 'log rows' });
    await waitFor(async () => (await f.api$('GET', `/${kept.id}/logs`, t.apiKey)).body.length === 3, { timeoutMs: 10000, what: 'log rows' });
    const historyOf = async (webhookId: string) =>
      (
        await f.db.query<{ messages: number; logs: number; tombstones: number }[]>(
          `SELECT (SELECT count(*)::int FROM business.webhook_messages WHERE webhook_id = $1) AS messages,
                  (SELECT count(*)::int FROM business.webhook_delivery_logs WHERE webhook_id = $1) AS logs,
                  (SELECT count(*)::int FROM business.webhook_purges WHERE webhook_id = $1) AS tombstones`,
          [webhookId],
        )
      )[0];

    expect((await f.api$('DELETE', `/${hook.id}`, t.apiKey)).status).toBe(200);
    expect((await f.api$('GET', `/${hook.id}/logs`, t.apiKey)).status).toBe(404);
    expect((await historyOf(hook.id))?.tombstones).toBe(1);
    const retention = f.worker.app.get(RetentionService);
    await retention.purgeDeletedWebhooks(); // (the worker's own minute timer may have run it already)
    expect(await historyOf(hook.id)).toEqual({ messages: 0, logs: 0, tombstones: 1 }); // kept for late writers
    await retention.purgeDeletedWebhooks(new Date(Date.now() + 11 * 60_000)); // past the grace period
    expect(await historyOf(hook.id)).toEqual({ messages: 0, logs: 0, tombstones: 0 });
    expect(await historyOf(kept.id)).toEqual({ messages: 3, logs: 3, tombstones: 0 });
  });

  it('delivery logs past the retention period are deleted; recent ones stay', async () => {
    const t = await f.tenants.create();
    const hook = await f.createWebhook(t.apiKey, { event_type: 'conversation_ended', webhook_url: f.receiver.url('/retention') });
    await f.produce(t.tenantId, 'conversation_ended', { agent_id: 'a', conversation_id: 'c', user_id: 'u', reason: null, duration_seconds: 3 });
    await waitFor(async () => (await f.api$('GET', `/${hook.id}/logs`, t.apiKey)).body.length === 1, { timeoutMs: 10000, what: 'log row' });
    const retention = f.worker.app.get(RetentionService);
    expect(await retention.sweepDeliveryLogs(new Date())).toBe(0); // 30 days by default: nothing is that old
    expect(await retention.sweepDeliveryLogs(new Date(Date.now() + 31 * 24 * 3600_000))).toBeGreaterThanOrEqual(1);
    expect((await f.api$('GET', `/${hook.id}/logs`, t.apiKey)).body).toEqual([]);
  });

  it('published outbox rows past OUTBOX_RETENTION_HOURS are deleted by the worker; recent ones stay', async () => {
    const t = await f.tenants.create();
    await f.createWebhook(t.apiKey, { event_type: 'conversation_ended', webhook_url: f.receiver.url('/outbox-retention') });
    const event = await f.produce(t.tenantId, 'conversation_ended', { agent_id: 'a', conversation_id: 'c', user_id: 'u', reason: null, duration_seconds: 1 });
    await waitFor(() => f.receiver.on('/outbox-retention').length === 1, { timeoutMs: 10000, what: 'delivery' });
    const row = () => f.db.query<{ published_at: Date }[]>('SELECT published_at FROM events.outbox WHERE id = $1', [event.id]);
    expect((await row())[0]?.published_at).toBeInstanceOf(Date);
    const retention = f.worker.app.get(RetentionService);
    expect(await retention.sweepOutbox(new Date())).toBe(0); // 24 hours by default: nothing is that old
    expect(await row()).toHaveLength(1);
    expect(await retention.sweepOutbox(new Date(Date.now() + 25 * 3600_000))).toBeGreaterThanOrEqual(1);
    expect(await row()).toEqual([]);
  });

  it('a slow endpoint does not hold up other tenants (per-endpoint concurrency cap)', async () => {
    const slowTenant = await f.tenants.create();
    const fastTenant = await f.tenants.create();
    await f.createWebhook(slowTenant.apiKey, { event_type: 'message_sent', webhook_url: f.receiver.url('/slow') });
    await f.createWebhook(fastTenant.apiKey, { event_type: 'message_sent', webhook_url: `http://localhost:${f.receiver.port}/fast` });
    f.receiver.respond((r) => (r.path === '/slow' ? { status: 200, delayMs: 2500 } : { status: 200 }));
    const msg = (n: number) => ({ agent_id: 'a', conversation_id: `c${n}`, user_id: 'u', message_id: `m${n}`, from: 'human' as const, type: 'text', text: 'hi' });
    for (let i = 0; i < 10; i++) await f.produce(slowTenant.tenantId, 'message_sent', msg(i));
    await waitFor(() => f.receiver.on('/slow').length >= 2, { timeoutMs: 10000, what: 'slow deliveries started' });
    const produced = Date.now();
    await f.produce(fastTenant.tenantId, 'message_sent', msg(99));
    await waitFor(() => f.receiver.on('/fast').length === 1, { timeoutMs: 10000, what: 'fast delivery' });
    // With 8 slots and a cap of 2 per endpoint, the fast endpoint is served at once. Without the cap all 8 slots would
    // hold 2.5 s slow requests and the fast event would wait for one of them (> 2 s).
    expect(f.receiver.on('/fast')[0]!.at - produced).toBeLessThan(1500);
    expect(f.receiver.on('/slow').length).toBeLessThan(10);
    await waitFor(() => f.receiver.on('/slow').length === 10, { timeoutMs: 30000, what: 'slow backlog drained' });
    f.receiver.respond(() => ({ status: 200 }));
  });

  // Last in this file: the sweep removes every event of this database that is old enough for the shifted clock.
  it('webhook events past WEBHOOK_EVENT_RETENTION_DAYS are deleted with their messages; redeliver then answers 404', async () => {
    const t = await f.tenants.create();
    const hook = await f.createWebhook(t.apiKey, { event_type: 'conversation_ended', webhook_url: f.receiver.url('/event-retention') });
    await f.produce(t.tenantId, 'conversation_ended', { agent_id: 'a', conversation_id: 'c', user_id: 'u', reason: null, duration_seconds: 2 });
    await waitFor(async () => (await f.api$('GET', `/${hook.id}/logs`, t.apiKey)).body.length === 1, { timeoutMs: 10000, what: 'log row' });
    const [log] = (await f.api$('GET', `/${hook.id}/logs`, t.apiKey)).body;
    const redeliver = () => f.api$('POST', `/${hook.id}/logs/${String(log!['id'])}/redeliver`, t.apiKey);
    const retention = f.worker.app.get(RetentionService);
    expect(await retention.sweepWebhookEvents(new Date())).toBe(0); // 30 days by default: nothing is that old
    expect(await retention.sweepWebhookEvents(new Date(Date.now() + 31 * 24 * 3600_000))).toBeGreaterThanOrEqual(1);
    const res = await redeliver();
    expect(res.status).toBe(404);
    expect(String(res.body['message'])).toMatch(/no longer kept/);
    // The attempt itself is still listed (delivery logs have their own retention).
    expect((await f.api$('GET', `/${hook.id}/logs`, t.apiKey)).body).toHaveLength(1);
  });
});

describe('webhook pipeline: auto-disable after failing continuously', () => {
  let f: PipelineFixture;

  beforeAll(async () => {
    f = await PipelineFixture.start({ WEBHOOK_AUTO_DISABLE_AFTER_MS: '1000', WEBHOOK_AUTO_DISABLE_MIN_FAILURES: '3' });
  });

  afterAll(async () => {
    await f?.stop();
  });

  it('disables an endpoint failing for the configured period and attempt count, and says why', async () => {
    const t = await f.tenants.create();
    const hook = await f.createWebhook(t.apiKey, {
      event_type: 'lead_captured',
      webhook_url: f.receiver.url('/always-down'),
      retry_config: { max_retries: 10, backoff: 'fixed', initial_delay_ms: 300 },
    });
    f.receiver.respond(() => ({ status: 500 }));
    await f.produce(t.tenantId, 'lead_captured', lead(1));
    await waitFor(async () => (await f.api$('GET', `/${hook.id}`, t.apiKey)).body['is_active'] === false, { timeoutMs: 15000, what: 'auto-disable' });
    const webhook = (await f.api$('GET', `/${hook.id}`, t.apiKey)).body;
    expect(webhook['disabled_reason']).toMatch(/failing continuously since .* consecutive failed attempts/);
    const attemptsAtDisable = f.receiver.on('/always-down').length;
    expect(attemptsAtDisable).toBeGreaterThanOrEqual(3);
    expect(attemptsAtDisable).toBeLessThan(11);
    const rows = await f.db.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM events.outbox WHERE event_type = 'webhook_disabled' AND tenant_id = $1`,
      [t.tenantId],
    );
    expect(rows[0]!.n).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(f.receiver.on('/always-down').length).toBe(attemptsAtDisable);

    // Re-enabling starts with a clean health record.
    f.receiver.respond(() => ({ status: 200 }));
    const enabled = await f.api$('PUT', `/${hook.id}`, t.apiKey, { is_active: true });
    expect(enabled.body).toMatchObject({ is_active: true, disabled_reason: null });
  });
});
