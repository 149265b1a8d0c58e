import type { FastifyReply } from 'fastify';

/**
 * Server-Sent Events over a hijacked Fastify reply. Nothing is written until the first event, so an error raised
 * before the engine produced anything still answers with its normal HTTP status and error body.
 */
export class SseWriter {
  private started = false;

  constructor(private readonly reply: FastifyReply) {}

  get isStarted(): boolean {
    return this.started;
  }

  send(event: string, data: unknown): void {
    const raw = this.reply.raw;
    if (!this.started) {
      this.reply.hijack();
      const headers: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(this.reply.getHeaders())) {
        if (value !== undefined) headers[name] = typeof value === 'number' ? String(value) : value;
      }
      raw.writeHead(200, {
        ...headers,
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
      });
      this.started = true;
    }
    if (raw.destroyed || raw.writableEnded) return; // the client went away
    raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  end(): void {
    if (this.started && !this.reply.raw.writableEnded) this.reply.raw.end();
  }
}
