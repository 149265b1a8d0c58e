import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { request, type Dispatcher } from 'undici';
import { createGuardedDispatcher, type ResolveAll } from './ssrf-guard';

// A self-signed certificate for hooks.example.test only (test fixture, valid 2000-2100).
const KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgpQuKZpFhR1TJfWEZ
qxn6jXqGGdD0F20x4qfBlJE2vIShRANCAAQFVM5QZwrtV9HM5WG7/GEuW0GXBf2e
EbHgjTIKp7VRcqLZP+oBUP+5fSI+ip1RzU4Cku1Ru9awrqAtSCZXnXsI
-----END PRIVATE KEY-----
`;
const CERT = `-----BEGIN CERTIFICATE-----
MIIBeTCCAR+gAwIBAgIBATAKBggqhkjOPQQDAjAdMRswGQYDVQQDDBJob29rcy5l
eGFtcGxlLnRlc3QwIBcNMDAwMTAxMDAwMDAwWhgPMjEwMDAxMDEwMDAwMDBaMB0x
GzAZBgNVBAMMEmhvb2tzLmV4YW1wbGUudGVzdDBZMBMGByqGSM49AgEGCCqGSM49
AwEHA0IABAVUzlBnCu1X0czlYbv8YS5bQZcF/Z4RseCNMgqntVFyotk/6gFQ/7l9
Ij6KnVHNTgKS7VG71rCuoC1IJledewijTjBMMB0GA1UdEQQWMBSCEmhvb2tzLmV4
YW1wbGUudGVzdDAMBgNVHRMBAf8EAjAAMB0GA1UdDgQWBBTTio1co9Ff3rZcJOTY
jfE/p5kdgDAKBggqhkjOPQQDAgNIADBFAiEAjgYG5pg1OO1oSEBWwH38DGvHYOQh
3W/YPoGUTI+nDcMCIDK31U8dp3RVueEeJAcAArVuNgSVhIfLSSmMp4/m7JMa
-----END CERTIFICATE-----
`;

describe('createGuardedDispatcher over TLS (connection pinned to the checked address)', () => {
  const sni: (string | false | null)[] = [];
  const server: Server = createServer({ key: KEY, cert: CERT }, (req, res) => {
    sni.push((req.socket as TLSSocket).servername);
    res.end('secure');
  });
  let port = 0;
  let dispatcher: Dispatcher;
  // Neither name exists in DNS: both "resolve" to loopback through the guard only.
  const resolve: ResolveAll = () => Promise.resolve([{ address: '127.0.0.1', family: 4 }]);

  beforeAll(async () => {
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
    port = (server.address() as AddressInfo).port;
    dispatcher = createGuardedDispatcher({ enabled: true, allowlist: ['127.0.0.1/32'] }, { resolve, ca: CERT });
  });

  afterAll(async () => {
    await dispatcher.close();
    server.closeAllConnections();
    await new Promise<void>((done) => server.close(() => done()));
  });

  it('sends the original hostname as SNI and verifies the certificate against it', async () => {
    const res = await request(`https://hooks.example.test:${port}/`, { dispatcher });
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe('secure');
    expect(sni).toEqual(['hooks.example.test']);
  });

  it('refuses a certificate that does not name the hostname, although the address was allowed', async () => {
    await expect(request(`https://other.example.test:${port}/`, { dispatcher })).rejects.toMatchObject({
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
  });
});
