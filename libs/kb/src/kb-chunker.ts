/**
 * Structure-aware chunking of markdown-like text (raw text as given; extracted HTML/PDF/DOCX text should render its
 * headings as `#` lines). A document is cut into sections by its headings; a chunk never spans two sections and keeps
 * the section's heading path. Inside a section, whole paragraphs are packed up to `maxChars`; a paragraph longer than
 * that is cut into sentences (Intl.Segmenter, in the agent's language), and a sentence longer than that into words.
 * Consecutive chunks of one section share up to `overlapChars` of text (whole sentences where possible), and no chunk is
 * longer than `maxChars`.
 */
export interface ChunkOptions {
  maxChars: number;
  overlapChars: number;
  /** BCP 47 language for sentence segmentation (the agent's `lang`). */
  locale?: string;
}

export const DEFAULT_CHUNK_OPTIONS: Readonly<Required<Omit<ChunkOptions, 'locale'>>> = { maxChars: 1000, overlapChars: 150 };
export const CHUNK_LIMITS = { minMaxChars: 200, maxMaxChars: 8000 } as const;

export interface ChunkDraft {
  /** 0-based, in document order. */
  position: number;
  /** Headings enclosing the chunk, outermost first (empty before the first heading). */
  headingPath: string[];
  content: string;
  charCount: number;
}

interface Section {
  headingPath: string[];
  paragraphs: string[];
}

interface Unit {
  text: string;
  /** What joins this unit to the one before it in the same chunk. */
  sep: string;
}

/**
 * Chunk size and overlap from the agent's settings when it carries them (`kbChunkSize`, `kbChunkOverlap`, characters),
 * else the defaults; out-of-range values are clamped.
 */
export function chunkOptionsFromSettings(settings: Readonly<Record<string, unknown>>): ChunkOptions {
  const size = settings['kbChunkSize'];
  const overlap = settings['kbChunkOverlap'];
  const maxChars = clamp(typeof size === 'number' ? size : DEFAULT_CHUNK_OPTIONS.maxChars, CHUNK_LIMITS.minMaxChars, CHUNK_LIMITS.maxMaxChars);
  const overlapChars = clamp(typeof overlap === 'number' ? overlap : DEFAULT_CHUNK_OPTIONS.overlapChars, 0, Math.floor(maxChars / 2));
  const lang = settings['lang'];
  return { maxChars, overlapChars, ...(typeof lang === 'string' ? { locale: lang } : {}) };
}

export function chunkText(text: string, options: Partial<ChunkOptions> = {}): ChunkDraft[] {
  const maxChars = Math.max(options.maxChars ?? DEFAULT_CHUNK_OPTIONS.maxChars, 20);
  const overlapChars = clamp(options.overlapChars ?? DEFAULT_CHUNK_OPTIONS.overlapChars, 0, Math.floor(maxChars / 2));
  const segmenter = sentenceSegmenter(options.locale);
  const chunks: ChunkDraft[] = [];
  for (const section of parseSections(text)) {
    const units = section.paragraphs.flatMap((p, i) => paragraphUnits(p, i === 0 ? '' : '\n\n', maxChars, segmenter));
    for (const content of pack(units, maxChars, overlapChars, segmenter)) {
      chunks.push({ position: chunks.length, headingPath: section.headingPath, content, charCount: content.length });
    }
  }
  return chunks;
}

/** Splits text into sections at ATX (`## Title`) and setext (`Title` / `===`) headings; fenced code stays whole. */
export function parseSections(text: string): Section[] {
  const lines = normalize(text).split('\n');
  const sections: Section[] = [];
  const stack: { level: number; title: string }[] = [];
  let current: Section = { headingPath: [], paragraphs: [] };
  let paragraph: string[] = [];
  let fence: string | null = null;

  const endParagraph = (): void => {
    const body = paragraph.join('\n').trim();
    if (body) current.paragraphs.push(body);
    paragraph = [];
  };
  const startSection = (level: number, title: string): void => {
    endParagraph();
    if (current.paragraphs.length > 0) sections.push(current);
    while (stack.length > 0 && stack[stack.length - 1]!.level >= level) stack.pop();
    stack.push({ level, title });
    current = { headingPath: stack.map((h) => h.title), paragraphs: [] };
  };

  for (const line of lines) {
    if (fence !== null) {
      paragraph.push(line);
      if (line.trimStart().startsWith(fence)) {
        fence = null;
        endParagraph();
      }
      continue;
    }
    const fenceOpen = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (fenceOpen) {
      endParagraph();
      fence = fenceOpen[1]!;
      paragraph.push(line);
      continue;
    }
    const atx = /^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/.exec(line);
    if (atx) {
      const title = cleanHeading(atx[2]!);
      if (title) startSection(atx[1]!.length, title);
      else endParagraph();
      continue;
    }
    const setext = /^ {0,3}(=+|-{2,})[ \t]*$/.exec(line);
    if (setext && paragraph.length === 1 && paragraph[0]!.trim()) {
      const title = cleanHeading(paragraph[0]!);
      paragraph = [];
      startSection(setext[1]!.startsWith('=') ? 1 : 2, title);
      continue;
    }
    if (!line.trim()) {
      endParagraph();
      continue;
    }
    paragraph.push(line);
  }
  endParagraph();
  if (current.paragraphs.length > 0) sections.push(current);
  return sections;
}

function paragraphUnits(paragraph: string, sep: string, maxChars: number, segmenter: Intl.Segmenter): Unit[] {
  if (paragraph.length <= maxChars) return [{ text: paragraph, sep }];
  const units: Unit[] = [];
  for (const sentence of sentences(paragraph, segmenter)) {
    const pieces = sentence.text.length <= maxChars ? [sentence.text] : splitWords(sentence.text, maxChars);
    pieces.forEach((text, i) => units.push({ text, sep: units.length === 0 ? sep : i === 0 ? sentence.sep : ' ' }));
  }
  return units;
}

/** Packs units into chunks of at most `maxChars`, carrying an overlap tail from one chunk into the next. */
function pack(units: Unit[], maxChars: number, overlapChars: number, segmenter: Intl.Segmenter): string[] {
  const out: string[] = [];
  let current = '';
  for (const unit of units) {
    const joined = current ? `${current}${unit.sep}${unit.text}` : unit.text;
    if (joined.length <= maxChars) {
      current = joined;
      continue;
    }
    out.push(current);
    const tail = overlapTail(current, overlapChars, segmenter);
    const sep = unit.sep || ' ';
    current = tail && tail.length + sep.length + unit.text.length <= maxChars ? `${tail}${sep}${unit.text}` : unit.text;
  }
  if (current) out.push(current);
  return out;
}

/** The end of `text` to repeat at the start of the next chunk: whole trailing sentences, else trailing words. */
function overlapTail(text: string, overlapChars: number, segmenter: Intl.Segmenter): string {
  if (overlapChars <= 0) return '';
  const parts = sentences(text, segmenter);
  let tail = '';
  for (let i = parts.length - 1; i >= 0; i--) {
    const candidate = tail ? `${parts[i]!.text}${parts[i + 1]!.sep}${tail}` : parts[i]!.text;
    if (candidate.length > overlapChars) break;
    tail = candidate;
  }
  if (tail) return tail;
  // The last sentence alone is too long: its last words.
  const words = text.slice(-overlapChars - 1).split(/\s+/);
  words.shift(); // probably cut in the middle
  return words.join(' ').trim();
}

function sentences(text: string, segmenter: Intl.Segmenter): Unit[] {
  const out: Unit[] = [];
  let pendingSep = '';
  for (const { segment } of segmenter.segment(text)) {
    const trimmed = segment.trim();
    if (trimmed) out.push({ text: trimmed, sep: out.length === 0 ? '' : pendingSep || ' ' });
    const trailing = /\s*$/.exec(segment)?.[0] ?? '';
    pendingSep = trailing.includes('\n') ? '\n' : ' ';
  }
  return out;
}

/** Cuts an over-long sentence at word boundaries (and a single over-long "word" at `maxChars`). */
function splitWords(text: string, maxChars: number): string[] {
  const out: string[] = [];
  let current = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    for (let i = 0; i < word.length; i += maxChars) {
      const piece = word.slice(i, i + maxChars);
      if (!current) current = piece;
      else if (current.length + 1 + piece.length <= maxChars) current = `${current} ${piece}`;
      else {
        out.push(current);
        current = piece;
      }
    }
  }
  if (current) out.push(current);
  return out;
}

function cleanHeading(raw: string): string {
  return raw
    .replace(/[*_`]+/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200);
}

function normalize(text: string): string {
  // Postgres text cannot hold NUL; other control characters but tab and newline only confuse the parser.
  // eslint-disable-next-line no-control-regex
  return text.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '');
}

const segmenters = new Map<string, Intl.Segmenter>();
function sentenceSegmenter(locale: string | undefined): Intl.Segmenter {
  const key = locale ?? 'en';
  let segmenter = segmenters.get(key);
  if (!segmenter) {
    try {
      segmenter = new Intl.Segmenter(key, { granularity: 'sentence' });
    } catch {
      segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });
    }
    segmenters.set(key, segmenter);
  }
  return segmenter;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(Number.isFinite(value) ? Math.round(value) : min, min), max);
}
