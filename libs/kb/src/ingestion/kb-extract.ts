import mammoth from 'mammoth';
import { extractHtml, htmlFragmentToText } from './kb-html';
import { extractPdf } from './kb-pdf';

export const KB_FILE_KINDS = ['txt', 'md', 'html', 'pdf', 'docx', 'csv'] as const;
export type KbFileKind = (typeof KB_FILE_KINDS)[number];

const BY_EXTENSION: Readonly<Record<string, KbFileKind>> = {
  txt: 'txt',
  text: 'txt',
  md: 'md',
  markdown: 'md',
  html: 'html',
  htm: 'html',
  pdf: 'pdf',
  docx: 'docx',
  csv: 'csv',
};

export const KB_FILE_MIME: Readonly<Record<KbFileKind, string>> = {
  txt: 'text/plain',
  md: 'text/markdown',
  html: 'text/html',
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  csv: 'text/csv',
};

export const KB_SUPPORTED_EXTENSIONS = '.txt, .md, .html, .pdf, .docx, .csv';

/** A file or page that cannot become text (wrong type, damaged, empty): the document fails, and retrying is useless. */
export class KbContentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KbContentError';
  }
}

/** The kind of an uploaded file from its name's extension, or null when it is not supported. */
export function fileKindFromName(fileName: string): KbFileKind | null {
  const match = /\.([a-z0-9]+)$/i.exec(fileName.trim());
  return match ? (BY_EXTENSION[match[1]!.toLowerCase()] ?? null) : null;
}

/** The kind of a fetched page or file from its Content-Type (and, for generic types, its URL path). */
export function fileKindFromContentType(contentType: string | null, url: string): KbFileKind | null {
  const mime = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (mime === 'text/html' || mime === 'application/xhtml+xml') return 'html';
  if (mime === 'application/pdf') return 'pdf';
  if (mime === KB_FILE_MIME.docx) return 'docx';
  if (mime === 'text/csv') return 'csv';
  if (mime === 'text/markdown' || mime === 'text/x-markdown') return 'md';
  const byPath = fileKindFromName(new URL(url).pathname);
  if (mime === 'text/plain') return byPath === 'md' || byPath === 'csv' ? byPath : 'txt';
  if (mime === '' || mime === 'application/octet-stream') return byPath;
  return null;
}

/**
 * Why the bytes cannot be a file of this kind (checked at upload, so a mislabelled file answers 415 at once), or null.
 * PDF and DOCX are checked by their signature; text kinds must not hold NUL bytes (a binary file renamed `.txt`).
 */
export function contentMismatch(bytes: Uint8Array, kind: KbFileKind): string | null {
  const head = Buffer.from(bytes.subarray(0, 1024));
  if (kind === 'pdf') return head.subarray(0, 1024).includes('%PDF-') ? null : 'the file is not a PDF (no %PDF- header)';
  if (kind === 'docx') {
    return head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04 ? null : 'the file is not a DOCX (not a zip archive)';
  }
  return Buffer.from(bytes.subarray(0, 65536)).includes(0) ? `the file is binary, not ${kind} text` : null;
}

/** Text kinds: UTF-8 unless a charset is named (Content-Type, or an HTML meta charset); a BOM is dropped. */
export function decodeText(bytes: Uint8Array, charset?: string | null): string {
  let label = charset?.trim().toLowerCase() || 'utf-8';
  try {
    return new TextDecoder(label, { fatal: false, ignoreBOM: false }).decode(bytes);
  } catch {
    label = 'utf-8';
    return new TextDecoder(label).decode(bytes);
  }
}

function htmlCharset(bytes: Uint8Array, fromHeader: string | null | undefined): string | null {
  if (fromHeader) return fromHeader;
  const head = Buffer.from(bytes.subarray(0, 2048)).toString('latin1');
  return /<meta[^>]+charset=["']?([\w-]+)/i.exec(head)?.[1] ?? null;
}

export interface ExtractOptions {
  /** The charset a Content-Type header named, for text kinds. */
  charset?: string | null;
  /** Deadline of PDF extraction (runs in a worker thread). */
  pdfTimeoutMs?: number;
}

export interface ExtractedContent {
  text: string;
  title: string | null;
}

/**
 * Turns a file or fetched page into markdown-like text for the chunker (headings as `#` lines). Throws KbContentError
 * when nothing can be read or there is no text.
 */
export async function extractContent(bytes: Uint8Array, kind: KbFileKind, options: ExtractOptions = {}): Promise<ExtractedContent> {
  const mismatch = contentMismatch(bytes, kind);
  if (mismatch) throw new KbContentError(mismatch);
  let result: ExtractedContent;
  switch (kind) {
    case 'txt':
    case 'md':
      result = { text: decodeText(bytes, options.charset), title: null };
      break;
    case 'csv':
      result = { text: csvToText(decodeText(bytes, options.charset)), title: null };
      break;
    case 'html':
      result = extractHtml(decodeText(bytes, htmlCharset(bytes, options.charset)));
      break;
    case 'pdf': {
      const pdf = await extractPdf(bytes, options.pdfTimeoutMs ?? 60_000).catch((err: Error) => {
        throw new KbContentError(err.message);
      });
      result = { text: pdf.pages.map((p) => p.trim()).filter(Boolean).join('\n\n'), title: pdf.title };
      break;
    }
    case 'docx': {
      let html: string;
      try {
        html = (await mammoth.convertToHtml({ buffer: Buffer.from(bytes) })).value;
      } catch (err) {
        throw new KbContentError(`could not read the DOCX: ${(err as Error).message}`);
      }
      result = { text: htmlFragmentToText(html), title: null };
      break;
    }
  }
  // Control characters other than newlines and tabs carry no text (and Postgres refuses NUL).
  const text = stripControlCharacters(result.text).trim();
  if (!/[\p{L}\p{N}]/u.test(text)) throw new KbContentError(`no text found in the ${kind === 'txt' ? 'text' : kind.toUpperCase()} content`);
  return { text, title: result.title };
}

function stripControlCharacters(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    if ((code < 0x20 && ch !== '\n' && ch !== '\t' && ch !== '\r') || code === 0x7f) continue;
    out += ch;
  }
  return out;
}

/** RFC 4180 CSV (quoted fields, doubled quotes, CRLF); `;` or tab separated files are detected from the header line. */
export function parseCsv(text: string): string[][] {
  const newline = text.search(/\r?\n/);
  const firstLine = newline < 0 ? text : text.slice(0, newline);
  const counts = [',', ';', '\t'].map((d) => [d, firstLine.split(d).length] as const).sort((a, b) => b[1] - a[1]);
  const delimiter = counts[0]![0];
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === delimiter) {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i += 1;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.some((f) => f.trim() !== ''));
}

/**
 * A CSV as text: one paragraph per row, each value labelled with its column header (`Plan: Pro; Price: 20 EUR`), so a
 * row retrieved alone still says what its values mean.
 */
export function csvToText(text: string): string {
  const rows = parseCsv(text.replace(/^\uFEFF/, ''));
  const header = rows[0]?.map((h) => h.trim()) ?? [];
  if (rows.length < 2) return rows.map((r) => r.join(', ')).join('\n\n');
  return rows
    .slice(1)
    .map((r) =>
      r
        .map((value, i) => ({ name: header[i] || `column ${i + 1}`, value: value.trim() }))
        .filter((f) => f.value !== '')
        .map((f) => `${f.name}: ${f.value}`)
        .join('; '),
    )
    .filter(Boolean)
    .join('\n\n');
}
