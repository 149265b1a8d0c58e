import { randomUUID } from 'node:crypto';
import { createDataSource, keysetSweepStatement } from '@chatbot/database';
import { type IsolatedEnvironment, isolatedEnvironment } from '@chatbot/testing';
import { WEBHOOK_ENTITIES, WEBHOOK_EVENT_SWEEP, WebhookMessageRepository } from '@chatbot/webhooks';
import type { DataSource } from 'typeorm';

const DAY_MS = 24 * 3600_000;

/**
 * The webhook history can be deleted: by age (the retention sweep of webhook events) and by webhook (the delete
 * route). Own database: the sweep works across every tenant.
 */
describe('webhook history: event retention and webhook deletion (real Postgres, own database)', () => {
  let env: IsolatedEnvironment;
  let db: DataSource;
  let messages: WebhookMessageRepository;

  beforeAll(async () => {
    env = await isolatedEnvironment();
    db = await createDataSource({ url: env.env['DATABASE_URL']!, entities: WEBHOOK_ENTITIES }).initialize();
    messages = new WebhookMessageRepository(db);
  });

  afterAll(async () => {
    await db?.destroy();
    await env?.drop();
  });

  beforeEach(async () => {
    await db.query('TRUNCATE business.webhook_delivery_logs, business.webhook_messages, business.webhook_events, business.webhooks');
  });

  const tenantId = randomUUID();
  const insertWebhook = async (): Promise<string> => {
    const rows = await db.query<{ id: string }[]>(
      `INSERT INTO business.webhooks (tenant_id, event_type, webhook_url, retry_config, secret_encrypted)
       VALUES ($1, 'conversation_started', 'http://127.0.0.1:9/hook', '{"max_retries":0,"backoff":"fixed"}', 'x') RETURNING id`,
      [tenantId],
    );
    return rows[0]!.id;
  };
  /** An event created at `createdAt`, one message per webhook with the given status, and one log row per message. */
  const insertEvent = async (createdAt: Date, deliveries: { webhookId: string; status: 'pending' | 'delivered' | 'failed' }[]): Promise<string> => {
    const eventId = randomUUID();
    await db.query(
      `INSERT INTO business.webhook_events (id, tenant_id, event_type, envelope, occurred_at, created_at)
       VALUES ($1, $2, 'conversation_started', '{}', $3, $3)`,
      [eventId, tenantId, createdAt],
    );
    for (const { webhookId, status } of deliveries) {
      const [message] = await db.query<{ id: string }[]>(
        `INSERT INTO business.webhook_messages (tenant_id, webhook_id, event_id, status, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
        [tenantId, webhookId, eventId, status, createdAt],
      );
      await db.query(
        `INSERT INTO business.webhook_delivery_logs (tenant_id, webhook_id, message_id, event_id, event_type, attempt, request_url, duration_ms, success, created_at)
         VALUES ($1, $2, $3, $4, 'conversation_started', 1, 'http://127.0.0.1:9/hook', 1, $5, $6)`,
        [tenantId, webhookId, message!.id, eventId, status === 'delivered', createdAt],
      );
    }
    return eventId;
  };
  const count = async (table: string): Promise<number> => (await db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM business.${table}`))[0]!.n;
  const eventIds = async (): Promise<string[]> =>
    (await db.query<{ id: string }[]>('SELECT id FROM business.webhook_events ORDER BY id')).map((r) => r.id);

  it('deletes events older than the cutoff with their messages; recent events and events with a pending delivery stay', async () => {
    const a = await insertWebhook();
    const b = await insertWebhook();
    const now = Date.now();
    const old = await insertEvent(new Date(now - 40 * DAY_MS), [
      { webhookId: a, status: 'delivered' },
      { webhookId: b, status: 'failed' },
    ]);
    const oldPending = await insertEvent(new Date(now - 40 * DAY_MS), [
      { webhookId: a, status: 'delivered' },
      { webhookId: b, status: 'pending' },
    ]);
    const recent = await insertEvent(new Date(now - DAY_MS), [{ webhookId: a, status: 'delivered' }]);

    expect(await messages.deleteEventsOlderThan(new Date(now - 30 * DAY_MS))).toBe(1);
    expect(await eventIds()).toEqual([oldPending, recent].sort());
    expect(await eventIds()).not.toContain(old);
    expect(await count('webhook_messages')).toBe(3); // the deleted event's two went with it
    // Log rows are the delivery-log sweep's business (WEBHOOK_LOG_RETENTION_DAYS); their message_id may now dangle.
    expect(await count('webhook_delivery_logs')).toBe(5);
    expect(await messages.deleteEventsOlderThan(new Date(now - 30 * DAY_MS))).toBe(0);
  });

  it('works through a backlog in batches without skipping events that share a created_at', async () => {
    const a = await insertWebhook();
    const now = Date.now();
    for (let group = 0; group < 4; group++) {
      const at = new Date(now - (60 - group) * DAY_MS);
      for (let i = 0; i < 3; i++) await insertEvent(at, [{ webhookId: a, status: 'delivered' }]);
    }
    const pending = await insertEvent(new Date(now - 59 * DAY_MS), [{ webhookId: a, status: 'pending' }]);
    expect(await messages.deleteEventsOlderThan(new Date(now - 30 * DAY_MS), 2)).toBe(12);
    expect(await eventIds()).toEqual([pending]);
  });

  it('the sweep reads events through their created_at index and checks for pending deliveries through the event-led unique index', async () => {
    // EXPLAIN without ANALYZE: the statement the sweep runs, not run; a sequential scan priced out (on tables this
    // small it would win on cost alone).
    const plan = await db.transaction(async (manager) => {
      await manager.query('SET LOCAL enable_seqscan = off');
      const rows = await manager.query<{ 'QUERY PLAN': string }[]>(`EXPLAIN ${keysetSweepStatement(WEBHOOK_EVENT_SWEEP)}`, [new Date(), null, 10]);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    expect(plan).toContain('webhook_events_created_at_idx');
    expect(plan).toContain('webhook_messages_event_webhook_key');
  });

  it('deleting a webhook runs no trigger per message (delivery logs keep message_id as a plain reference)', async () => {
    const a = await insertWebhook();
    const other = await insertWebhook();
    for (let i = 0; i < 30; i++) await insertEvent(new Date(), [{ webhookId: a, status: 'delivered' }, { webhookId: other, status: 'delivered' }]);
    const plan = await db.transaction(async (manager) => {
      const [row] = await manager.query<{ 'QUERY PLAN': { Triggers?: { 'Trigger Name': string; Calls: number }[] }[] }[]>(
        `EXPLAIN (ANALYZE, FORMAT JSON) DELETE FROM business.webhooks WHERE id = $1`,
        [a],
      );
      return row!['QUERY PLAN'][0]!;
    });
    // Only the cascades from the webhook row itself: one call each, however many messages it had.
    expect(plan.Triggers?.length).toBeGreaterThan(0);
    expect(plan.Triggers?.every((t) => t.Calls === 1)).toBe(true);
    expect(await count('webhook_messages')).toBe(30);
    expect(await count('webhook_delivery_logs')).toBe(30);
  });

  it("fan-out's ON CONFLICT (webhook_id, event_id) is served by the (event_id, webhook_id) unique index", async () => {
    const a = await insertWebhook();
    const eventId = await insertEvent(new Date(), []);
    const insert = () =>
      db.query<{ id: string }[]>(
        `INSERT INTO business.webhook_messages (tenant_id, webhook_id, event_id) VALUES ($1, $2, $3)
         ON CONFLICT (webhook_id, event_id) DO NOTHING RETURNING id`,
        [tenantId, a, eventId],
      );
    expect(await insert()).toHaveLength(1);
    expect(await insert()).toHaveLength(0);
    await expect(
      db.query(`INSERT INTO business.webhook_messages (tenant_id, webhook_id, event_id) VALUES ($1, $2, $3)`, [tenantId, a, eventId]),
    ).rejects.toThrow(/webhook_messages_event_webhook_key/);
  });
});
