import { Readable } from 'node:stream';
import type { ConversationEntity } from './conversation.entity';
import type { ConversationTurnEntity } from './conversation-turn.entity';
import { toTranscriptMetadata, toWireTurn } from './conversation-wire';
import { messageText } from './turn-wire';
import type { ExportFormat } from './dto/convos-query.dto';

/** One exported conversation with its turns in order. */
export interface ExportItem {
  conversation: ConversationEntity;
  turns: ConversationTurnEntity[];
}

/** Batches of conversations, pulled one at a time (the source fetches the next batch only when asked). */
export type ExportSource = AsyncIterable<ExportItem[]>;

export const CSV_COLUMNS = [
  'id', 'userID', 'origin', 'chatState', 'chatAssignedTo', 'tags', 'messagesNum', 'interactionsNum', 'sessionsNum',
  'firstMessageAt', 'lastMessageAt', 'convoTimeSeconds', 'name', 'email', 'phone', 'transcript',
] as const;

/** Characters that make a spreadsheet read a cell as a formula (OWASP CSV injection), when they lead it. */
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/**
 * One CSV cell (RFC 4180): quoted when it holds a quote, comma, CR or LF, with quotes doubled. Text that a spreadsheet
 * would run as a formula gets a leading apostrophe (shown as text, not evaluated). Numbers are written as they are.
 */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRow(cells: readonly (string | number | null | undefined)[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null);

/** The conversation's text messages, one `from: text` line each (`operator` for turns a human operator wrote). */
export function transcriptText(turns: readonly ConversationTurnEntity[]): string {
  const lines: string[] = [];
  for (const turn of turns) {
    for (const message of turn.messages) {
      if (message.type !== 'text') continue;
      const text = messageText(message);
      if (text === null) continue;
      const from = turn.operatorId ? 'operator' : (message.from ?? turn.sender);
      lines.push(`${from}: ${text}`);
    }
  }
  return lines.join('\n');
}

export function csvLine({ conversation: c, turns }: ExportItem): string {
  const meta = toTranscriptMetadata(c);
  return csvRow([
    c.id,
    c.userId,
    c.origin,
    c.state,
    c.assignedClientId,
    c.tags.join('; '),
    c.messagesNum,
    c.interactionsNum,
    c.sessionsNum,
    iso(c.firstMessageAt),
    iso(c.lastMessageAt),
    meta['convoTimeSeconds'] as number,
    str(c.metadata['name']),
    str(c.metadata['email']),
    str(c.metadata['phone']),
    transcriptText(turns),
  ]);
}

export function jsonItem({ conversation, turns }: ExportItem): string {
  return JSON.stringify({ metadata: toTranscriptMetadata(conversation), turns: turns.map(toWireTurn) });
}

async function* csvChunks(source: ExportSource): AsyncGenerator<string> {
  yield csvRow(CSV_COLUMNS);
  for await (const batch of source) for (const item of batch) yield csvLine(item);
}

async function* jsonChunks(source: ExportSource): AsyncGenerator<string> {
  yield '[';
  let first = true;
  for await (const batch of source) {
    for (const item of batch) {
      yield `${first ? '\n' : ',\n'}${jsonItem(item)}`;
      first = false;
    }
  }
  yield first ? ']\n' : '\n]\n';
}

/**
 * The export as a byte stream with backpressure: `Readable.from` pulls the next chunk only when the response has
 * drained below the high-water mark, so at most one batch (plus ~64 KiB of text) is in memory whatever the total.
 * Closing the response destroys the stream, which returns the generators and stops fetching.
 */
export function exportStream(format: ExportFormat, source: ExportSource): Readable {
  const chunks = format === 'csv' ? csvChunks(source) : jsonChunks(source);
  return Readable.from(chunks, { objectMode: false, highWaterMark: 64 * 1024 });
}

export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
};
