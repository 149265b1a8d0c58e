/**
 * Date query parameters (`from`, `to`, `start`, `end`): an ISO 8601 date (`2025-01-31`), an ISO 8601 date-time with a
 * zone (`2025-01-31T10:00:00Z`, `...+02:00`), or unix milliseconds (`1738317600000`). Anything else stays a string so
 * `@IsDate` answers a 400 naming the parameter.
 */
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
const UNIX_MS = /^\d{1,15}$/;
const DAY_MS = 86_400_000;

export const DATE_PARAM_DESCRIPTION = 'ISO 8601 date (2025-01-31, UTC) or date-time with a zone (2025-01-31T10:00:00Z), or unix milliseconds';

/** Parses one date parameter. A date-only `end` means the end of that UTC day (the whole day is included). */
export function parseDateParam(value: unknown, edge: 'start' | 'end'): unknown {
  if (typeof value !== 'string') return value;
  const v = value.trim();
  let at: number;
  if (UNIX_MS.test(v)) at = Number(v);
  else if (DATE_ONLY.test(v)) {
    at = Date.parse(`${v}T00:00:00Z`);
    // `2025-02-30` parses to March 2nd in some engines: insist on the same calendar day.
    if (Number.isNaN(at) || new Date(at).toISOString().slice(0, 10) !== v) return value;
    if (edge === 'end') at += DAY_MS - 1;
  } else if (DATE_TIME.test(v)) at = Date.parse(v);
  else return value;
  if (!Number.isFinite(at)) return value;
  const date = new Date(at);
  return Number.isNaN(date.getTime()) ? value : date;
}

export const dateParamMessage = (name: string): string => `${name} must be an ISO 8601 date or date-time, or unix milliseconds`;
