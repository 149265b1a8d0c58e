import { randomUUID } from 'node:crypto';
import { createDataSource, keysetSweep, keysetSweepStatement } from '@chatbot/database';
import { asTenantId as asTenant } from '@chatbot/tenant-auth';
import { type IsolatedEnvironment, isolatedEnvironment } from '@chatbot/testing';
import { WEBHOOK_ENTITIES, WEBHOOK_EVENT_SWEEP, WEBHOOK_HISTORY_PURGE, WebhookMessageRepository, WebhookRepository } from '@chatbot/webhooks';
import type { DataSource } from 'typeorm';

const DAY_MS = 24 * 3600_000;
const MINUTE_MS = 60_000;

/**
 * The webhook history can be deleted: by age (the retention sweep of webhook events) and by webhook (the delete
 * route). Own database: the sweep works across every tenant.
 */
describe('webhook history: event retention and webhook deletion (real Postgres, own database)', () => {
  let env: IsolatedEnvironment;
  let db: DataSource;
  let messages: WebhookMessageRepository;
  let webhooks: WebhookRepository;

  beforeAll(async () => {
    env = await isolatedEnvironment();
    db = await createDataSource({ url: env.env['DATABASE_URL']!, entities: WEBHOOK_ENTITIES }).initialize();
    messages = new WebhookMessageRepository(db);
    webhooks = new WebhookRepository(db);
  });

  afterAll(async () => {
    await db?.destroy();
    await env?.drop();
  });

  beforeEach(async () => {
    await db.query(
      'TRUNCATE business.webhook_delivery_logs, business.webhook_messages, business.webhook_events, business.webhooks, business.webhook_purges',
    );
  });

  const tenantId = randomUUID();
  const insertWebhook = async (tenant = tenantId): Promise<string> => {
    const rows = await db.query<{ id: string }[]>(
      `INSERT INTO business.webhooks (tenant_id, event_type, webhook_url, retry_config, secret_encrypted)
       VALUES ($1, 'conversation_started', 'http://127.0.0.1:9/hook', '{"max_retries":0,"backoff":"fixed"}', 'x') RETURNING id`,
      [tenant],
    );
    return rows[0]!.id;
  };
  /** An event created at `createdAt`, one message per webhook with the given status, and one log row per message. */
  const insertEvent = async (
    createdAt: Date,
    deliveries: { webhookId: string; status: 'pending' | 'delivered' | 'failed' }[],
    tenant = tenantId,
  ): Promise<string> => {
    const eventId = randomUUID();
    await db.query(
      `INSERT INTO business.webhook_events (id, tenant_id, event_type, envelope, occurred_at, created_at)
       VALUES ($1, $2, 'conversation_started', '{}', $3, $3)`,
      [eventId, tenant, createdAt],
    );
    for (const { webhookId, status } of deliveries) {
      const [message] = await db.query<{ id: string }[]>(
        `INSERT INTO business.webhook_messages (tenant_id, webhook_id, event_id, status, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
        [tenant, webhookId, eventId, status, createdAt],
      );
      await db.query(
        `INSERT INTO business.webhook_delivery_logs (tenant_id, webhook_id, message_id, event_id, event_type, attempt, request_url, duration_ms, success, created_at)
         VALUES ($1, $2, $3, $4, 'conversation_started', 1, 'http://127.0.0.1:9/hook', 1, $5, $6)`,
        [tenant, webhookId, message!.id, eventId, status === 'delivered', createdAt],
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

  /** Messages, log rows and tombstones of one webhook. */
  const historyOf = async (webhookId: string): Promise<{ messages: number; logs: number; tombstones: number }> =>
    (
      await db.query<{ messages: number; logs: number; tombstones: number }[]>(
        `SELECT (SELECT count(*)::int FROM business.webhook_messages WHERE webhook_id = $1) AS messages,
                (SELECT count(*)::int FROM business.webhook_delivery_logs WHERE webhook_id = $1) AS logs,
                (SELECT count(*)::int FROM business.webhook_purges WHERE webhook_id = $1) AS tombstones`,
        [webhookId],
      )
    )[0]!;

  it('deleting a webhook touches none of its history (no cascade, whatever its size) and leaves a tombstone', async () => {
    const a = await insertWebhook();
    const other = await insertWebhook();
    for (let i = 0; i < 30; i++) await insertEvent(new Date(), [{ webhookId: a, status: 'delivered' }, { webhookId: other, status: 'delivered' }]);
    // A webhook deleted under EXPLAIN ANALYZE (the statement runs): no foreign key points at webhooks any more, so no
    // cascade trigger runs and its history is not read. The one trigger is the change notification (one NOTIFY).
    const explained = await insertWebhook();
    for (let i = 0; i < 5; i++) await insertEvent(new Date(), [{ webhookId: explained, status: 'delivered' }]);
    const [row] = await db.query<{ 'QUERY PLAN': { Triggers?: { 'Trigger Name': string; Calls: number }[] }[] }[]>(
      `EXPLAIN (ANALYZE, FORMAT JSON) DELETE FROM business.webhooks WHERE id = $1`,
      [explained],
    );
    const plan = row!['QUERY PLAN'][0]!;
    expect(await historyOf(explained)).toEqual({ messages: 5, logs: 5, tombstones: 0 });
    expect((plan.Triggers ?? []).map((t) => [t['Trigger Name'], t.Calls])).toEqual([['webhooks_notify_deleted', 1]]);

    expect(await webhooks.delete(asTenant(randomUUID()), a)).toBe(false); // another tenant's webhook: not found
    expect(await webhooks.delete(asTenant(tenantId), a)).toBe(true);
    expect(await webhooks.delete(asTenant(tenantId), a)).toBe(false); // already gone
    expect(await historyOf(a)).toEqual({ messages: 30, logs: 30, tombstones: 1 });
    expect(await historyOf(other)).toEqual({ messages: 30, logs: 30, tombstones: 0 });
  });

  it("purges a deleted webhook's messages and logs in batches; keeps the tombstone through the grace period for late writes", async () => {
    const a = await insertWebhook();
    const other = await insertWebhook();
    const otherTenant = randomUUID();
    const foreign = await insertWebhook(otherTenant);
    const past = new Date(Date.now() - 60_000);
    for (let i = 0; i < 23; i++) await insertEvent(past, [{ webhookId: a, status: i % 3 === 0 ? 'pending' : 'delivered' }, { webhookId: other, status: 'delivered' }]);
    for (let i = 0; i < 3; i++) await insertEvent(past, [{ webhookId: foreign, status: 'delivered' }], otherTenant);
    expect(await webhooks.delete(asTenant(tenantId), a)).toBe(true);

    const now = Date.now();
    // Within the grace period: the history goes (in batches of 4, 23 rows each), the tombstone stays.
    expect(await webhooks.purgeDeleted(new Date(now), { graceMs: 10 * MINUTE_MS, batchSize: 4 })).toEqual({ webhooks: 0, messages: 23, logs: 23 });
    expect(await historyOf(a)).toEqual({ messages: 0, logs: 0, tombstones: 1 });

    // A delivery that was in flight when the webhook was deleted writes its log row (and a fan-out its message) late.
    await insertEvent(new Date(), [{ webhookId: a, status: 'delivered' }]);
    expect(await historyOf(a)).toEqual({ messages: 1, logs: 1, tombstones: 1 });
    expect(await webhooks.purgeDeleted(new Date(now + 11 * MINUTE_MS), { graceMs: 10 * MINUTE_MS, batchSize: 4 })).toEqual({
      webhooks: 1,
      messages: 1,
      logs: 1,
    });
    expect(await historyOf(a)).toEqual({ messages: 0, logs: 0, tombstones: 0 });
    expect(await webhooks.purgeDeleted(new Date(now + 12 * MINUTE_MS), { graceMs: 10 * MINUTE_MS })).toEqual({ webhooks: 0, messages: 0, logs: 0 });

    // Nothing else was touched: the tenant's other webhook, another tenant's webhook, the events themselves.
    expect(await historyOf(other)).toEqual({ messages: 23, logs: 23, tombstones: 0 });
    expect(await historyOf(foreign)).toEqual({ messages: 3, logs: 3, tombstones: 0 });
    expect(await count('webhook_events')).toBe(23 + 3 + 1);
  });

  it("the purge reads one webhook's messages and logs through their (tenant_id, webhook_id, created_at) indexes", async () => {
    const explain = (target: (typeof WEBHOOK_HISTORY_PURGE)['messages']) =>
      db.transaction(async (manager) => {
        await manager.query('SET LOCAL enable_seqscan = off');
        const rows = await manager.query<{ 'QUERY PLAN': string }[]>(`EXPLAIN ${keysetSweepStatement(target)}`, [new Date(), null, 10, tenantId, randomUUID()]);
        return rows.map((r) => r['QUERY PLAN']).join('\n');
      });
    // One range of the index per batch: both scope columns and the key are index conditions (not filters).
    const rangeScan = (index: string) =>
      new RegExp(`Index Scan (Backward )?using ${index} on \\w+ t .*\\n\\s+Index Cond: \\(\\(tenant_id = .*\\) AND \\(webhook_id = .*\\) AND \\(created_at < `);
    expect(await explain(WEBHOOK_HISTORY_PURGE.messages)).toMatch(rangeScan('webhook_messages_tenant_webhook_idx'));
    expect(await explain(WEBHOOK_HISTORY_PURGE.logs)).toMatch(rangeScan('webhook_delivery_logs_tenant_webhook_idx'));
  });

  it('a scoped sweep needs its scope values (and an unscoped one takes none)', async () => {
    await expect(keysetSweep(db, WEBHOOK_HISTORY_PURGE.messages, new Date(), 10)).rejects.toThrow(/scope and its values go together/);
    await expect(keysetSweep(db, WEBHOOK_EVENT_SWEEP, new Date(), 10, [tenantId])).rejects.toThrow(/scope and its values go together/);
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
