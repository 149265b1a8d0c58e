import type { EngineAgent, EnginePassage, EngineRequest } from './chat-engine';
import { OfflineEngine, offlineTexts, smallTalk } from './offline-engine';
import { splitSentences, stem, wordGroups } from './text';

const agent = (lang = 'en'): EngineAgent => ({ id: 'a1', title: 'Acme help', prompt: null, temperature: null, model: null, maxTokens: null, lang });

let seq = 0;
const passage = (text: string, extra: Partial<EnginePassage> = {}): EnginePassage => {
  seq += 1;
  return {
    chunkId: `c${seq}`,
    documentId: extra.documentId ?? `d${seq}`,
    title: extra.title ?? `Doc ${seq}`,
    headingPath: extra.headingPath ?? [],
    text,
    score: extra.score ?? 1 / seq,
    source: extra.source ?? `https://acme.test/doc-${seq}`,
  };
};

const request = (question: string, passages: EnginePassage[], lang = 'en'): EngineRequest => ({ agent: agent(lang), history: [], question, passages });

const SHIPPING = passage(
  'We ship to every country in the EU. Shipping within Germany costs €4.90 and is free for orders over €50. ' +
    'International shipping takes 5 to 7 business days. Our warehouse is in Leipzig.',
  { title: 'Shipping', headingPath: ['Help', 'Delivery'], documentId: 'ship-doc' },
);
const HOURS = passage(
  '# Opening hours\nOur store is open Monday to Friday from 9 am to 6 pm. On Saturdays we open from 10 am to 2 pm. We are closed on Sundays and public holidays.',
  { title: 'Store', headingPath: ['Visit us'] },
);
const RETURNS = passage(
  'You can return any item within 30 days of delivery. Refunds are paid to the original payment method within 5 days of receiving the return. ' +
    'Sale items cannot be returned.',
  { title: 'Returns and refunds' },
);
const ABOUT = passage('Acme was founded in 1999 by two engineers. We employ 120 people. Our mission is to make tools that last.', { title: 'About' });

describe('OfflineEngine', () => {
  const engine = new OfflineEngine();

  it('answers from the most relevant sentences, with their sources', async () => {
    const reply = await engine.reply(request('How much does shipping to Germany cost?', [ABOUT, SHIPPING, RETURNS]));
    expect(reply.unanswered).toBe(false);
    expect(reply.text).toContain('Shipping within Germany costs €4.90');
    expect(reply.text).not.toContain('founded');
    expect(reply.sources).toEqual([{ documentId: 'ship-doc', chunkId: SHIPPING.chunkId, title: 'Shipping', source: SHIPPING.source }]);
    expect(reply.intents).toEqual([]);
  });

  it('keeps replies short (1–3 sentences) and in reading order', async () => {
    const reply = await engine.reply(request('What are your opening hours on Saturday?', [HOURS, SHIPPING]));
    expect(reply.unanswered).toBe(false);
    const sentences = splitSentences(reply.text);
    expect(sentences.length).toBeGreaterThanOrEqual(1);
    expect(sentences.length).toBeLessThanOrEqual(3);
    expect(reply.text).toContain('On Saturdays we open from 10 am to 2 pm.');
    const monday = reply.text.indexOf('Monday');
    if (monday >= 0) expect(monday).toBeLessThan(reply.text.indexOf('Saturdays'));
    expect(reply.text).not.toContain('#');
  });

  it('matches word forms (light stemming) and headings', async () => {
    const reply = await engine.reply(request('refund for returned items?', [ABOUT, RETURNS]));
    expect(reply.unanswered).toBe(false);
    expect(reply.text).toMatch(/Refunds are paid|return any item/);
    expect(reply.sources[0]!.chunkId).toBe(RETURNS.chunkId);
  });

  it('says plainly that it does not know when no passage answers', async () => {
    const none = await engine.reply(request('Do you sell bicycles?', []));
    expect(none).toEqual({ text: offlineTexts('en').unknown, sources: [], unanswered: true, intents: [] });

    const off = await engine.reply(request('Do you sell bicycles?', [SHIPPING, HOURS, ABOUT]));
    expect(off.unanswered).toBe(true);
    expect(off.sources).toEqual([]);

    // One matching word out of several rare ones is not an answer.
    const weak = await engine.reply(request('What is the price of shipping a piano to Mars?', [SHIPPING]));
    expect(weak.unanswered).toBe(true);
  });

  it('localises the "I do not know" reply (es, de, fr), English otherwise', async () => {
    for (const [lang, fragment] of [
      ['es', 'no sé la respuesta'],
      ['de', 'Das weiß ich leider nicht'],
      ['fr', 'je ne connais pas la réponse'],
      ['es-MX', 'no sé la respuesta'],
      ['xx', "I don't know"],
    ] as const) {
      const reply = await engine.reply(request('Zzzquux?', [], lang));
      expect(reply.unanswered).toBe(true);
      expect(reply.text).toContain(fragment);
    }
  });

  it('answers in other languages from matching passages', async () => {
    const es = passage('El envío a España cuesta 5 euros. Los pedidos llegan en 3 días laborables.', { title: 'Envíos' });
    const reply = await engine.reply(request('¿Cuánto cuesta el envío?', [ABOUT, es], 'es'));
    expect(reply.unanswered).toBe(false);
    expect(reply.text).toContain('El envío a España cuesta 5 euros.');
  });

  it('answers greetings and thanks without pretending to search', async () => {
    expect((await engine.reply(request('Hi!', [SHIPPING]))).text).toBe(offlineTexts('en').greeting);
    const thanks = await engine.reply(request('vielen Dank!', [SHIPPING], 'de'));
    expect(thanks).toMatchObject({ text: offlineTexts('de').thanks, unanswered: false, sources: [] });
    expect(smallTalk('thanks, that helps with my shipping question')).toBeUndefined();
  });

  it('streams word groups whose concatenation is the reply text', async () => {
    const deltas: string[] = [];
    const reply = await engine.reply(request('How long does international shipping take?', [SHIPPING]), (d) => deltas.push(d));
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(reply.text);
    for (const delta of deltas.slice(0, -1)) expect(delta.trim().split(/\s+/)).toHaveLength(4);

    const unknown: string[] = [];
    const miss = await engine.reply(request('Do you sell bicycles?', [ABOUT]), (d) => unknown.push(d));
    expect(unknown.join('')).toBe(miss.text);
  });

  it('clips a very long sentence and skips duplicate passages', async () => {
    const long = passage(`Warranty covers ${'every part of the machine and its accessories, '.repeat(20)}for two years.`, { title: 'Warranty' });
    const reply = await engine.reply(request('What does the warranty cover?', [long, long]));
    expect(reply.unanswered).toBe(false);
    expect(reply.text.length).toBeLessThanOrEqual(330);
    expect(reply.text).toContain('…');
    expect(reply.sources).toHaveLength(1);
  });

  it('is fast: well under a millisecond for 10 passages', () => {
    const filler = 'Our team checks every order by hand before it leaves the warehouse, and we pack with recycled paper. ';
    const passages = Array.from({ length: 10 }, (_, i) =>
      passage(`${filler.repeat(4)}Item ${i} ships within ${i + 1} days. ${filler.repeat(3)}`, { title: `Product ${i}`, headingPath: ['Catalogue', 'Details'] }),
    );
    const req = request('How many days until product 7 ships from the warehouse?', passages);
    for (let i = 0; i < 50; i++) engine.compose(req);
    const runs = 500;
    const started = process.hrtime.bigint();
    for (let i = 0; i < runs; i++) engine.compose(req);
    const perCallUs = Number(process.hrtime.bigint() - started) / 1e3 / runs;
    expect(engine.compose(req).unanswered).toBe(false);
    // Typically ~100–300 µs; generous bound for a busy CI machine.
    expect(perCallUs).toBeLessThan(2000);
  });
});

describe('text helpers', () => {
  it('stems word forms together', () => {
    expect(stem('shipping')).toBe(stem('ship'));
    expect(stem('shipped')).toBe(stem('ships'));
    expect(stem('hours')).toBe(stem('hour'));
    expect(stem('deliveries')).toBe(stem('delivery'));
    expect(stem('precios')).toBe(stem('precio'));
  });

  it('splits sentences without breaking decimals, abbreviations or lists', () => {
    expect(splitSentences('It costs €4.90 per order. E.g. small parcels ship fast! Really?\n- Free returns\n## Next')).toEqual([
      'It costs €4.90 per order.',
      'E.g. small parcels ship fast!',
      'Really?',
      'Free returns',
      'Next',
    ]);
  });

  it('groups words keeping all white space', () => {
    const text = '  one two  three four five\nsix ';
    expect(wordGroups(text, 2).join('')).toBe(text);
    expect(wordGroups('', 4)).toEqual([]);
  });
});
