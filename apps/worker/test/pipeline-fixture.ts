import { createDataSource } from '@chatbot/database';
import { EVENTS_ENTITIES, type EventEnvelope, type EventPayloads, type EventType, writeOutboxEvent } from '@chatbot/events';
import {
  type IsolatedEnvironment,
  type RunningService,
  TestTenants,
  WebhookReceiver,
  isolatedEnvironment,
  request,
  startService,
} from '@chatbot/testing';
import type { DataSource } from 'typeorm';
import { businessApiDefinition } from '../../business-api/src/app.definition';
import { workerDefinition } from '../src/app.definition';

export interface CreatedWebhook {
  id: string;
  secret: string;
}

/**
 * A whole pipeline for one test file: its own database and Redis prefix, business-api, a worker, a receiver, and a
 * producer that writes events to the outbox exactly as agents-api does (in a transaction).
 */
export class PipelineFixture {
  private constructor(
    readonly isolated: IsolatedEnvironment,
    readonly api: RunningService,
    readonly worker: RunningService,
    readonly tenants: TestTenants,
    readonly receiver: WebhookReceiver,
    readonly db: DataSource,
  ) {}

  static async start(workerEnv: Record<string, string> = {}): Promise<PipelineFixture> {
    const isolated = await isolatedEnvironment();
    const env = { ...isolated.env, QUEUE_STALLED_INTERVAL_MS: '1000', QUEUE_LOCK_DURATION_MS: '3000', OUTBOX_POLL_INTERVAL_MS: '200' };
    const api = await startService(businessApiDefinition, { env });
    const worker = await startService(workerDefinition, { env: { ...env, ...workerEnv } });
    const tenants = await TestTenants.open(isolated.env);
    const receiver = await WebhookReceiver.start();
    const db = await createDataSource({ url: isolated.env['DATABASE_URL']!, entities: EVENTS_ENTITIES }).initialize();
    return new PipelineFixture(isolated, api, worker, tenants, receiver, db);
  }

  async stop(): Promise<void> {
    await this.worker.close();
    await this.api.close();
    await this.tenants.close();
    await this.receiver.close();
    await this.db.destroy();
    await this.isolated.drop();
  }

  async createWebhook(key: string, body: Record<string, unknown>): Promise<CreatedWebhook> {
    const res = await request<CreatedWebhook>('POST', `${this.api.baseUrl}/api/chatbot-webhooks`, { key, body });
    if (res.status !== 201) throw new Error(`create webhook failed: ${res.status} ${res.text}`);
    return res.body;
  }

  produce<T extends EventType>(tenantId: string, type: T, data: EventPayloads[T]): Promise<EventEnvelope<T>> {
    return this.db.transaction((manager) => writeOutboxEvent(manager, { tenantId, type, data }));
  }

  api$(method: string, path: string, key: string, body?: unknown) {
    return request<Record<string, unknown> & Record<string, unknown>[]>(method, `${this.api.baseUrl}/api/chatbot-webhooks${path}`, {
      key,
      ...(body !== undefined ? { body } : {}),
    });
  }
}

export const lead = (n = 1): EventPayloads['lead_captured'] => ({
  agent_id: 'agent_1',
  conversation_id: `conv_${n}`,
  user_id: `user_${n}`,
  lead_id: `lead_${n}`,
  email: `lead${n}@example.com`,
  phone: null,
  name: 'Jo "Quote" O\'Brien\n</script>',
});
