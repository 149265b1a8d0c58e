import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { createDataSource } from '@chatbot/database';
import { EVENTS_ENTITIES, OUTBOX_NOTIFY_CHANNEL, OutboxEventEntity, toEnvelope, writeOutboxEvent } from '@chatbot/events';
import { waitFor } from '@chatbot/testing';
import type { DataSource } from 'typeorm';

describe('transactional outbox (real Postgres)', () => {
  let dataSource: DataSource;
  let listener: Client;
  const notified: string[] = [];

  beforeAll(async () => {
    dataSource = await createDataSource({ url: process.env['DATABASE_URL']!, entities: EVENTS_ENTITIES }).initialize();
    listener = new Client({ connectionString: process.env['DATABASE_URL'] });
    await listener.connect();
    listener.on('notification', (n) => n.payload && notified.push(n.payload));
    await listener.query(`LISTEN ${OUTBOX_NOTIFY_CHANNEL}`);
  });

  afterAll(async () => {
    await listener?.end();
    await dataSource?.destroy();
  });

  const data = { agent_id: 'a1', conversation_id: 'c1', user_id: 'u1', origin: 'web-chat' as const };

  it('an event committed with its change exists and wakes the relay', async () => {
    const tenantId = randomUUID();
    const envelope = await dataSource.transaction((manager) =>
      writeOutboxEvent(manager, { tenantId, type: 'conversation_started', data, aggregateId: 'c1' }),
    );
    const row = await dataSource.getRepository(OutboxEventEntity).findOneByOrFail({ id: envelope.id });
    expect(row).toMatchObject({ tenantId, eventType: 'conversation_started', aggregateId: 'c1', publishedAt: null, attempts: 0 });
    expect(toEnvelope(row)).toEqual(envelope);
    await waitFor(() => notified.includes(envelope.id), { what: 'the NOTIFY of the committed event' });
  });

  it('a rolled-back change leaves no event and no notification', async () => {
    const tenantId = randomUUID();
    let id = '';
    await expect(
      dataSource.transaction(async (manager) => {
        id = (await writeOutboxEvent(manager, { tenantId, type: 'conversation_started', data })).id;
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await dataSource.getRepository(OutboxEventEntity).findOneBy({ id })).toBeNull();
    expect(notified).not.toContain(id);
  });

  it('refuses to write outside a transaction', async () => {
    await expect(writeOutboxEvent(dataSource.manager, { tenantId: randomUUID(), type: 'conversation_started', data })).rejects.toThrow(
      /inside a transaction/,
    );
  });
});
