import { randomBytes } from 'node:crypto';
import { blockedReason } from '@chatbot/webhooks';
import { type RunningService, TestTenants, WebhookReceiver, request, startService } from '@chatbot/testing';
import { businessApiDefinition } from '../src/app.definition';

const production = {
  NODE_ENV: 'production',
  SECRETS_MASTER_KEYS: `prod1:${randomBytes(32).toString('base64')}`,
  WEBHOOK_SSRF_PROTECTION: 'auto',
};

describe('webhooks in production mode: HTTPS only, and the SSRF guard refuses internal addresses', () => {
  let api: RunningService;
  let allowlisted: RunningService;
  let tenants: TestTenants;
  let key: string;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    tenants = await TestTenants.open();
    key = (await tenants.create()).apiKey;
    receiver = await WebhookReceiver.start();
    api = await startService(businessApiDefinition, { env: production });
    allowlisted = await startService(businessApiDefinition, { env: { ...production, WEBHOOK_SSRF_ALLOWLIST: '127.0.0.1/32' } });
  });

  afterAll(async () => {
    await api?.close();
    await allowlisted?.close();
    await tenants?.close();
    await receiver?.close();
  });

  const testSend = async (service: RunningService, webhookUrl: string) => {
    const created = await request<{ id: string }>('POST', `${service.baseUrl}/api/chatbot-webhooks`, {
      key,
      body: { event_type: 'lead_captured', webhook_url: webhookUrl },
    });
    expect(created.status).toBe(201);
    return request<{ success: boolean; status_code: number | null; message: string }>(
      'POST',
      `${service.baseUrl}/api/chatbot-webhooks/${created.body.id}/test`,
      { key },
    );
  };

  it('refuses plain HTTP webhook URLs at creation', async () => {
    const res = await request<{ message: string }>('POST', `${api.baseUrl}/api/chatbot-webhooks`, {
      key,
      body: { event_type: 'lead_captured', webhook_url: receiver.url() },
    });
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('https');
  });

  // Loopback first: these exercise the connect path on this machine only.
  it.each([
    ['loopback', 'https://127.0.0.1:9/'],
    ['loopback (other address in 127/8)', 'https://127.1.2.3:9/'],
    ['IPv6 loopback', 'https://[::1]:9/'],
    ['hostname resolving to loopback', 'https://localhost:9/'],
    ['unspecified', 'https://0.0.0.0:9/'],
    ['IPv4-mapped IPv6 loopback', 'https://[::ffff:127.0.0.1]:9/'],
  ])('refuses %s (%s)', async (_label, url) => {
    const res = await testSend(api, url);
    expect(res.body.success).toBe(false);
    expect(res.body.status_code).toBeNull();
    expect(res.body.message).toMatch(/refused to connect/);
  });

  // The guard refuses these before any connection is attempted; the classification is asserted first so a broken
  // guard fails here rather than sending a packet anywhere.
  it.each([
    ['RFC 1918 10/8', '10.0.0.1', 'https://10.0.0.1/'],
    ['RFC 1918 172.16/12', '172.16.5.4', 'https://172.16.5.4/'],
    ['RFC 1918 192.168/16', '192.168.1.1', 'https://192.168.1.1/'],
    ['link-local / cloud metadata', '169.254.169.254', 'https://169.254.169.254/latest/meta-data/'],
    ['CGNAT 100.64/10', '100.64.0.1', 'https://100.64.0.1/'],
    ['unique-local IPv6 fc00::/7', 'fd00::1', 'https://[fd00::1]/'],
    ['link-local IPv6 fe80::/10', 'fe80::1', 'https://[fe80::1]/'],
    ['IPv4-mapped IPv6 private', '::ffff:10.1.2.3', 'https://[::ffff:10.1.2.3]/'],
    ['IPv4-mapped IPv6 metadata', '::ffff:169.254.169.254', 'https://[::ffff:a9fe:a9fe]/'],
  ])('refuses %s', async (_label, ip, url) => {
    expect(blockedReason(ip)).not.toBeNull();
    const res = await testSend(api, url);
    expect(res.body.success).toBe(false);
    expect(res.body.message).toMatch(/refused to connect/);
  });

  it('the allowlist lets a listed internal address through (the attempt then reaches the server)', async () => {
    const res = await testSend(allowlisted, `https://127.0.0.1:${receiver.port}/tls`);
    expect(res.body.success).toBe(false);
    expect(res.body.message).not.toMatch(/refused to connect/); // the plain-HTTP receiver fails the TLS handshake instead
    expect(receiver.requests).toHaveLength(0);
  });
});
