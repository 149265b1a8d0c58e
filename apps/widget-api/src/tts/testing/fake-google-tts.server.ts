import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pcmToWav } from '../wav';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  /** The bearer JWT's claims when its RS256 signature verified with the registered public key, else null. */
  jwtClaims: Record<string, unknown> | null;
  /** The bearer JWT's header (alg, typ, kid) when its signature verified, else null. */
  jwtHeader: Record<string, unknown> | null;
}

export interface FakeReply {
  status: number;
  body: unknown;
}

/** A generated service-account key file (RSA 2048), as Google's console downloads it. */
export function generateServiceAccount(projectId = 'tts-test-project'): Record<string, string> {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return {
    type: 'service_account',
    project_id: projectId,
    private_key_id: `key${Math.random().toString(16).slice(2, 10)}`,
    private_key: privateKey,
    client_email: `tts-bot@${projectId}.iam.gserviceaccount.com`,
    client_id: '1234567890',
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: 'https://oauth2.googleapis.com/token',
  };
}

/** `seconds` of a 440 Hz tone as LINEAR16 WAV at `sampleRate` (what Google answers for audioEncoding LINEAR16). */
export function toneWav(seconds: number, sampleRate = 24000): Buffer {
  const samples = Math.round(seconds * sampleRate);
  const pcm = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) pcm.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / sampleRate)), i * 2);
  return pcmToWav(pcm, sampleRate);
}

/**
 * A local stand-in for texttospeech.googleapis.com's REST API (`POST /v1/text:synthesize`), for tests: records every
 * request, checks the bearer JWT against the public keys of the service accounts it knows, and answers a tone whose
 * length is `secondsPerChar` per character of `input.text`, or `nextReply` when a test sets one.
 */
export class FakeGoogleTts {
  readonly requests: RecordedRequest[] = [];
  nextReply: FakeReply | null = null;
  secondsPerChar = 0.05;
  private readonly keys = new Map<string, string>();
  private server: Server | null = null;

  /** Trusts JWTs signed by this service account's key (looked up by client_email). */
  register(serviceAccount: Record<string, string>): void {
    this.keys.set(serviceAccount['client_email']!, createPublicKey(serviceAccount['private_key']!).export({ type: 'spki', format: 'pem' }).toString());
  }

  get baseUrl(): string {
    const address = this.server?.address() as AddressInfo | null;
    if (!address) throw new Error('fake Google TTS is not listening');
    return `http://127.0.0.1:${address.port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
        } catch {
          // recorded as empty
        }
        this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, ...this.verifyJwt(req.headers.authorization) });
        const reply = this.nextReply ?? this.synthesize(body);
        this.nextReply = null;
        res.writeHead(reply.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(reply.body));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = null;
  }

  private synthesize(body: Record<string, unknown>): FakeReply {
    const text = ((body['input'] as { text?: string } | undefined)?.text ?? '').toString();
    if (!text) return { status: 400, body: { error: { code: 400, message: 'input.text is empty', status: 'INVALID_ARGUMENT' } } };
    return { status: 200, body: { audioContent: toneWav(text.length * this.secondsPerChar).toString('base64') } };
  }

  private verifyJwt(authorization: string | undefined): Pick<RecordedRequest, 'jwtClaims' | 'jwtHeader'> {
    const none = { jwtClaims: null, jwtHeader: null };
    const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
    const [header, payload, signature] = token?.split('.') ?? [];
    if (!header || !payload || !signature) return none;
    const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
    const claims = decode(payload);
    const publicKey = this.keys.get(String(claims['iss']));
    if (!publicKey) return none;
    const ok = verify('RSA-SHA256', Buffer.from(`${header}.${payload}`), publicKey, Buffer.from(signature, 'base64url'));
    return ok ? { jwtClaims: claims, jwtHeader: decode(header) } : none;
  }
}
