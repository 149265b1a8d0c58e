import type { Dispatcher } from 'undici';
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

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Abort reason once the body cap is reached: the response is complete as far as we are concerned. */
const BODY_CAPPED = new Error('response body cap reached');

type Collected = { status: number | null; headers: Dispatcher.ResponseData['headers']; body: string; error: unknown; timedOut: boolean };

/**
 * Collects one response for sendWebhook straight from undici's dispatch callbacks (no response stream, no abort
 * signal: at saturation they cost about as much client CPU as the rest of the request). It keeps at most `maxBytes`
 * of the body and then aborts the request (which closes the connection); `settle` is called exactly once.
 */
class CappedResponse implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;
  /** Set when the caller gave up (timeout) before undici handed over the request's controller. */
  private abortReason: Error | null = null;
  private status: number | null = null;
  private headers: Dispatcher.ResponseData['headers'] = {};
  private readonly chunks: Buffer[] = [];
  private remaining: number;
  private settled = false;
  private timedOut = false;

  constructor(
    maxBytes: number,
    private readonly settle: (collected: Collected) => void,
  ) {
    this.remaining = Math.max(0, maxBytes);
  }

  /** The attempt's time is up: whatever arrived so far is the result. */
  timeOut(timeoutMs: number): void {
    if (this.settled) return;
    this.timedOut = true;
    this.abort(new Error(`timeout after ${timeoutMs} ms`));
  }

  /** Stops waiting with `reason` (the request is aborted now, or as soon as it starts). */
  private abort(reason: Error): void {
    this.finish(reason);
    if (this.controller) this.controller.abort(reason);
    else this.abortReason = reason;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abortReason) controller.abort(this.abortReason);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Dispatcher.ResponseData['headers']): void {
    if (statusCode < 200) return; // 1xx informational: the real response follows
    this.status = statusCode;
    this.headers = headers;
    if (this.remaining === 0) this.abort(BODY_CAPPED);
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    const part = chunk.length > this.remaining ? chunk.subarray(0, this.remaining) : chunk;
    this.chunks.push(part);
    this.remaining -= part.length;
    if (this.remaining === 0) this.abort(BODY_CAPPED);
  }

  onResponseEnd(): void {
    this.finish(null);
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.finish(error);
  }

  /** The request could not even be dispatched (bad URL, bad header value). */
  fail(error: unknown): void {
    this.finish(error);
  }

  private finish(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    // A character cut by the cap is left out (streaming decode without the final flush), not replaced.
    const body = this.chunks.length === 0 ? '' : new TextDecoder('utf-8').decode(Buffer.concat(this.chunks), { stream: true });
    this.settle({ status: this.status, headers: this.headers, body, error: error === BODY_CAPPED ? null : error, timedOut: this.timedOut });
  }
}

/**
 * Sends one webhook request with undici through `dispatcher` (normally the SSRF-guarded one). Redirects are not
 * followed (a plain dispatch never follows them). Never throws: a failure comes back as `status: null` with `error`
 * and `errorOutcome`; a response whose body could not be read to the end keeps its status, with `error` set.
 */
export async function sendWebhook(dispatcher: Dispatcher, req: SendRequest): Promise<SendResult> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  let timer: NodeJS.Timeout | undefined;
  const { status, headers, body, error, timedOut } = await new Promise<Collected>(
    (resolve) => {
      const handler = new CappedResponse(req.maxResponseBytes, resolve);
      // One bound on the whole attempt: connect, headers and body.
      timer = setTimeout(() => handler.timeOut(req.timeoutMs), req.timeoutMs);
      try {
        const url = new URL(req.url);
        dispatcher.dispatch(
          {
            origin: url.origin,
            path: `${url.pathname}${url.search}`,
            method: req.method,
            headers: requestHeaders(req),
            body: req.method === 'GET' ? null : req.body,
            headersTimeout: req.timeoutMs,
            bodyTimeout: req.timeoutMs,
          },
          handler,
        );
      } catch (err) {
        handler.fail(err);
      }
    },
  );
  clearTimeout(timer);
  if (status === null) {
    const { outcome: errorOutcome, message } = timedOut
      ? { outcome: 'retry' as const, message: `timeout: no response within ${req.timeoutMs} ms` }
      : classifyError(error);
    return { status: null, headers: {}, body: '', durationMs: elapsed(), error: message, errorOutcome };
  }
  const readError = timedOut ? `timeout after ${req.timeoutMs} ms` : errorMessage(error);
  return {
    status,
    headers: flattenHeaders(headers),
    body,
    durationMs: elapsed(),
    error: error === null ? null : `reading the response body failed: ${readError}`,
  };
}
