import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Test support only: a real HTTP server on 127.0.0.1 standing in for Gemini or an OpenAI-compatible server. */
export interface FakeLlmRequest {
  method: string;
  /** Path and query, e.g. `/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`. */
  url: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export type FakeLlmAnswer =
  | { status: number; json: unknown }
  /** Server-Sent Events: each event is written separately, `gapMs` apart. */
  | { status?: number; sse: string[]; gapMs?: number }
  /** Never answers (for timeouts and aborts). */
  | { hang: true };

export class FakeLlmServer {
  readonly requests: FakeLlmRequest[] = [];
  private handler: (request: FakeLlmRequest) => FakeLlmAnswer = () => ({ status: 404, json: { error: { message: 'not scripted' } } });

  private constructor(private readonly server: Server) {}

  static async start(): Promise<FakeLlmServer> {
    const server = createServer();
    const fake = new FakeLlmServer(server);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        let body: unknown = raw;
        try {
          body = raw ? JSON.parse(raw) : undefined;
        } catch {
          // keep the raw text
        }
        const request: FakeLlmRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
        fake.requests.push(request);
        const answer = fake.handler(request);
        if ('hang' in answer) return;
        if ('json' in answer) {
          res.writeHead(answer.status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(answer.json));
          return;
        }
        res.writeHead(answer.status ?? 200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
        const events = [...answer.sse];
        const next = () => {
          if (res.destroyed) return;
          const event = events.shift();
          if (event === undefined) {
            res.end();
            return;
          }
          res.write(`data: ${event}\n\n`);
          setTimeout(next, answer.gapMs ?? 5);
        };
        next();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  respond(handler: (request: FakeLlmRequest) => FakeLlmAnswer): void {
    this.handler = handler;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
