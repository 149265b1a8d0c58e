import { findSsrfError } from './ssrf-guard';

/** What one attempt means for the delivery: done, try again later, stop, or stop and disable the endpoint (410). */
export type Outcome = 'delivered' | 'retry' | 'give-up' | 'gone';

/**
 * The outcome of a response status: 2xx delivered; 408, 429 and 5xx retried; 410 gone; anything else (1xx, other
 * 4xx) given up. Redirects are not followed (a webhook URL must point at the receiver itself), so 3xx is given up too.
 */
export function classifyStatus(status: number): Outcome {
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 408 || status === 429 || (status >= 500 && status < 600)) return 'retry';
  if (status === 410) return 'gone';
  return 'give-up';
}

interface ErrorKind {
  label: string;
  outcome: 'retry' | 'give-up';
}

const TIMEOUT: ErrorKind = { label: 'timeout', outcome: 'retry' };

const BY_CODE: Readonly<Record<string, ErrorKind>> = {
  UND_ERR_CONNECT_TIMEOUT: { label: 'connect timeout', outcome: 'retry' },
  UND_ERR_HEADERS_TIMEOUT: TIMEOUT,
  UND_ERR_BODY_TIMEOUT: TIMEOUT,
  ETIMEDOUT: TIMEOUT,
  ECONNREFUSED: { label: 'connection refused', outcome: 'retry' },
  ECONNRESET: { label: 'connection reset', outcome: 'retry' },
  EPIPE: { label: 'connection reset', outcome: 'retry' },
  UND_ERR_SOCKET: { label: 'connection closed', outcome: 'retry' },
  UND_ERR_CLOSED: { label: 'connection closed', outcome: 'retry' },
  EHOSTUNREACH: { label: 'host unreachable', outcome: 'retry' },
  ENETUNREACH: { label: 'network unreachable', outcome: 'retry' },
  ENOTFOUND: { label: 'DNS lookup failed', outcome: 'retry' },
  EAI_AGAIN: { label: 'DNS lookup failed', outcome: 'retry' },
  EAI_FAIL: { label: 'DNS lookup failed', outcome: 'retry' },
  EAI_NODATA: { label: 'DNS lookup failed', outcome: 'retry' },
  ERR_INVALID_URL: { label: 'invalid request', outcome: 'give-up' },
  UND_ERR_INVALID_ARG: { label: 'invalid request', outcome: 'give-up' },
  ERR_INVALID_ARG_TYPE: { label: 'invalid request', outcome: 'give-up' },
  ERR_INVALID_ARG_VALUE: { label: 'invalid request', outcome: 'give-up' },
};

/** TLS handshake and certificate failures (the receiver may fix its certificate: retried). */
const TLS_CODE = /^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED)/;

/** Error-like: checked by shape, as errors from Node internals or another realm fail `instanceof Error`. */
interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  cause?: unknown;
  errors?: unknown;
}

function asErrorLike(err: unknown): ErrorLike | undefined {
  return typeof err === 'object' && err !== null ? err : undefined;
}

function errorChain(err: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = err;
  while (current !== undefined && current !== null && !chain.includes(current) && chain.length < 10) {
    chain.push(current);
    current = asErrorLike(current)?.cause;
  }
  return chain;
}

function codeOf(err: unknown): string | undefined {
  const like = asErrorLike(err);
  if (typeof like?.code === 'string') return like.code;
  // net.connect with several addresses fails with an AggregateError of the per-address errors.
  if (Array.isArray(like?.errors)) return like.errors.map(codeOf).find((c) => c !== undefined);
  return undefined;
}

function kindOf(err: unknown): ErrorKind | undefined {
  const code = codeOf(err);
  if (code !== undefined) {
    const known = BY_CODE[code];
    if (known) return known;
    if (TLS_CODE.test(code)) return { label: 'TLS error', outcome: 'retry' };
  }
  const name = asErrorLike(err)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return TIMEOUT;
  return undefined;
}

function detailOf(err: unknown): string {
  const like = asErrorLike(err);
  if (like === undefined) return String(err);
  if (typeof like.message === 'string' && like.message !== '') return like.message;
  return codeOf(err) ?? (typeof like.name === 'string' ? like.name : String(err));
}

/**
 * Whether a request that failed without a response is worth retrying, and a message for the delivery log. Timeouts,
 * refused or reset connections, DNS failures and TLS errors are retried (the receiver may come back); an address the
 * SSRF guard refused, or a request that cannot be made at all, is not.
 */
export function classifyError(err: unknown): { outcome: 'retry' | 'give-up'; message: string } {
  const ssrf = findSsrfError(err);
  if (ssrf) return { outcome: 'give-up', message: ssrf.message };
  const chain = errorChain(err);
  for (const link of chain) {
    const kind = kindOf(link);
    if (kind) return { outcome: kind.outcome, message: `${kind.label}: ${detailOf(link)}` };
  }
  return { outcome: 'retry', message: `request failed: ${detailOf(err)}` };
}
