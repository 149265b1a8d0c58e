import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { WEBHOOK_USER_AGENT, sendWebhook, type SendRequest } from './http-sender';
import { createGuardedDispatcher } from './ssrf-guard';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

describe('sendWebhook (against a local server)', () => {
  const received: Received[] = [];
  let handler: Handler = (_req, res) => res.end();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res);
    });
  });
  const dispatcher = new Agent();
  let base = '';

  const send = (overrides: Partial<SendRequest>): ReturnType<typeof sendWebhook> =>
    sendWebhook(dispatcher, {
      url: `${base}/hook`,
      method: 'POST',
      headers: {},
      body: '{"hello":"world"}',
      timeoutMs: 2000,
      maxResponseBytes: 1024,
      ...overrides,
    });

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  beforeEach(() => {
    received.length = 0;
  });

  afterAll(async () => {
    await dispatcher.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('posts the body with JSON content type, user agent and the given headers', async () => {
    handler = (_req, res) => res.writeHead(200, { 'x-reply': 'yes', 'set-cookie': ['a=1', 'b=2'] }).end('thanks');
    const result = await send({ headers: { 'webhook-id': 'msg_1', 'X-Custom': 'v' } });
    expect(result).toMatchObject({ status: 200, body: 'thanks', error: null });
    expect(result.errorOutcome).toBeUndefined();
    expect(result.headers).toMatchObject({ 'x-reply': 'yes', 'set-cookie': 'a=1, b=2' });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(received[0]).toMatchObject({ method: 'POST', url: '/hook', body: '{"hello":"world"}' });
    expect(received[0]?.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': WEBHOOK_USER_AGENT,
      'webhook-id': 'msg_1',
      'x-custom': 'v',
    });
  });

  it("keeps the caller's content type and user agent, whatever their case", async () => {
    handler = (_req, res) => res.end();
    await send({ method: 'PUT', headers: { 'Content-Type': 'application/vnd.custom+json', 'User-Agent': 'mine/2' } });
    expect(received[0]?.method).toBe('PUT');
    expect(received[0]?.headers['content-type']).toBe('application/vnd.custom+json');
    expect(received[0]?.headers['user-agent']).toBe('mine/2');
  });

  it('sends no body with GET', async () => {
    handler = (_req, res) => res.end('ok');
    const result = await send({ method: 'GET' });
    expect(result.status).toBe(200);
    expect(received[0]).toMatchObject({ method: 'GET', body: '' });
    expect(received[0]?.headers['content-length']).toBeUndefined();
    expect(received[0]?.headers['transfer-encoding']).toBeUndefined();
    expect(received[0]?.headers['content-type']).toBeUndefined();
  });

  it('keeps at most maxResponseBytes of a large body, cut at a character boundary', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      // 1 MB, streamed: the sender stops reading long before the end.
      for (let i = 0; i < 256; i++) res.write('é'.repeat(2048));
      res.end();
    };
    const result = await send({ maxResponseBytes: 1001 });
    expect(result.status).toBe(200);
    expect(result.error).toBeNull();
    expect(result.body).toBe('é'.repeat(500));
    expect(Buffer.byteLength(result.body)).toBeLessThanOrEqual(1001);
  });

  it('reports a 5xx with its body and Retry-After header', async () => {
    handler = (_req, res) => res.writeHead(503, { 'retry-after': '30' }).end('busy');
    expect(await send({})).toMatchObject({ status: 503, body: 'busy', headers: { 'retry-after': '30' }, error: null });
  });

  it('does not follow redirects', async () => {
    handler = (req, res) => {
      if (req.url === '/hook') res.writeHead(302, { location: '/elsewhere' }).end();
      else res.end('followed');
    };
    const result = await send({});
    expect(result.status).toBe(302);
    expect(result.headers['location']).toBe('/elsewhere');
    expect(received.map((r) => r.url)).toEqual(['/hook']);
  });

  it('gives up waiting after timeoutMs and says to retry', async () => {
    handler = () => undefined; // never answers
    const started = Date.now();
    const result = await send({ timeoutMs: 300 });
    const took = Date.now() - started;
    expect(result).toMatchObject({ status: null, errorOutcome: 'retry', body: '' });
    expect(result.error).toMatch(/timeout/);
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(1500);
  });

  it('bounds the connection phase too (a name that never resolves)', async () => {
    const hanging = createGuardedDispatcher({ enabled: true, allowlist: [] }, { resolve: () => new Promise(() => undefined) });
    try {
      const started = Date.now();
      const result = await sendWebhook(hanging, { url: 'http://never-resolves.example/hook', method: 'POST', headers: {}, body: '{}', timeoutMs: 300, maxResponseBytes: 10 });
      expect(result).toMatchObject({ status: null, errorOutcome: 'retry', error: 'timeout: no response within 300 ms' });
      expect(Date.now() - started).toBeLessThan(1500);
    } finally {
      await hanging.destroy();
    }
  });

  it('times out a body that never ends but keeps the status', async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      res.write('partial');
    };
    const result = await send({ timeoutMs: 300 });
    expect(result.status).toBe(200);
    expect(result.body).toBe('partial');
    expect(result.error).toMatch(/reading the response body failed: timeout/);
  });

  it('keeps the status and what arrived when the connection drops mid-body', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial', () => res.socket?.destroy());
    };
    const result = await send({});
    expect(result.status).toBe(200);
    expect(result.body).toBe('partial');
    expect(result.error).toMatch(/^reading the response body failed: /);
    expect(result.error).not.toMatch(/timeout/);
  });

  it('reads an empty body when the cap is zero, and an ordinary answer afterwards on the same dispatcher', async () => {
    handler = (_req, res) => res.end('ignored');
    expect(await send({ maxResponseBytes: 0 })).toMatchObject({ status: 200, body: '', error: null });
    expect(await send({})).toMatchObject({ status: 200, body: 'ignored', error: null });
  });

  it('reports a refused connection as retryable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const result = await send({ url: `http://127.0.0.1:${port}/hook` });
    expect(result).toMatchObject({ status: null, errorOutcome: 'retry' });
    expect(result.error).toMatch(/^connection refused: .*ECONNREFUSED/);
  });

  it('reports an SSRF refusal as final, without connecting', async () => {
    const guarded = createGuardedDispatcher({ enabled: true, allowlist: [] });
    try {
      const result = await sendWebhook(guarded, {
        url: `${base}/hook`,
        method: 'POST',
        headers: {},
        body: '{}',
        timeoutMs: 2000,
        maxResponseBytes: 10,
      });
      expect(result).toMatchObject({
        status: null,
        errorOutcome: 'give-up',
        error: 'refused to connect to 127.0.0.1 (loopback)',
      });
      expect(received).toHaveLength(0);
    } finally {
      await guarded.close();
    }
  });

  it('reports a request that cannot be made (bad URL, bad header value) as final and never throws', async () => {
    expect(await send({ url: 'not a url' })).toMatchObject({ status: null, errorOutcome: 'give-up' });
    const badHeader = await send({ headers: { 'x-evil': 'a\r\nInjected: yes' } });
    expect(badHeader).toMatchObject({ status: null, errorOutcome: 'give-up' });
    expect(received).toHaveLength(0);
  });
});
