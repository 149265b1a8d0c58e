import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { Webhook } from 'standardwebhooks';
import { type RunningService, TestTenants, WebhookReceiver, request, startService } from '@chatbot/testing';
import { businessApiDefinition } from '../src/app.definition';

interface WebhookBody {
  id: string;
  event_type: string;
  webhook_url: string;
  http_method: string;
  headers: Record<string, string>;
  payload_template: string | null;
  retry_config: { max_retries: number; backoff: string; initial_delay_ms?: number };
  is_active: boolean;
  secret?: string;
}
interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: { field: string; problems: string[] }[];
}

describe('business-api: tenant webhooks (real Postgres + Redis)', () => {
  let api: RunningService;
  let tenants: TestTenants;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    tenants = await TestTenants.open();
    api = await startService(businessApiDefinition);
    receiver = await WebhookReceiver.start();
  });

  afterAll(async () => {
    await api?.close();
    await tenants?.close();
    await receiver?.close();
  });

  const url = (path = '') => `${api.baseUrl}/api/chatbot-webhooks${path}`;
  const create = (key: string, body: Record<string, unknown>, headers?: Record<string, string>) =>
    request<WebhookBody & ErrorBody>('POST', url(), { key, body, ...(headers ? { headers } : {}) });

  it('creates a webhook with the seed fields, defaults, and a whsec_ signing secret shown once', async () => {
    const t = await tenants.create();
    const res = await create(t.apiKey, { event_type: 'lead_captured', webhook_url: receiver.url() }, { 'x-tenant-id': t.tenantId });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      event_type: 'lead_captured',
      webhook_url: receiver.url(),
      http_method: 'POST',
      headers: {},
      is_active: true,
      retry_config: { max_retries: 5, backoff: 'exponential' },
      payload_template: null,
    });
    expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(res.body.secret!.slice(6), 'base64').length).toBeGreaterThanOrEqual(24);

    const listed = await request<WebhookBody[]>('GET', url(), { key: t.apiKey });
    expect(listed.status).toBe(200);
    expect(listed.body).toHaveLength(1);
    expect(listed.body[0]).not.toHaveProperty('secret');
  });

  it('lists with event_type and is_active filters', async () => {
    const t = await tenants.create();
    await create(t.apiKey, { event_type: 'lead_captured', webhook_url: receiver.url() });
    await create(t.apiKey, { event_type: 'message_sent', webhook_url: receiver.url(), is_active: false });
    await create(t.apiKey, { event_type: 'message_sent', webhook_url: receiver.url() });
    const byType = await request<WebhookBody[]>('GET', url('?event_type=message_sent'), { key: t.apiKey });
    expect(byType.body.map((w) => w.event_type)).toEqual(['message_sent', 'message_sent']);
    const inactive = await request<WebhookBody[]>('GET', url('?is_active=false'), { key: t.apiKey });
    expect(inactive.body).toHaveLength(1);
    expect(inactive.body[0]!.is_active).toBe(false);
    const both = await request<WebhookBody[]>('GET', url('?event_type=message_sent&is_active=true'), { key: t.apiKey });
    expect(both.body).toHaveLength(1);
  });

  it('PUT updates any subset of fields; GET shows them; headers are masked after creation', async () => {
    const t = await tenants.create();
    const created = await create(t.apiKey, {
      event_type: 'ticket_created',
      webhook_url: receiver.url(),
      headers: { Authorization: 'Bearer super-secret-token' },
    });
    expect(created.body.headers).toEqual({ Authorization: 'Bearer super-secret-token' });
    const updated = await request<WebhookBody>('PUT', url(`/${created.body.id}`), {
      key: t.apiKey,
      body: { http_method: 'PUT', retry_config: { max_retries: 2, backoff: 'linear', initial_delay_ms: 1000 }, is_active: false },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({
      id: created.body.id,
      event_type: 'ticket_created',
      http_method: 'PUT',
      is_active: false,
      retry_config: { max_retries: 2, backoff: 'linear', initial_delay_ms: 1000 },
    });
    expect(updated.body.headers['Authorization']).toBe('Be****en');
    const fetched = await request<WebhookBody>('GET', url(`/${created.body.id}`), { key: t.apiKey });
    expect(fetched.body).toEqual(updated.body);
  });

  it('DELETE answers {success, message}; the webhook is then 404', async () => {
    const t = await tenants.create();
    const created = await create(t.apiKey, { event_type: 'conversation_ended', webhook_url: receiver.url() });
    const deleted = await request<{ success: boolean; message: string }>('DELETE', url(`/${created.body.id}`), { key: t.apiKey });
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ success: true, message: expect.stringContaining(created.body.id) });
    expect((await request('GET', url(`/${created.body.id}`), { key: t.apiKey })).status).toBe(404);
    expect((await request('DELETE', url(`/${created.body.id}`), { key: t.apiKey })).status).toBe(404);
  });

  it('stores the signing secret and custom headers only encrypted', async () => {
    const t = await tenants.create();
    const created = await create(t.apiKey, {
      event_type: 'lead_captured',
      webhook_url: receiver.url(),
      headers: { 'X-Api-Token': 'plaintext-header-value-123' },
    });
    const client = new Client({ connectionString: process.env['DATABASE_URL'] });
    await client.connect();
    try {
      const { rows } = await client.query<Record<string, string>>('SELECT * FROM business.webhooks WHERE id = $1', [created.body.id]);
      const dump = JSON.stringify(rows[0]);
      expect(dump).not.toContain('plaintext-header-value-123');
      expect(dump).not.toContain(created.body.secret!.slice(6));
      expect(rows[0]!['secret_encrypted']).toMatch(/^v1:dev:/);
    } finally {
      await client.end();
    }
  });

  it('test: sends a signed sample event synchronously; an independent verifier accepts it; the attempt is logged', async () => {
    const t = await tenants.create();
    const created = await create(t.apiKey, {
      event_type: 'lead_captured',
      webhook_url: receiver.url('/test-ok'),
      headers: { 'X-Custom': 'yes' },
    });
    receiver.respond(() => ({ status: 200, body: 'thanks' }));
    const res = await request<{ success: boolean; status_code: number; message: string }>('POST', url(`/${created.body.id}/test`), { key: t.apiKey });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true, status_code: 200, message: expect.any(String) });

    const [received] = receiver.on('/test-ok');
    expect(received).toBeDefined();
    expect(received!.headers['x-custom']).toBe('yes');
    expect(received!.headers['content-type']).toBe('application/json');
    const verified = new Webhook(created.body.secret!).verify(received!.body, {
      'webhook-id': String(received!.headers['webhook-id']),
      'webhook-timestamp': String(received!.headers['webhook-timestamp']),
      'webhook-signature': String(received!.headers['webhook-signature']),
    }) as { type: string; data: { email: string } };
    expect(verified.type).toBe('lead_captured');
    expect(verified.data.email).toBe('jane@example.com');
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(received!.body, received!.headers as Record<string, string>)).toThrow();

    const logs = await request<Record<string, unknown>[]>('GET', url(`/${created.body.id}/logs`), { key: t.apiKey });
    expect(logs.status).toBe(200);
    expect(logs.body).toHaveLength(1);
    expect(logs.body[0]).toMatchObject({
      event_type: 'lead_captured',
      response_status: 200,
      error_message: null,
      retry_count: 0,
      success: true,
      is_test: true,
      response_body: 'thanks',
      request_url: receiver.url('/test-ok'),
    });
    expect(logs.body[0]!['duration_ms']).toEqual(expect.any(Number));
  });

  it('test: a failing endpoint answers success false with its status', async () => {
    const t = await tenants.create();
    const created = await create(t.apiKey, { event_type: 'message_sent', webhook_url: receiver.url('/test-500') });
    receiver.respond(() => ({ status: 500, body: 'boom' }));
    const res = await request<{ success: boolean; status_code: number; message: string }>('POST', url(`/${created.body.id}/test`), { key: t.apiKey });
    expect(res.body).toEqual({ success: false, status_code: 500, message: expect.stringContaining('500') });
    receiver.respond(() => ({ status: 200 }));
  });

  it('test: an unreachable endpoint answers success false without a status', async () => {
    const t = await tenants.create();
    const created = await create(t.apiKey, { event_type: 'message_sent', webhook_url: 'http://127.0.0.1:1/closed' });
    const res = await request<{ success: boolean; status_code: number | null; message: string }>('POST', url(`/${created.body.id}/test`), { key: t.apiKey });
    expect(res.body.success).toBe(false);
    expect(res.body.status_code).toBeNull();
  });

  it('rotate-secret: both the new and the old secret verify for the overlap window', async () => {
    const t = await tenants.create();
    const created = await create(t.apiKey, { event_type: 'lead_captured', webhook_url: receiver.url('/rotated') });
    const rotated = await request<{ id: string; secret: string; previous_secret_expires_at: string }>('POST', url(`/${created.body.id}/rotate-secret`), {
      key: t.apiKey,
    });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(created.body.secret);
    const overlap = new Date(rotated.body.previous_secret_expires_at).getTime() - Date.now();
    expect(overlap).toBeGreaterThan(23.9 * 3600_000);
    expect(overlap).toBeLessThanOrEqual(24 * 3600_000);

    await request('POST', url(`/${created.body.id}/test`), { key: t.apiKey });
    const [received] = receiver.on('/rotated');
    const headers = {
      'webhook-id': String(received!.headers['webhook-id']),
      'webhook-timestamp': String(received!.headers['webhook-timestamp']),
      'webhook-signature': String(received!.headers['webhook-signature']),
    };
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(rotated.body.secret).verify(received!.body, headers)).not.toThrow();
    expect(() => new Webhook(created.body.secret!).verify(received!.body, headers)).not.toThrow();
  });

  describe('bad input on every field: 400 naming the problem', () => {
    let key: string;
    let id: string;
    beforeAll(async () => {
      const t = await tenants.create();
      key = t.apiKey;
      id = (await create(key, { event_type: 'lead_captured', webhook_url: receiver.url() })).body.id;
    });

    const base = { event_type: 'lead_captured', webhook_url: 'https://example.com/hook' };
    it.each<[string, Record<string, unknown>, RegExp]>([
      ['missing event_type', { webhook_url: 'https://example.com' }, /event_type/],
      ['unknown event_type', { ...base, event_type: 'agent_updated' }, /event_type must be one of/],
      ['missing webhook_url', { event_type: 'lead_captured' }, /webhook_url/],
      ['webhook_url not a URL', { ...base, webhook_url: 'not a url' }, /absolute URL/],
      ['webhook_url ftp', { ...base, webhook_url: 'ftp://example.com/x' }, /http or https/],
      ['webhook_url with credentials', { ...base, webhook_url: 'https://user:pass@example.com/x' }, /credentials/],
      ['webhook_url too long', { ...base, webhook_url: `https://example.com/${'a'.repeat(2100)}` }, /webhook_url/],
      ['http_method DELETE', { ...base, http_method: 'DELETE' }, /http_method must be one of/],
      ['headers not an object', { ...base, headers: 'Authorization: x' }, /headers must be an object/],
      ['hop-by-hop header', { ...base, headers: { Connection: 'close' } }, /hop-by-hop/],
      ['signature header', { ...base, headers: { 'Webhook-Signature': 'v1,x' } }, /reserved/],
      ['non-string header value', { ...base, headers: { 'X-N': 5 } }, /must be a string/],
      ['header with newline', { ...base, headers: { 'X-N': 'a\r\nInjected: 1' } }, /line breaks/],
      ['invalid header name', { ...base, headers: { 'bad name': 'x' } }, /not a valid HTTP token/],
      ['payload_template not JSON', { ...base, payload_template: '{"a": {{conversation_id}}' }, /payload_template/],
      ['payload_template unknown variable', { ...base, payload_template: '{"a":"{{no_such_var}}"}' }, /no_such_var/],
      ['payload_template a number', { ...base, payload_template: 42 }, /payload_template/],
      ['retry_config.max_retries 16', { ...base, retry_config: { max_retries: 16, backoff: 'fixed' } }, /max_retries must not be greater than 15/],
      ['retry_config.max_retries -1', { ...base, retry_config: { max_retries: -1, backoff: 'fixed' } }, /max_retries must not be less than 0/],
      ['retry_config.backoff', { ...base, retry_config: { max_retries: 1, backoff: 'random' } }, /backoff must be one of/],
      ['retry_config unknown key', { ...base, retry_config: { max_retries: 1, backoff: 'fixed', jitter: false } }, /jitter should not exist/],
      ['retry_config.initial_delay_ms', { ...base, retry_config: { max_retries: 1, backoff: 'fixed', initial_delay_ms: 1 } }, /initial_delay_ms/],
      ['is_active string', { ...base, is_active: 'yes' }, /is_active must be a boolean/],
      ['unknown field', { ...base, secret: 'mine' }, /property secret should not exist/],
    ])('create: %s', async (_label, body, pattern) => {
      const res = await request<ErrorBody>('POST', url(), { key, body });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('Bad Request');
      expect(res.body.message).toMatch(pattern);
    });

    it('reports every bad field at once', async () => {
      const res = await request<ErrorBody>('POST', url(), {
        key,
        body: { ...base, webhook_url: 'ftp://x', headers: { Host: 'x' }, payload_template: '{"a":"{{nope}}"}' },
      });
      expect(res.status).toBe(400);
      expect(res.body.details?.map((d) => d.field).sort()).toEqual(['headers', 'payload_template', 'webhook_url']);
    });

    it.each<[string, Record<string, unknown>]>([
      ['bad url', { webhook_url: 'nope' }],
      ['bad method', { http_method: 'TRACE' }],
      ['bad type', { event_type: 'x' }],
      ['unknown field', { colour: 'red' }],
    ])('update: %s', async (_label, body) => {
      expect((await request('PUT', url(`/${id}`), { key, body })).status).toBe(400);
    });

    it.each([
      ['list is_active=maybe', 'GET', '?is_active=maybe'],
      ['list event_type=x', 'GET', '?event_type=x'],
      ['logs limit=0', 'GET', `/${'ID'}/logs?limit=0`],
      ['logs limit=abc', 'GET', `/${'ID'}/logs?limit=abc`],
      ['logs offset=-1', 'GET', `/${'ID'}/logs?offset=-1`],
    ])('query: %s', async (_label, method, path) => {
      expect((await request(method, url(path.replace('ID', id)), { key })).status).toBe(400);
    });

    it.each([
      ['not a date', { since: 'yesterday' }],
      ['missing', {}],
      ['in the future', { since: new Date(Date.now() + 86400000).toISOString() }],
    ])('recover: since %s', async (_label, body) => {
      expect((await request('POST', url(`/${id}/recover`), { key, body })).status).toBe(400);
    });

    it('malformed JSON', async () => {
      expect((await request('POST', url(), { key, rawBody: '{"event_type":' })).status).toBe(400);
    });
  });

  it("another tenant's webhook is 404 on every route; so are unknown and malformed ids", async () => {
    const owner = await tenants.create();
    const other = await tenants.create();
    const id = (await create(owner.apiKey, { event_type: 'lead_captured', webhook_url: receiver.url() })).body.id;
    const logs = (await request<{ id: string }[]>('GET', url(`/${id}/logs`), { key: owner.apiKey })).body;
    const logId = logs[0]?.id ?? randomUUID();
    const routes: [string, string, unknown?][] = [
      ['GET', `/${id}`],
      ['PUT', `/${id}`, { is_active: false }],
      ['DELETE', `/${id}`],
      ['POST', `/${id}/test`],
      ['GET', `/${id}/logs`],
      ['POST', `/${id}/rotate-secret`],
      ['POST', `/${id}/logs/${logId}/redeliver`],
      ['POST', `/${id}/recover`, { since: new Date(0).toISOString() }],
    ];
    for (const [method, path, body] of routes) {
      const res = await request<ErrorBody>(method, url(path), { key: other.apiKey, ...(body ? { body } : {}) });
      expect([method, path, res.status]).toEqual([method, path, 404]);
      for (const unknown of [randomUUID(), 'not-a-uuid']) {
        const probe = await request(method, url(path.replace(id, unknown)), { key: owner.apiKey, ...(body ? { body } : {}) });
        expect([method, path, unknown, probe.status]).toEqual([method, path, unknown, 404]);
      }
    }
    // Nothing was changed by the other tenant's attempts.
    const still = await request<WebhookBody>('GET', url(`/${id}`), { key: owner.apiKey });
    expect(still.body.is_active).toBe(true);
    expect((await request<WebhookBody[]>('GET', url(), { key: other.apiKey })).body).toEqual([]);
  });

  it('every route needs the API key, and X-Tenant-ID must match it', async () => {
    const t = await tenants.create();
    const other = await tenants.create();
    expect((await request('GET', url())).status).toBe(401);
    expect((await request('GET', url(), { headers: { 'x-tenant-id': t.tenantId } })).status).toBe(401);
    expect((await request('GET', url(), { key: t.apiKey, headers: { 'x-tenant-id': other.tenantId } })).status).toBe(403);
  });
});
