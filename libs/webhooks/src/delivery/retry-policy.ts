export { classifyError, classifyStatus, type Outcome } from './delivery-outcome';

/** How the delay grows between attempts. */
export type BackoffKind = 'exponential' | 'linear' | 'fixed';

/** A webhook's `retry_config`: attempts = max_retries + 1. */
export interface RetryConfig {
  max_retries: number;
  backoff: BackoffKind;
  /** The first delay; default DEFAULT_INITIAL_DELAY_MS. */
  initial_delay_ms?: number;
}

/** Five retries with exponential backoff: about 5 s, 30 s, 3 min, 18 min, 1.8 h after each failure. */
export const DEFAULT_RETRY_CONFIG: RetryConfig = { max_retries: 5, backoff: 'exponential' };

/** The first delay when a config names none. */
export const DEFAULT_INITIAL_DELAY_MS = 5_000;

/** No retry waits longer than this (10 hours). */
export const MAX_RETRY_DELAY_MS = 10 * 3600_000;

const EXPONENTIAL_FACTOR = 6;
const JITTER = 0.2;

function baseDelayMs(config: RetryConfig, attempt: number): number {
  const initial = Math.max(0, config.initial_delay_ms ?? DEFAULT_INITIAL_DELAY_MS);
  if (initial === 0 || Number.isNaN(initial)) return 0;
  switch (config.backoff) {
    case 'exponential':
      return initial * EXPONENTIAL_FACTOR ** (attempt - 1);
    case 'linear':
      return initial * attempt;
    case 'fixed':
      return initial;
  }
}

/**
 * How long to wait before the next attempt after attempt number `failedAttempt` (1 = the first attempt) failed: the
 * backoff delay capped at MAX_RETRY_DELAY_MS, with ±20% jitter (never beyond the cap, never negative), in whole ms.
 */
export function retryDelayMs(config: RetryConfig, failedAttempt: number, random: () => number = Math.random): number {
  const attempt = Number.isFinite(failedAttempt) ? Math.max(1, Math.floor(failedAttempt)) : 1;
  const base = Math.min(baseDelayMs(config, attempt), MAX_RETRY_DELAY_MS);
  const jittered = base * (1 - JITTER + 2 * JITTER * random());
  return Math.max(0, Math.min(MAX_RETRY_DELAY_MS, Math.round(jittered)));
}

const DELTA_SECONDS = /^\d+$/;
/** The three HTTP-date forms (IMF-fixdate, RFC 850, asctime) all start with a day name. */
const HTTP_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? /i;

/**
 * The wait a `Retry-After` header asks for (delta-seconds or an HTTP-date, relative to `now` in epoch ms), clamped to
 * [0, maxMs]; null when the header is absent or not understood.
 */
export function parseRetryAfterMs(value: string | undefined | null, now: number, maxMs: number): number | null {
  const text = value?.trim();
  if (!text) return null;
  let waitMs: number;
  if (DELTA_SECONDS.test(text)) {
    waitMs = Number(text) * 1000;
  } else if (HTTP_DATE.test(text)) {
    const at = Date.parse(text);
    if (Number.isNaN(at)) return null;
    waitMs = at - now;
  } else {
    return null;
  }
  return Math.max(0, Math.min(maxMs, waitMs));
}
