import {
  type IsolatedEnvironment,
  type RunningService,
  TestTenants,
  isolatedEnvironment,
  request,
  startService,
  waitFor,
} from '@chatbot/testing';
import { agentsApiDefinition } from '../../agents-api/src/app.definition';
import { workerDefinition } from '../../worker/src/app.definition';
import { widgetApiDefinition } from '../src/app.definition';

/**
 * The whole path of the widget config: agents-api writes agent_updated / kb_status_changed / agent_deleted to the
 * outbox, the worker relays and hands them to the widget-projection queue, widget-api applies them to its own
 * projection and serves the config. No service reads another's schema.
 */
describe('widget config fed by agents-api events through the worker (real Postgres + Redis)', () => {
  let isolated: IsolatedEnvironment;
  let agents: RunningService;
  let worker: RunningService;
  let widget: RunningService;
  let tenants: TestTenants;

  beforeAll(async () => {
    isolated = await isolatedEnvironment();
    const env = { ...isolated.env, OUTBOX_POLL_INTERVAL_MS: '200', WIDGET_CONFIG_CACHE_TTL_MS: '100' };
    agents = await startService(agentsApiDefinition, { env });
    worker = await startService(workerDefinition, { env });
    widget = await startService(widgetApiDefinition, { env });
    tenants = await TestTenants.open(isolated.env);
  });

  afterAll(async () => {
    await widget?.close();
    await worker?.close();
    await agents?.close();
    await tenants?.close();
    await isolated?.drop();
  });

  const config = (tenantId: string, chatbot: string) =>
    request<Record<string, unknown>>('GET', `${widget.baseUrl}/api/widget/config?tenant=${tenantId}&chatbot=${chatbot}`);

  it('create → config appears; edit → config changes; knowledge base → status; delete → 404', async () => {
    const t = await tenants.create('business');
    const created = await request<{ data: { ID: string } }>('POST', `${agents.baseUrl}/v3/agents`, {
      key: t.apiKey,
      body: { agent: { title: 'Flow bot', welcomeMessage: 'Welcome!', vg_prompt: 'secret prompt', allowedOrigins: ['https://shop.example'] } },
    });
    expect(created.status).toBe(200);
    const id = created.body.data.ID;

    await waitFor(async () => (await config(t.tenantId, id)).status === 200, { timeoutMs: 15000, what: 'the projection of the new agent' });
    const first = await config(t.tenantId, id);
    expect(first.body).toMatchObject({ botName: 'Flow bot', welcomeMessage: 'Welcome!', isActive: true, knowledgeBaseStatus: 'empty' });
    expect(first.text).not.toContain('secret prompt');

    await request('POST', `${agents.baseUrl}/v3/agents/${id}`, { key: t.apiKey, body: { agent: { title: 'Renamed bot', disabled: true } } });
    await waitFor(async () => (await config(t.tenantId, id)).body['botName'] === 'Renamed bot', { timeoutMs: 15000, what: 'the edit' });
    expect((await config(t.tenantId, id)).body['isActive']).toBe(false);

    const kb = await request('POST', `${agents.baseUrl}/v3/agents/${id}/kb`, { key: t.apiKey, body: { name: 'FAQ', content: 'We open at nine.' } });
    expect(kb.status).toBeLessThan(300);
    await waitFor(async () => (await config(t.tenantId, id)).body['knowledgeBaseStatus'] === 'ready', { timeoutMs: 15000, what: 'the KB status' });

    await request('DELETE', `${agents.baseUrl}/v3/agents/${id}`, { key: t.apiKey });
    await waitFor(async () => (await config(t.tenantId, id)).status === 404, { timeoutMs: 15000, what: 'the deletion' });
  });
});
