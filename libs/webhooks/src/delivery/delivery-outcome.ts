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

function errorChain(err: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = err;
  while (current !== undefined && current !== null && !chain.includes(current) && chain.length < 10) {
    chain.push(current);
    current = current instanceof Error ? current.cause : undefined;
  }
  return chain;
}

function codeOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  // net.connect with several addresses fails with an AggregateError of the per-address errors.
  if (err instanceof AggregateError) return err.errors.map(codeOf).find((c) => c !== undefined);
  return undefined;
}

function kindOf(err: unknown): ErrorKind | undefined {
  const code = codeOf(err);
  if (code !== undefined) {
    const known = BY_CODE[code];
    if (known) return known;
    if (/^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED)/.test(code)) return { label: 'TLS error', outcome: 'retry' };
  }
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return TIMEOUT;
  return undefined;
}

function detailOf(err: unknown): string {
  if (err instanceof Error) return err.message || codeOf(err) || err.name;
  return String(err);
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
