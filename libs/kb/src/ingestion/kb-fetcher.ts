import { type Dispatcher, request } from 'undici';
import { findSsrfError } from '@chatbot/webhooks';

export const KB_USER_AGENT = 'chatbot-platform-kb/1.0 (+knowledge-base ingestion)';
const MAX_REDIRECTS = 5;
/** Network failures worth another attempt later (the site may be restarting or overloaded). */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

/**
 * A fetch that failed. `transient` (timeout, connection error, 5xx, 429, 408): the ingestion job retries with backoff;
 * otherwise (4xx, SSRF guard, too large, unknown host) the document fails at once with `message` as its reason.
 */
export class KbFetchError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
    readonly status: number | null = null,
  ) {
    super(message);
    this.name = 'KbFetchError';
  }
}

export interface FetchedResource {
  /** After redirects. */
  url: string;
  status: number;
  contentType: string | null;
  charset: string | null;
  bytes: Buffer;
}

export interface KbFetcherOptions {
  dispatcher: Dispatcher;
  timeoutMs: number;
  maxBytes: number;
}

/**
 * GETs knowledge-base URLs and sitemaps through the SSRF-guarded dispatcher (every connection, redirects included, is
 * checked), following up to 5 redirects, with one deadline for the whole fetch and a cap on the body size.
 */
export class KbFetcher {
  constructor(private readonly options: KbFetcherOptions) {}

  async fetch(url: string, accept = 'text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.8'): Promise<FetchedResource> {
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    let current = url;
    for (let hop = 0; ; hop += 1) {
      const target = parseHttpUrl(current);
      let response: Dispatcher.ResponseData;
      try {
        response = await request(target, {
          method: 'GET',
          dispatcher: this.options.dispatcher,
          headers: { 'user-agent': KB_USER_AGENT, accept },
          headersTimeout: this.options.timeoutMs,
          bodyTimeout: this.options.timeoutMs,
          signal,
        });
      } catch (err) {
        throw classifyNetworkError(err, signal, this.options.timeoutMs);
      }
      const { statusCode, headers } = response;
      if (statusCode >= 300 && statusCode < 400 && statusCode !== 304 && typeof headers['location'] === 'string') {
        discard(response.body);
        if (hop >= MAX_REDIRECTS) throw new KbFetchError(`too many redirects (more than ${MAX_REDIRECTS})`, false, statusCode);
        current = new URL(headers['location'], target).toString();
        continue;
      }
      if (statusCode < 200 || statusCode >= 300) {
        discard(response.body);
        const transient = statusCode === 408 || statusCode === 425 || statusCode === 429 || statusCode >= 500;
        throw new KbFetchError(`HTTP ${statusCode} from ${target.toString()}`, transient, statusCode);
      }
      const declared = Number(headers['content-length']);
      if (Number.isFinite(declared) && declared > this.options.maxBytes) {
        discard(response.body);
        throw new KbFetchError(`${target.toString()} is larger than the ${this.options.maxBytes}-byte limit (${declared} bytes)`, false, statusCode);
      }
      const bytes = await this.readCapped(response.body, target.toString(), signal);
      const contentType = typeof headers['content-type'] === 'string' ? headers['content-type'] : null;
      const charset = contentType ? (/charset=["']?([\w-]+)/i.exec(contentType)?.[1] ?? null) : null;
      return { url: target.toString(), status: statusCode, contentType, charset, bytes };
    }
  }

  private async readCapped(body: Dispatcher.ResponseData['body'], url: string, signal: AbortSignal): Promise<Buffer> {
    const parts: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        total += chunk.length;
        if (total > this.options.maxBytes) {
          throw new KbFetchError(`${url} is larger than the ${this.options.maxBytes}-byte limit`, false);
        }
        parts.push(chunk);
      }
    } catch (err) {
      if (err instanceof KbFetchError) throw err;
      throw classifyNetworkError(err, signal, this.options.timeoutMs);
    } finally {
      discard(body);
    }
    return Buffer.concat(parts);
  }
}

/** Drops a response body we will not read (an 'error' listener keeps undici's abort from surfacing as unhandled). */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => undefined);
  if (!body.destroyed) body.destroy();
}

function parseHttpUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new KbFetchError(`not a valid URL: ${value}`, false);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new KbFetchError(`only http(s) URLs can be fetched: ${value}`, false);
  url.hash = '';
  return url;
}

function errorCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A network failure as a KbFetchError with a reason a tenant can act on. */
export function classifyNetworkError(err: unknown, signal: AbortSignal | null, timeoutMs: number): KbFetchError {
  if (err instanceof KbFetchError) return err;
  const ssrf = findSsrfError(err);
  if (ssrf) return new KbFetchError(`blocked by the SSRF guard: ${ssrf.message}`, false);
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  if (signal?.aborted || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new KbFetchError(`timed out after ${timeoutMs} ms`, true);
  }
  if (code === 'ECONNREFUSED') return new KbFetchError('connection refused (ECONNREFUSED)', true);
  if (code === 'ENOTFOUND') return new KbFetchError(`host not found (ENOTFOUND): ${message}`, false);
  if (code && TRANSIENT_CODES.has(code)) return new KbFetchError(`${message} (${code})`, true);
  return new KbFetchError(code ? `${message} (${code})` : message, code !== undefined && code.startsWith('E'));
}
