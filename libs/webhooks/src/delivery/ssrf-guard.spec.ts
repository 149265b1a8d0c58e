import { createServer, type Server } from 'node:http';
import { lookup } from 'node:dns/promises';
import type { AddressInfo } from 'node:net';
import { request, type Dispatcher } from 'undici';
import {
  SsrfBlockedError,
  blockedReason,
  createGuardedDispatcher,
  findSsrfError,
  type ResolveAll,
  type SsrfPolicy,
} from './ssrf-guard';

describe('blockedReason', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['10.0.0.5', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.1.1', 'link-local'],
    ['169.254.169.254', 'link-local (cloud metadata)'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.254', 'carrier-grade NAT'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['fd00:ec2::254', 'unique-local (cloud metadata)'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:8.8.8.8', 'IPv4-mapped IPv6'],
    ['::ffff:7f00:1', 'IPv4-mapped loopback'],
    ['::ffff:10.0.0.1', 'IPv4-mapped private'],
    ['::ffff:169.254.169.254', 'IPv4-mapped link-local (cloud metadata)'],
    ['::ffff:0:192.168.0.1', 'IPv4-translated private'],
    ['::7f00:1', 'IPv4-compatible'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['64:ff9b::7f00:1', 'NAT64 loopback'],
    ['64:ff9b::a00:1', 'NAT64 private'],
    ['64:ff9b:1::1', 'NAT64 (local-use)'],
    ['2002:7f00:1::', '6to4 loopback'],
    ['2002:c0a8:101::1', '6to4 private'],
    ['2001:0:7f00:1::', 'Teredo server loopback'],
    // Client 10.0.0.1 obfuscated: ~0x0a00 = 0xf5ff, ~0x0001 = 0xfffe.
    ['2001:0:4136:e378:8000:63bf:f5ff:fffe', 'Teredo client private'],
    ['not-an-ip', 'not an IP address'],
  ])('refuses %s (%s)', (ip, reason) => {
    expect(blockedReason(ip)).toBe(reason);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '93.184.215.14',
    '172.32.0.1',
    '100.128.0.1',
    '169.253.255.255',
    '2606:4700:4700::1111',
    '2001:4860:4860::8888',
    '64:ff9b::808:808',
    '2002:808:808::1',
    // Teredo: server 65.54.227.120, client 8.8.8.8 (obfuscated).
    '2001:0:4136:e378:8000:63bf:f7f7:f7f7',
  ])('lets %s through', (ip) => {
    expect(blockedReason(ip)).toBeNull();
  });
});

describe('SsrfBlockedError and findSsrfError', () => {
  it('says which address was refused and why', () => {
    const err = new SsrfBlockedError('10.0.0.5', 'private');
    expect(err.message).toBe('refused to connect to 10.0.0.5 (private)');
    expect(err).toMatchObject({ address: '10.0.0.5', reason: 'private', name: 'SsrfBlockedError' });
  });

  it('finds the error in a cause chain, and nothing elsewhere', () => {
    const err = new SsrfBlockedError('::1', 'loopback');
    expect(findSsrfError(err)).toBe(err);
    expect(findSsrfError(new Error('outer', { cause: new Error('middle', { cause: err }) }))).toBe(err);
    expect(findSsrfError(new Error('plain'))).toBeUndefined();
    expect(findSsrfError('text')).toBeUndefined();
    const loop = new Error('loop');
    loop.cause = loop;
    expect(findSsrfError(loop)).toBeUndefined();
  });
});

async function listen(server: Server, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

async function close(server: Server): Promise<void> {
  if (!server.listening) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** GET through the dispatcher: the status (a number), or the error it failed with. */
async function fetchWith(dispatcher: Dispatcher, url: string): Promise<unknown> {
  try {
    const res = await request(url, { dispatcher });
    await res.body.dump();
    return res.statusCode;
  } catch (err) {
    return err;
  }
}

function expectBlocked(result: unknown, address: string, reason: string): void {
  const err = findSsrfError(result);
  expect(err).toBeInstanceOf(SsrfBlockedError);
  expect(err).toMatchObject({ address, reason });
}

describe('createGuardedDispatcher (real requests)', () => {
  const v4 = createServer((_req, res) => res.end('ok'));
  const v6 = createServer((_req, res) => res.end('ok'));
  let port = 0;
  let v6Port: number | null = null;
  let localhostAddresses: string[] = [];
  const dispatchers: Dispatcher[] = [];

  const guarded = (policy: SsrfPolicy, resolve?: ResolveAll): Dispatcher => {
    const dispatcher = createGuardedDispatcher(policy, resolve ? { resolve } : {});
    dispatchers.push(dispatcher);
    return dispatcher;
  };

  beforeAll(async () => {
    port = await listen(v4, '127.0.0.1');
    v6Port = await listen(v6, '::1').catch(() => null);
    localhostAddresses = (await lookup('localhost', { all: true })).map((a) => a.address);
  });

  afterAll(async () => {
    await Promise.all(dispatchers.map((d) => d.close()));
    await Promise.all([close(v4), close(v6)]);
  });

  it('refuses an IPv4 loopback literal when enabled', async () => {
    const dispatcher = guarded({ enabled: true, allowlist: [] });
    expectBlocked(await fetchWith(dispatcher, `http://127.0.0.1:${port}/`), '127.0.0.1', 'loopback');
  });

  it('refuses an IPv6 loopback literal when enabled', async () => {
    const dispatcher = guarded({ enabled: true, allowlist: [] });
    expectBlocked(await fetchWith(dispatcher, `http://[::1]:${v6Port ?? 9}/`), '::1', 'loopback');
    if (v6Port !== null) {
      // Proof that the refusal is the guard's: the same URL answers without it.
      expect(await fetchWith(guarded({ enabled: false, allowlist: [] }), `http://[::1]:${v6Port}/`)).toBe(200);
    }
  });

  it('refuses a hostname that resolves to loopback', async () => {
    const dispatcher = guarded({ enabled: true, allowlist: [] });
    const result = await fetchWith(dispatcher, `http://localhost:${port}/`);
    const err = findSsrfError(result);
    expect(err?.reason).toBe('loopback');
    expect(localhostAddresses).toContain(err?.address);
  });

  it('refuses a hostname when any one of its addresses is blocked', async () => {
    const resolve: ResolveAll = () =>
      Promise.resolve([
        { address: '93.184.215.14', family: 4 },
        { address: '10.0.0.5', family: 4 },
      ]);
    const result = await fetchWith(guarded({ enabled: true, allowlist: [] }, resolve), 'http://mixed.example.test/');
    expectBlocked(result, '10.0.0.5', 'private');
  });

  it('passes DNS failures through with their code', async () => {
    const failing: ResolveAll = () =>
      Promise.reject(Object.assign(new Error('getaddrinfo EAI_AGAIN x.test'), { code: 'EAI_AGAIN' }));
    expect(await fetchWith(guarded({ enabled: true, allowlist: [] }, failing), 'http://x.test/')).toMatchObject({
      code: 'EAI_AGAIN',
    });
    const empty: ResolveAll = () => Promise.resolve([]);
    expect(await fetchWith(guarded({ enabled: true, allowlist: [] }, empty), 'http://y.test/')).toMatchObject({
      code: 'ENOTFOUND',
    });
  });

  it('connects to the checked address, not to the name resolved again', async () => {
    const seen: string[] = [];
    const pinned = createServer((req, res) => {
      seen.push(req.headers.host ?? '');
      res.end('ok');
    });
    const pinnedPort = await listen(pinned, '127.0.0.1');
    try {
      // "rebind.example.test" does not exist in DNS: only the guard's own resolution can make this request work.
      const resolve: ResolveAll = () => Promise.resolve([{ address: '127.0.0.1', family: 4 }]);
      const dispatcher = guarded({ enabled: true, allowlist: ['127.0.0.0/8'] }, resolve);
      expect(await fetchWith(dispatcher, `http://rebind.example.test:${pinnedPort}/`)).toBe(200);
      expect(seen).toEqual([`rebind.example.test:${pinnedPort}`]);
    } finally {
      await close(pinned);
    }
  });

  it('tries the next checked address when one refuses the connection', async () => {
    const resolve: ResolveAll = () =>
      Promise.resolve([
        { address: '127.0.0.2', family: 4 },
        { address: '127.0.0.1', family: 4 },
      ]);
    const dispatcher = guarded({ enabled: true, allowlist: ['127.0.0.0/8'] }, resolve);
    // Nothing listens on 127.0.0.2 at that port (connection refused), the server does on 127.0.0.1.
    expect(await fetchWith(dispatcher, `http://two.example.test:${port}/`)).toBe(200);
  });

  it('lets everything through when disabled', async () => {
    const dispatcher = guarded({ enabled: false, allowlist: [] });
    expect(await fetchWith(dispatcher, `http://127.0.0.1:${port}/`)).toBe(200);
    expect(await fetchWith(dispatcher, `http://localhost:${port}/`)).toBe(200);
  });

  it('lets an allowlisted CIDR through, and nothing else', async () => {
    const dispatcher = guarded({ enabled: true, allowlist: ['127.0.0.1/32'] });
    expect(await fetchWith(dispatcher, `http://127.0.0.1:${port}/`)).toBe(200);
    expectBlocked(await fetchWith(dispatcher, `http://[::1]:${v6Port ?? 9}/`), '::1', 'loopback');
  });

  it('lets a single allowlisted address through, IPv4-mapped forms included', async () => {
    expect(await fetchWith(guarded({ enabled: true, allowlist: ['127.0.0.1'] }), `http://127.0.0.1:${port}/`)).toBe(200);
    expect(
      await fetchWith(guarded({ enabled: true, allowlist: ['::ffff:127.0.0.1'] }), `http://127.0.0.1:${port}/`),
    ).toBe(200);
  });

  it('lets an allowlisted hostname through', async () => {
    const dispatcher = guarded({ enabled: true, allowlist: ['LOCALHOST'] });
    expect(await fetchWith(dispatcher, `http://localhost:${port}/`)).toBe(200);
    // The hostname is allowed, not the addresses behind it.
    expectBlocked(await fetchWith(dispatcher, `http://127.0.0.1:${port}/`), '127.0.0.1', 'loopback');
  });
});
