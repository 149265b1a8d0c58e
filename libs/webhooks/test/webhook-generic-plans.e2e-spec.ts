import { randomUUID } from 'node:crypto';
import { genericPlanPool } from '@chatbot/database';
import type { EventEnvelope } from '@chatbot/events';
import { isolatedDatabase } from '@chatbot/testing';
import { DELIVERY_CONTEXTS_STATEMENT, FANOUT_STATEMENT, WEBHOOK_ENTITIES, WebhookMessageRepository } from '@chatbot/webhooks';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';

/**
 * The worker plans its named hot-path statements once per connection (`genericPlanPoolSize`). A generic plan is made
 * without the arrays' contents, possibly while the tables are empty or tiny, and is kept until they are analyzed: it
 * must not scan a table whole. The generic-plan pool here has one connection, so `pg_prepared_statements` and
 * `EXPLAIN EXECUTE` on it see the very statements the repository prepared.
 */
describe('webhook hot path: named statements with generic plans (real Postgres, own database)', () => {
  const database = isolatedDatabase();
  const open = (genericPlanPoolSize: number): Promise<DataSource> => database.open({ entities: WEBHOOK_ENTITIES, poolSize: 1, genericPlanPoolSize });
  const generic = (db: DataSource): Pool => genericPlanPool(db)!;

  const insertWebhook = async (db: DataSource, tenantId: string): Promise<string> => {
    const rows = await db.query<{ id: string }[]>(
      `INSERT INTO business.webhooks (tenant_id, event_type, webhook_url, retry_config, secret_encrypted)
       VALUES ($1, 'conversation_started', 'http://127.0.0.1:9/hook', '{"max_retries":0,"backoff":"fixed"}', 'x') RETURNING id`,
      [tenantId],
    );
    return rows[0]!.id;
  };

  const event = (tenantId: string): EventEnvelope<'conversation_started'> => ({
    id: randomUUID(),
    type: 'conversation_started',
    tenant_id: tenantId,
    occurred_at: new Date().toISOString(),
    data: { agent_id: 'a1', conversation_id: 'c1', user_id: 'u1', origin: 'web-chat' },
  });

  /** How the cached plan of `name` reads the business tables (EXPLAIN EXECUTE shows the plan the next call uses). */
  const scans = async (db: DataSource, name: string, args: string): Promise<string[]> => {
    const plan = await generic(db).query<{ 'QUERY PLAN': string }>(`EXPLAIN (COSTS OFF) EXECUTE ${name}(${args})`);
    return plan.rows
      .map((r) => r['QUERY PLAN'].trim().replace(/^->\s*/, ''))
      .filter((line) => /Scan\b.* on (webhooks|webhook_messages|webhook_events)\b/.test(line));
  };

  const prepared = async (db: DataSource) =>
    (
      await generic(db).query<{ name: string; generic_plans: string; custom_plans: string }>(
        `SELECT name, generic_plans::text, custom_plans::text FROM pg_prepared_statements WHERE name LIKE 'webhooks_%' ORDER BY name`,
      )
    ).rows;

  const FANOUT_ARGS = `ARRAY[gen_random_uuid()], ARRAY[gen_random_uuid()], ARRAY['conversation_started'], ARRAY['{}'::jsonb], ARRAY[now()]`;
  const CONTEXT_ARGS = `ARRAY[gen_random_uuid()], ARRAY[gen_random_uuid()], ARRAY[gen_random_uuid()]`;

  it('on empty, never-analyzed tables: one generic plan each, every table reached through an index, results right', async () => {
    const db = await open(1);
    const stats = await db.query<{ relname: string; reltuples: number }[]>(
      `SELECT relname, reltuples FROM pg_class WHERE relname IN ('webhooks', 'webhook_messages', 'webhook_events') ORDER BY relname`,
    );
    expect(stats.map((x) => Number(x.reltuples))).toEqual([-1, -1, -1]); // never vacuumed or analyzed

    const repo = new WebhookMessageRepository(db);
    const tenantId = randomUUID();
    // The first call plans the statements while every table is empty.
    expect(await repo.fanOutMany([event(tenantId)])).toEqual([[]]);
    expect(await repo.deliveryContexts([{ tenantId, webhookId: randomUUID(), eventId: randomUUID() }])).toEqual([null]);

    const fanoutScans = await scans(db, FANOUT_STATEMENT.name, FANOUT_ARGS);
    const contextScans = await scans(db, DELIVERY_CONTEXTS_STATEMENT.name, CONTEXT_ARGS);
    expect(fanoutScans).toEqual([expect.stringMatching(/^Index Scan using webhooks_fanout_idx on webhooks\b/)]);
    expect(contextScans).toHaveLength(3);
    for (const line of contextScans) expect(line).toMatch(/Index Scan using (webhook_messages_event_webhook_key|webhooks_pkey|webhook_events_pkey)/);

    // The cached plans keep working as rows arrive (no re-plan: the tables are still not analyzed).
    const webhookId = await insertWebhook(db, tenantId);
    const events = [event(tenantId), event(tenantId), event(randomUUID())];
    const targets = await repo.fanOutMany(events);
    expect(targets.map((t) => t.map((x) => x.id))).toEqual([[webhookId], [webhookId], []]);
    const contexts = await repo.deliveryContexts([
      { tenantId, webhookId, eventId: events[1]!.id },
      { tenantId: randomUUID(), webhookId, eventId: events[0]!.id }, // another tenant's key finds nothing
      { tenantId, webhookId, eventId: events[0]!.id },
    ]);
    expect(contexts.map((c) => c && { webhook: c.webhook.id, message: c.messageId, status: c.messageStatus, event: c.event.id })).toEqual([
      { webhook: webhookId, message: targets[1]![0]!.newMessageId, status: 'pending', event: events[1]!.id },
      null,
      { webhook: webhookId, message: targets[0]![0]!.newMessageId, status: 'pending', event: events[0]!.id },
    ]);
    // A replayed fan-out creates nothing new.
    expect((await repo.fanOutMany([events[0]!]))[0]!.map((t) => t.newMessageId)).toEqual([null]);

    // Every execution (EXPLAIN EXECUTE included) used the generic plan: fan-out 3 + 1, contexts 2 + 1.
    expect(await prepared(db)).toEqual([
      { name: DELIVERY_CONTEXTS_STATEMENT.name, generic_plans: '3', custom_plans: '0' },
      { name: FANOUT_STATEMENT.name, generic_plans: '4', custom_plans: '0' },
    ]);
  });

  it('planned again after ANALYZE of tiny tables: still index lookups, not scans of the tables', async () => {
    const setup = await open(0);
    const tenantId = randomUUID();
    await insertWebhook(setup, tenantId);
    await new WebhookMessageRepository(setup).fanOutMany([event(tenantId)]);
    await setup.query('ANALYZE business.webhooks, business.webhook_messages, business.webhook_events');

    const db = await open(1);
    const repo = new WebhookMessageRepository(db);
    await repo.fanOutMany([event(tenantId)]);
    await repo.deliveryContexts([{ tenantId, webhookId: randomUUID(), eventId: randomUUID() }]);
    const all = [...(await scans(db, FANOUT_STATEMENT.name, FANOUT_ARGS)), ...(await scans(db, DELIVERY_CONTEXTS_STATEMENT.name, CONTEXT_ARGS))];
    expect(all).toHaveLength(4);
    for (const line of all) expect(line).not.toMatch(/Seq Scan|Bitmap Heap Scan/);
    expect((await prepared(db)).map((p) => [p.generic_plans, p.custom_plans])).toEqual([
      ['2', '0'],
      ['2', '0'],
    ]);
  });

  it('only the generic-plan pool plans once and avoids sequential scans; without one, statements run unnamed', async () => {
    const db = await open(1);
    const settings = "SELECT current_setting('plan_cache_mode') AS mode, current_setting('enable_seqscan') AS seqscan, current_setting('TimeZone') AS tz";
    expect((await generic(db).query(settings)).rows).toEqual([{ mode: 'force_generic_plan', seqscan: 'off', tz: 'UTC' }]);
    expect(await db.query(settings)).toEqual([{ mode: 'auto', seqscan: 'on', tz: 'UTC' }]);

    const plain = await open(0);
    expect(genericPlanPool(plain)).toBeNull();
    const tenantId = randomUUID();
    await insertWebhook(plain, tenantId);
    expect((await new WebhookMessageRepository(plain).fanOutMany([event(tenantId)]))[0]).toHaveLength(1);
    expect(await plain.query(`SELECT name FROM pg_prepared_statements`)).toEqual([]);
  });
});
