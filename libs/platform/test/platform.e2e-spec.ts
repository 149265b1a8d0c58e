import { PrivateRedis, type RunningService, TcpProxy, TestTenants, probeCounters, probeServiceDefinition, request, startService, waitFor } from '@chatbot/testing';

interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: { field: string; problems: string[] }[];
}

describe('platform: bad input is a 4xx in one error shape, never a 500', () => {
  let service: RunningService;
  let tenants: TestTenants;
  let key: string;

  beforeAll(async () => {
    tenants = await TestTenants.open();
    key = (await tenants.create()).apiKey;
    service = await startService(probeServiceDefinition, { env: { BODY_LIMIT_BYTES: '2048' } });
  });

  afterAll(async () => {
    await service?.close();
    await tenants?.close();
  });

  const echo = (body: unknown, headers?: Record<string, string>) =>
    request<ErrorBody>('POST', `${service.baseUrl}/test-probe/echo`, { key, body, ...(headers ? { headers } : {}) });

  it('a valid body passes through the global pipe (and is transformed)', async () => {
    const res = await request('POST', `${service.baseUrl}/test-probe/echo`, { key, body: { name: 'ok', count: 3, address: { city: 'Oslo' } } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ name: 'ok', count: 3, address: { city: 'Oslo' } });
  });

  it('malformed JSON: 400 saying so', async () => {
    const res = await request<ErrorBody>('POST', `${service.baseUrl}/test-probe/echo`, { key, rawBody: '{"name": "x",' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.stringMatching(/JSON/) });
  });

  it('wrong types: 400 naming each field', async () => {
    const res = await echo({ name: 42, count: 'many' });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('Bad Request');
    expect(res.body.message).toMatch(/^Validation failed/);
    expect(res.body.details?.map((d) => d.field).sort()).toEqual(['count', 'name']);
  });

  it('out-of-range value: 400', async () => {
    const res = await echo({ name: 'x', count: 11 });
    expect(res.status).toBe(400);
    expect(res.body.details).toEqual([{ field: 'count', problems: ['count must not be greater than 10'] }]);
  });

  it('unknown fields, top level and nested: 400', async () => {
    const res = await echo({ name: 'x', count: 1, admin: true, address: { city: 'Rome', zip: 1 } });
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('property admin should not exist');
    expect(res.body.details?.map((d) => d.field)).toEqual(expect.arrayContaining(['admin', 'address.zip']));
  });

  it('missing body: 400', async () => {
    const res = await request<ErrorBody>('POST', `${service.baseUrl}/test-probe/echo`, { key, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
  });

  it('oversized body: 413', async () => {
    const res = await echo({ name: 'x', count: 1, padding: 'y'.repeat(4096) });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ statusCode: 413, error: 'Payload Too Large', message: expect.stringMatching(/too large|larger/) });
  });

  it('unsupported media type: 415', async () => {
    const res = await request<ErrorBody>('POST', `${service.baseUrl}/test-probe/echo`, {
      key,
      rawBody: 'name=x',
      headers: { 'content-type': 'application/x-custom' },
    });
    expect(res.status).toBe(415);
    expect(res.body.statusCode).toBe(415);
  });

  it('an unexpected error is a 500 in the error shape that leaks nothing', async () => {
    const res = await request<ErrorBody>('GET', `${service.baseUrl}/test-probe/boom`);
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' });
    expect(res.text).not.toContain('kaboom');
  });

  it('auth is checked before validation: no key with a bad body is 401', async () => {
    const res = await request<ErrorBody>('POST', `${service.baseUrl}/test-probe/echo`, { body: { bad: true } });
    expect(res.status).toBe(401);
  });
});

describe('platform: readiness follows Redis and Postgres', () => {
  it('GET /health/ready turns 503 when Redis stops, and back to 200 when it returns', async () => {
    const redis = await PrivateRedis.start();
    const service = await startService(probeServiceDefinition, { env: { REDIS_URL: redis.url } });
    try {
      const ready = () => request<{ status: string; checks: Record<string, { status: string }> }>('GET', `${service.baseUrl}/health/ready`);
      expect((await ready()).status).toBe(200);

      await redis.stop();
      await waitFor(async () => (await ready()).status === 503, { timeoutMs: 5000, what: 'ready → 503' });
      const down = await ready();
      expect(down.body.status).toBe('error');
      expect(down.body.checks['redis']?.status).toBe('down');
      expect(down.body.checks['postgres']?.status).toBe('up');
      expect((await request('GET', `${service.baseUrl}/health/live`)).status).toBe(200);

      await redis.start();
      await waitFor(async () => (await ready()).status === 200, { timeoutMs: 10000, what: 'ready → 200' });
    } finally {
      await service.close();
      await redis.stop();
    }
  });

  it('GET /health/ready turns 503 when Postgres is unreachable, and back to 200', async () => {
    const target = new URL(process.env['DATABASE_URL']!);
    const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    await proxy.start();
    const viaProxy = new URL(target);
    viaProxy.port = String(proxy.port);
    const service = await startService(probeServiceDefinition, { env: { DATABASE_URL: viaProxy.toString() } });
    try {
      const ready = () => request<{ checks: Record<string, { status: string }> }>('GET', `${service.baseUrl}/health/ready`);
      expect((await ready()).status).toBe(200);
      await proxy.cut();
      await waitFor(async () => (await ready()).status === 503, { timeoutMs: 8000, what: 'ready → 503' });
      expect((await ready()).body.checks['postgres']?.status).toBe('down');
      await proxy.restore();
      await waitFor(async () => (await ready()).status === 200, { timeoutMs: 10000, what: 'ready → 200' });
    } finally {
      await service.close();
      await proxy.cut();
    }
  });
});

describe('platform: graceful shutdown', () => {
  it('finishes in-flight requests, then refuses new connections', async () => {
    const service = await startService(probeServiceDefinition);
    const url = service.baseUrl;
    const started = probeCounters.slowStarted;
    const inFlight = request<{ waited: number }>('GET', `${url}/test-probe/slow?ms=400`);
    await waitFor(() => probeCounters.slowStarted > started, { what: 'the slow request to be in flight' });
    const closing = service.close();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ waited: 400 });
    await closing;
    await expect(fetch(`${url}/health/live`)).rejects.toThrow();
  });
});
