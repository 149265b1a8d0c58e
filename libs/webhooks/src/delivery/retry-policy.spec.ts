import { SsrfBlockedError } from './ssrf-guard';
import {
  DEFAULT_RETRY_CONFIG,
  MAX_RETRY_DELAY_MS,
  classifyError,
  classifyStatus,
  parseRetryAfterMs,
  retryDelayMs,
  type RetryConfig,
} from './retry-policy';

/** A small deterministic generator (mulberry32), so the jittered schedule is reproducible. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const middle = (): number => 0.5;

describe('retryDelayMs', () => {
  it('grows exponentially by default: seconds, then minutes, then hours, capped at 10 h', () => {
    const schedule = [1, 2, 3, 4, 5, 6, 7, 15].map((n) => retryDelayMs(DEFAULT_RETRY_CONFIG, n, middle));
    expect(schedule).toEqual([
      5 * SECOND,
      30 * SECOND,
      3 * MINUTE,
      18 * MINUTE,
      108 * MINUTE,
      10 * HOUR,
      10 * HOUR,
      10 * HOUR,
    ]);
    expect(MAX_RETRY_DELAY_MS).toBe(10 * HOUR);
  });

  it('jitters each delay within ±20%, reproducibly for a seeded random', () => {
    const random = seeded(42);
    const delays = [1, 2, 3, 4, 5].map((n) => retryDelayMs(DEFAULT_RETRY_CONFIG, n, random));
    // ≈ 5.2 s, 29.4 s, 3.4 min, 19.2 min, 1.57 h; then the cap (10 h, jitter never lifts it above).
    expect(delays).toEqual([5202, 29379, 205378, 1153325, 5637118]);
    expect(retryDelayMs(DEFAULT_RETRY_CONFIG, 6, random)).toBe(MAX_RETRY_DELAY_MS);
    const again = seeded(42);
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(DEFAULT_RETRY_CONFIG, n, again))).toEqual(delays);
    delays.forEach((delay, i) => {
      const base = 5 * SECOND * 6 ** i;
      expect(delay).toBeGreaterThanOrEqual(base * 0.8);
      expect(delay).toBeLessThanOrEqual(base * 1.2);
      expect(Number.isInteger(delay)).toBe(true);
    });
    // Growing even with the worst jitter: 1.2 × d(n) < 0.8 × d(n+1) as the factor is 6.
    for (let i = 1; i < delays.length; i++) expect(delays[i]!).toBeGreaterThan(delays[i - 1]!);
  });

  it('reaches exactly the jitter bounds at random() = 0 and random() → 1, never past the cap', () => {
    expect(retryDelayMs(DEFAULT_RETRY_CONFIG, 1, () => 0)).toBe(4 * SECOND);
    expect(retryDelayMs(DEFAULT_RETRY_CONFIG, 1, () => 0.999999)).toBe(6 * SECOND);
    expect(retryDelayMs(DEFAULT_RETRY_CONFIG, 10, () => 0)).toBe(8 * HOUR);
    expect(retryDelayMs(DEFAULT_RETRY_CONFIG, 10, () => 0.999999)).toBe(10 * HOUR);
    const spread = Array.from({ length: 1000 }, () => retryDelayMs(DEFAULT_RETRY_CONFIG, 2));
    expect(Math.min(...spread)).toBeGreaterThanOrEqual(24 * SECOND);
    expect(Math.max(...spread)).toBeLessThanOrEqual(36 * SECOND);
  });

  it('supports linear and fixed backoff and a custom initial delay', () => {
    const linear: RetryConfig = { max_retries: 3, backoff: 'linear', initial_delay_ms: 10 * SECOND };
    expect([1, 2, 3].map((n) => retryDelayMs(linear, n, middle))).toEqual([10 * SECOND, 20 * SECOND, 30 * SECOND]);
    expect(retryDelayMs({ ...linear, initial_delay_ms: HOUR }, 20, middle)).toBe(10 * HOUR);
    const fixed: RetryConfig = { max_retries: 3, backoff: 'fixed', initial_delay_ms: 2 * SECOND };
    expect([1, 2, 9].map((n) => retryDelayMs(fixed, n, middle))).toEqual([2 * SECOND, 2 * SECOND, 2 * SECOND]);
    expect(retryDelayMs({ max_retries: 1, backoff: 'fixed' }, 1, middle)).toBe(5 * SECOND);
    expect(retryDelayMs({ max_retries: 1, backoff: 'exponential', initial_delay_ms: 100 }, 2, middle)).toBe(600);
  });

  it('never goes below zero and treats odd attempt numbers as the first', () => {
    expect(retryDelayMs({ max_retries: 1, backoff: 'exponential', initial_delay_ms: 0 }, 500, middle)).toBe(0);
    expect(retryDelayMs({ max_retries: 1, backoff: 'fixed', initial_delay_ms: -5 }, 1, middle)).toBe(0);
    expect(retryDelayMs(DEFAULT_RETRY_CONFIG, 0, middle)).toBe(5 * SECOND);
    expect(retryDelayMs(DEFAULT_RETRY_CONFIG, Number.NaN, middle)).toBe(5 * SECOND);
  });
});

describe('parseRetryAfterMs', () => {
  const now = Date.parse('2026-03-01T10:00:00Z');
  const max = HOUR;

  it('reads delta-seconds', () => {
    expect(parseRetryAfterMs('120', now, max)).toBe(120 * SECOND);
    expect(parseRetryAfterMs(' 0 ', now, max)).toBe(0);
  });

  it('reads an HTTP-date relative to now', () => {
    expect(parseRetryAfterMs('Sun, 01 Mar 2026 10:05:00 GMT', now, max)).toBe(5 * MINUTE);
    expect(parseRetryAfterMs('Sunday, 01-Mar-26 10:00:30 GMT', now, max)).toBe(30 * SECOND);
  });

  it('clamps to [0, max]', () => {
    expect(parseRetryAfterMs('86400', now, max)).toBe(HOUR);
    expect(parseRetryAfterMs('Sun, 01 Mar 2026 09:00:00 GMT', now, max)).toBe(0);
    expect(parseRetryAfterMs('Mon, 02 Mar 2026 10:00:00 GMT', now, max)).toBe(HOUR);
  });

  it('is null when absent or not understood', () => {
    for (const value of [undefined, null, '', '   ', 'soon', '-5', '1.5', '10s', 'Funday, 99 Foo 2026', '2026-03-01']) {
      expect(parseRetryAfterMs(value, now, max)).toBeNull();
    }
  });
});

describe('classifyStatus', () => {
  it.each([
    [200, 'delivered'],
    [204, 'delivered'],
    [299, 'delivered'],
    [408, 'retry'],
    [429, 'retry'],
    [500, 'retry'],
    [503, 'retry'],
    [599, 'retry'],
    [410, 'gone'],
    [400, 'give-up'],
    [401, 'give-up'],
    [404, 'give-up'],
    [422, 'give-up'],
    [101, 'give-up'],
    [301, 'give-up'],
    [302, 'give-up'],
    [307, 'give-up'],
  ])('%i → %s', (status, outcome) => {
    expect(classifyStatus(status)).toBe(outcome);
  });
});

describe('classifyError', () => {
  const coded = (code: string, message = code): Error => Object.assign(new Error(message), { code });

  it.each([
    ['ECONNREFUSED', 'connection refused'],
    ['ECONNRESET', 'connection reset'],
    ['ETIMEDOUT', 'timeout'],
    ['ENOTFOUND', 'DNS lookup failed'],
    ['EAI_AGAIN', 'DNS lookup failed'],
    ['UND_ERR_CONNECT_TIMEOUT', 'connect timeout'],
    ['UND_ERR_HEADERS_TIMEOUT', 'timeout'],
    ['UND_ERR_BODY_TIMEOUT', 'timeout'],
    ['UND_ERR_SOCKET', 'connection closed'],
    ['CERT_HAS_EXPIRED', 'TLS error'],
  ])('retries %s', (code, label) => {
    expect(classifyError(coded(code, `boom ${code}`))).toEqual({ outcome: 'retry', message: `${label}: boom ${code}` });
  });

  it('retries an aborted (timed out) request and unknown errors', () => {
    const aborted = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    expect(classifyError(aborted)).toEqual({ outcome: 'retry', message: `timeout: ${aborted.message}` });
    expect(classifyError(new Error('weird'))).toEqual({ outcome: 'retry', message: 'request failed: weird' });
    expect(classifyError('text')).toEqual({ outcome: 'retry', message: 'request failed: text' });
  });

  it('reads codes through causes and AggregateErrors', () => {
    expect(classifyError(new Error('outer', { cause: coded('ECONNRESET') })).message).toBe('connection reset: ECONNRESET');
    expect(classifyError(new AggregateError([coded('ECONNREFUSED')], '')).message).toBe('connection refused: ECONNREFUSED');
  });

  it('gives up on an SSRF refusal, even wrapped, and on a request that cannot be made', () => {
    const ssrf = new SsrfBlockedError('10.0.0.5', 'private');
    expect(classifyError(ssrf)).toEqual({ outcome: 'give-up', message: 'refused to connect to 10.0.0.5 (private)' });
    expect(classifyError(new Error('connect failed', { cause: ssrf })).outcome).toBe('give-up');
    expect(classifyError(coded('ERR_INVALID_URL', 'Invalid URL')).outcome).toBe('give-up');
  });
});
