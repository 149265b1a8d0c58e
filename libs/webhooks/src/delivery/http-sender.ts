import { request, type Dispatcher } from 'undici';
import { classifyError } from './delivery-outcome';

/** One HTTP attempt of a delivery. */
export interface SendRequest {
  url: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH';
  /** Custom and signature headers; content-type and user-agent are added unless present (any case). */
  headers: Record<string, string>;
  /** Sent for every method but GET. */
  body: string;
  /** Bound on the whole attempt: connect, headers and body. */
  timeoutMs: number;
  /** The response body is read up to this many bytes; the rest is discarded. */
  maxResponseBytes: number;
}

/**
 * What happened. `status` null: no response (`error` says why, `errorOutcome` whether to retry). `status` set with a
 * non-null `error`: the response arrived but its body could not be read to the end; judge by the status.
 */
export interface SendResult {
  status: number | null;
  headers: Record<string, string>;
  /** UTF-8, at most maxResponseBytes bytes (cut at a character boundary). */
  body: string;
  durationMs: number;
  error: string | null;
  errorOutcome?: 'retry' | 'give-up';
}

/** Sent unless the webhook's own headers name one. */
export const WEBHOOK_USER_AGENT = 'chatbot-platform-webhooks/1.0';

function requestHeaders(req: SendRequest): Record<string, string> {
  const names = new Set(Object.keys(req.headers).map((name) => name.toLowerCase()));
  const defaults: Record<string, string> = {};
  if (!names.has('user-agent')) defaults['user-agent'] = WEBHOOK_USER_AGENT;
  if (!names.has('content-type') && req.method !== 'GET') defaults['content-type'] = 'application/json';
  return { ...defaults, ...req.headers };
}

function flattenHeaders(headers: Dispatcher.ResponseData['headers']): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

/**
 * Reads at most `maxBytes` of the body as UTF-8 and drops the rest (destroying the stream closes the connection).
 * What was read before a failure is kept.
 */
async function readCapped(
  body: Dispatcher.ResponseData['body'],
  maxBytes: number,
): Promise<{ text: string; error: unknown }> {
  const decoder = new TextDecoder('utf-8');
  let text = '';
  let remaining = Math.max(0, maxBytes);
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      const part = chunk.length > remaining ? chunk.subarray(0, remaining) : chunk;
      // stream: true keeps an incomplete trailing character out of the text instead of a replacement character.
      text += decoder.decode(part, { stream: true });
      remaining -= part.length;
      if (remaining === 0) break;
    }
    return { text, error: null };
  } catch (err) {
    return { text, error: err };
  } finally {
    if (!body.destroyed) body.destroy();
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Sends one webhook request with undici through `dispatcher` (normally the SSRF-guarded one). Redirects are not
 * followed (undici's request() only follows them through the redirect interceptor, which is not used here). Never
 * throws: a failure comes back as `status: null` with `error` and `errorOutcome`.
 */
export async function sendWebhook(dispatcher: Dispatcher, req: SendRequest): Promise<SendResult> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  const signal = AbortSignal.timeout(req.timeoutMs);
  let response: Dispatcher.ResponseData;
  try {
    response = await request(req.url, {
      dispatcher,
      method: req.method,
      headers: requestHeaders(req),
      body: req.method === 'GET' ? null : req.body,
      headersTimeout: req.timeoutMs,
      bodyTimeout: req.timeoutMs,
      signal,
    });
  } catch (err) {
    const { outcome, message } = signal.aborted
      ? { outcome: 'retry' as const, message: `timeout: no response within ${req.timeoutMs} ms` }
      : classifyError(err);
    return { status: null, headers: {}, body: '', durationMs: elapsed(), error: message, errorOutcome: outcome };
  }
  const { text, error } = await readCapped(response.body, req.maxResponseBytes);
  const readError = signal.aborted ? `timeout after ${req.timeoutMs} ms` : errorMessage(error);
  return {
    status: response.statusCode,
    headers: flattenHeaders(response.headers),
    body: text,
    durationMs: elapsed(),
    error: error === null ? null : `reading the response body failed: ${readError}`,
  };
}
