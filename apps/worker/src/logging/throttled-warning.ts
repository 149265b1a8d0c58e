import type { AppLogger } from '@chatbot/platform';

/**
 * At most one warning per interval: a database or Redis outage fails every item of a stream of work, and one line
 * every 10 s says so without flooding the log.
 */
export class ThrottledWarning {
  private last = 0;

  constructor(
    private readonly logger: AppLogger,
    private readonly intervalMs = 10_000,
  ) {}

  /** Logs `message` with the error's message (and `fields`), unless a warning was logged less than an interval ago. */
  warn(message: string, err: unknown, fields: Record<string, unknown> = {}): void {
    const now = Date.now();
    if (now - this.last < this.intervalMs) return;
    this.last = now;
    this.logger.warn({ ...fields, err: { message: err instanceof Error ? err.message : String(err) } }, message);
  }
}
