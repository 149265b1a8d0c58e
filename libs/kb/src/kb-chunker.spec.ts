import { DEFAULT_CHUNK_OPTIONS, chunkOptionsFromSettings, chunkText, parseSections } from './kb-chunker';

const sentence = (i: number): string => `Sentence number ${i} talks about topic ${i} in some detail.`;
const paragraph = (from: number, count: number): string => Array.from({ length: count }, (_, i) => sentence(from + i)).join(' ');

describe('kb chunker', () => {
  it('follows headings: each chunk keeps its heading path and position, never spanning sections', () => {
    const text = [
      'Intro before any heading.',
      '',
      '# Billing',
      '',
      'How billing works.',
      '',
      '## Refunds',
      'Refunds take 5 days.',
      '',
      '## Invoices',
      '',
      'Invoices are monthly.',
      '',
      '# Support',
      'Email us.',
    ].join('\n');
    const chunks = chunkText(text);
    expect(chunks.map((c) => [c.position, c.headingPath, c.content])).toEqual([
      [0, [], 'Intro before any heading.'],
      [1, ['Billing'], 'How billing works.'],
      [2, ['Billing', 'Refunds'], 'Refunds take 5 days.'],
      [3, ['Billing', 'Invoices'], 'Invoices are monthly.'],
      [4, ['Support'], 'Email us.'],
    ]);
    expect(chunks.every((c) => c.charCount === c.content.length)).toBe(true);
  });

  it('understands setext headings, closing hashes and markdown in headings; skips empty sections', () => {
    const text = 'Guide\n=====\n\nWelcome.\n\nSetup **steps** ##\n---\nRun it.\n\n### [Empty](http://x)\n\n### Next\nDone.';
    expect(parseSections(text).map((s) => [s.headingPath, s.paragraphs])).toEqual([
      [['Guide'], ['Welcome.']],
      [['Guide', 'Setup steps ##'], ['Run it.']],
      [['Guide', 'Setup steps ##', 'Next'], ['Done.']],
    ]);
    expect(parseSections('# A\ntext\n## B ##\nmore').map((s) => s.headingPath)).toEqual([['A'], ['A', 'B']]);
  });

  it('packs whole paragraphs up to the max size', () => {
    const paragraphs = Array.from({ length: 6 }, (_, i) => paragraph(i * 10, 4)); // ~240 chars each
    const chunks = chunkText(paragraphs.join('\n\n'), { maxChars: 600, overlapChars: 0 });
    expect(chunks.length).toBe(3);
    for (const chunk of chunks) {
      expect(chunk.content.length).toBeLessThanOrEqual(600);
      expect(chunk.content.split('\n\n').every((p) => paragraphs.includes(p))).toBe(true);
    }
    expect(chunks.map((c) => c.content).join('\n\n')).toBe(paragraphs.join('\n\n'));
  });

  it('cuts a long paragraph at sentence boundaries with a sentence-aligned overlap', () => {
    const text = paragraph(0, 40); // ~2400 chars, one paragraph
    const chunks = chunkText(text, { maxChars: 500, overlapChars: 120 });
    expect(chunks.length).toBeGreaterThan(4);
    for (const [i, chunk] of chunks.entries()) {
      expect(chunk.content.length).toBeLessThanOrEqual(500);
      expect(chunk.content).toMatch(/^Sentence number \d+/);
      expect(chunk.content).toMatch(/detail\.$/);
      if (i > 0) {
        // the chunk starts with whole trailing sentences (≤ 120 chars) of the previous one
        const previous = chunks[i - 1]!.content;
        const overlap = [...Array(3).keys()]
          .map((n) => chunk.content.split(/(?<=\.) /).slice(0, n + 1).join(' '))
          .filter((prefix) => prefix.length <= 120 && previous.endsWith(prefix));
        expect(overlap.length).toBeGreaterThan(0);
      }
    }
    // nothing lost
    for (let i = 0; i < 40; i++) expect(chunks.some((c) => c.content.includes(sentence(i)))).toBe(true);
  });

  it('no overlap across sections, and none when overlapChars is 0', () => {
    const text = `# A\n${paragraph(0, 20)}\n\n# B\n${paragraph(100, 3)}`;
    const chunks = chunkText(text, { maxChars: 400, overlapChars: 0 });
    const joined = chunks.filter((c) => c.headingPath[0] === 'A').map((c) => c.content).join(' ');
    expect(joined).toBe(paragraph(0, 20));
    expect(chunks.filter((c) => c.headingPath[0] === 'B').map((c) => c.content)).toEqual([paragraph(100, 3)]);
  });

  it('cuts a sentence longer than the max at words, and a word longer than the max at the max', () => {
    const words = Array.from({ length: 300 }, (_, i) => `word${i}`).join(' ');
    const long = `${words} ${'x'.repeat(700)}`;
    const chunks = chunkText(long, { maxChars: 250, overlapChars: 0 });
    expect(chunks.every((c) => c.content.length <= 250)).toBe(true);
    expect(chunks.map((c) => c.content).join(' ').replace(/x /g, 'x')).toBe(long);
  });

  it('keeps fenced code blocks whole (blank lines and # inside are not structure)', () => {
    const text = '# Code\n```sh\n# not a heading\n\nnpm start\n```\nAfter.';
    const chunks = chunkText(text);
    expect(chunks.map((c) => c.content)).toEqual(['```sh\n# not a heading\n\nnpm start\n```\n\nAfter.']);
    expect(chunks[0]!.headingPath).toEqual(['Code']);
  });

  it('segments sentences in the agent language and normalises line endings and control characters', () => {
    const text = 'Hola.\r\n\r\n¿Qué tal? Muy bien.\u0000';
    const chunks = chunkText(text, { locale: 'es' });
    expect(chunks.map((c) => c.content)).toEqual(['Hola.\n\n¿Qué tal? Muy bien.']);
    expect(chunkText('   \n\n\t\n')).toEqual([]);
  });

  it('takes size and overlap from the agent settings when present, clamped, else the defaults', () => {
    expect(chunkOptionsFromSettings({ lang: 'de' })).toEqual({ ...DEFAULT_CHUNK_OPTIONS, locale: 'de' });
    expect(chunkOptionsFromSettings({ kbChunkSize: 600, kbChunkOverlap: 100 })).toEqual({ maxChars: 600, overlapChars: 100 });
    expect(chunkOptionsFromSettings({ kbChunkSize: 10, kbChunkOverlap: 5000 })).toEqual({ maxChars: 200, overlapChars: 100 });
    expect(chunkOptionsFromSettings({ kbChunkSize: 'big' })).toEqual(DEFAULT_CHUNK_OPTIONS);
  });
});
