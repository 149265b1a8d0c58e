import { escapeLiteral } from 'pg';

/** A parameterised statement: `$1..$n` placeholders and their values. */
export interface Statement {
  text: string;
  values: readonly unknown[];
}

/**
 * One value as a SQL literal (for the simple query protocol, which carries no parameters): strings, numbers, booleans,
 * dates, arrays of those (Postgres array literals) and JSON-able objects, always quoted and escaped by pg's own
 * `escapeLiteral`; the statement's casts (`$1::uuid[]`, `$2::jsonb`) give them their types, exactly as with
 * parameters.
 */
export function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot inline a non-finite number (${value})`);
    return `'${value}'`;
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return escapeLiteral(textOf(value));
}

function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new Error('cannot inline an invalid date');
    return value.toISOString();
  }
  if (Array.isArray(value)) {
    const items = value.map((item) => (item === null || item === undefined ? 'NULL' : `"${textOf(item).replace(/[\\"]/g, '\\$&')}"`));
    return `{${items.join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The statement with its values written in as literals. Placeholders are found by the pattern `$<digits>`, so the
 * text must hold no other `$<digits>` (no dollar-quoted bodies, no such characters in its constant strings): meant
 * for the fixed statements of this codebase, never for text that comes from input.
 */
export function inlineStatement(statement: Statement): string {
  return statement.text.replace(/\$(\d+)/g, (_match, n: string) => {
    const index = Number(n) - 1;
    if (index < 0 || index >= statement.values.length) throw new Error(`statement has no value for $${n}`);
    return sqlLiteral(statement.values[index]);
  });
}
