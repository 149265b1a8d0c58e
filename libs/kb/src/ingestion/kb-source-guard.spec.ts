import { kbSsrfPolicy } from '../config/kb-config';
import { kbSourceRefusal } from './kb-source-guard';

const on = { enabled: true, allowlist: [] as string[] };
const resolveTo =
  (...addresses: string[]) =>
  (): Promise<{ address: string; family: number }[]> =>
    Promise.resolve(addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));

describe('kbSourceRefusal (the SSRF guard at POST time)', () => {
  it.each([
    ['http://127.0.0.1:8080/x', /127\.0\.0\.1 \(loopback\)/],
    ['http://10.0.0.5/intranet', /10\.0\.0\.5 \(private\)/],
    ['http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254/],
    ['http://[::1]/x', /::1 \(loopback\)/],
    ['http://[fd00::1]/x', /fd00::1/],
  ])('refuses %s by its IP literal', async (url, reason) => {
    const refusal = await kbSourceRefusal(url, on, { resolve: resolveTo('93.184.216.34') });
    expect(refusal).toMatch(/is not reachable for knowledge-base ingestion: refused to connect to/);
    expect(refusal).toMatch(reason);
  });

  it('judges a hostname by every address it resolves to', async () => {
    expect(await kbSourceRefusal('https://docs.example.com/a', on, { resolve: resolveTo('93.184.216.34') })).toBeNull();
    expect(await kbSourceRefusal('https://docs.example.com/a', on, { resolve: resolveTo('93.184.216.34', '192.168.1.10') })).toMatch(/192\.168\.1\.10 \(private\)/);
  });

  it('lets through what the allowlist names, everything when the guard is off, and names it cannot resolve now', async () => {
    const allow = { enabled: true, allowlist: ['10.0.0.0/8', 'intranet.local'] };
    expect(await kbSourceRefusal('http://10.1.2.3/x', allow)).toBeNull();
    expect(await kbSourceRefusal('http://intranet.local/x', allow, { resolve: resolveTo('192.168.0.1') })).toBeNull();
    expect(await kbSourceRefusal('http://127.0.0.1/x', { enabled: false, allowlist: [] })).toBeNull();
    const failing = () => Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.test'), { code: 'ENOTFOUND' }));
    expect(await kbSourceRefusal('http://nowhere.test/x', on, { resolve: failing })).toBeNull();
    const hanging = () => new Promise<never>(() => undefined);
    expect(await kbSourceRefusal('http://slow-dns.test/x', on, { resolve: hanging, resolveTimeoutMs: 20 })).toBeNull();
  });

  it('KB_SSRF_PROTECTION: auto is on in production only; on and off are what they say', () => {
    const base = { KB_SSRF_ALLOWLIST: ' 10.0.0.0/8, ,intranet.local ' };
    expect(kbSsrfPolicy({ ...base, KB_SSRF_PROTECTION: 'auto', NODE_ENV: 'production' })).toEqual({ enabled: true, allowlist: ['10.0.0.0/8', 'intranet.local'] });
    expect(kbSsrfPolicy({ ...base, KB_SSRF_PROTECTION: 'auto', NODE_ENV: 'development' }).enabled).toBe(false);
    expect(kbSsrfPolicy({ ...base, KB_SSRF_PROTECTION: 'on', NODE_ENV: 'test' }).enabled).toBe(true);
    expect(kbSsrfPolicy({ ...base, KB_SSRF_PROTECTION: 'off', NODE_ENV: 'production' }).enabled).toBe(false);
  });
});
