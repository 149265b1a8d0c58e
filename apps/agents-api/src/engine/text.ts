/**
 * Small, allocation-light text helpers shared by the offline engine: normalisation, tokens, a crude multilingual
 * stemmer, stopwords (en/es/de/fr/it/pt/nl) and a sentence splitter. Fast enough to run over ten passages in well
 * under a millisecond.
 */

const COMBINING_MARKS = /[\u0300-\u036f]/g;
const WORD = /[\p{L}\p{N}]+/gu;

/** Lower case, diacritics removed (`Größe` → `große`, `opción` → `opcion`). */
export function fold(text: string): string {
  const lower = text.toLowerCase();
  // Only pay for NFD when there is something outside ASCII.
  // eslint-disable-next-line no-control-regex
  return /[^\u0000-\u007f]/.test(lower) ? lower.normalize('NFD').replace(COMBINING_MARKS, '').replace(/ß/g, 'ss') : lower;
}

const STOPWORDS = new Set(
  (
    // en
    'a about above after again against all also am an and any are aren as at be because been before being below ' +
    'between both but by can cannot could couldn did didn do does doesn doing don down during each else ever few for ' +
    'from further get gets got had has have having he her here hers herself him himself his how i if in into is isn it ' +
    'its itself just let me more most my myself no nor not now of off on once only or other ought our ours ourselves ' +
    'out over own please same she should so some such than that the their theirs them themselves then there these ' +
    'they this those through to too under until up us very was we were what when where which while who whom why will ' +
    'with would you your yours yourself yourselves hi hello hey thanks thank tell know want need like s t d ll m re ve ' +
    'much many way ok okay yes yeah one anything something thing things there here whats hows wheres long take takes ' +
    'taking took usually normally typically exactly possible ' +
    // question meta-words ("what is your returns policy", "information about") that a passage rarely repeats
    'policy policies information info details detail question questions explain politica informacion ' +
    'informationen richtlinie politique informations ' +
    // es
    'el la los las un una unos unas y o u de del al en con por para sin sobre que cual cuales quien como cuando donde ' +
    'cuanto cuanta cuantos cuantas es son esta estan estoy ser estar hay mi mis tu tus su sus yo me te se nos le les lo ' +
    'muy mas pero si no ya tambien puedo puede pueden quiero tengo tiene tienen hola gracias favor ese esa eso esto ' +
    'este estos estas sus nuestro nuestra usted ustedes hacer hace tiempo tarda tardan ' +
    // de
    'der die das den dem des ein eine einer eines einem einen und oder aber nicht kein keine ist sind bin bist war ' +
    'waren sein ich du er sie es wir ihr mich mir dich dir uns euch ihnen ihre ihr mein meine dein deine zu zum zur ' +
    'im in an am auf aus bei mit nach von vor fur uber unter wie was wer wo wann warum welche welcher welches kann ' +
    'konnen mochte mochten habe hast hat haben wird werden auch noch schon sehr bitte danke hallo gibt es ob dass lange ' +
    'dauert dauern ' +
    // fr
    'le la les un une des du de d l et ou mais ne pas plus est sont suis es etre avoir ai as avez ont je tu il elle ' +
    'nous vous ils elles me te se mon ma mes ton ta tes son sa ses notre votre vos leur leurs ce cet cette ces qui que ' +
    'quoi quel quelle quels quelles comment combien quand pourquoi dans en sur sous avec pour par chez au aux y ' +
    'bonjour merci oui non peux peut puis voudrais veux qu c j n s temps faut ' +
    // it / pt / nl (common function words only)
    'il lo gli della delle dei degli che di da per con non sono come quanto dove ciao grazie ' +
    'o os as um uma uns umas do da dos das no na nos nas em com por para nao sim como quanto onde ola obrigado ' +
    'de het een en of maar niet is zijn ik jij je hij zij wij jullie van voor met op aan in hoe wat waar wanneer hallo bedankt'
  ).split(' '),
);

export function isStopword(word: string): boolean {
  return STOPWORDS.has(word);
}

const SUFFIXES = [
  'ational', 'ations', 'ation', 'ciones', 'cion', 'ments', 'ment', 'mente', 'ingly', 'ings', 'ing', 'ungen', 'ung',
  'edly', 'ies', 'ied', 'ed', 'es', 'en', 'er', 'ly', 's', 'e', 'y',
];

/**
 * A crude suffix stripper, applied until nothing changes so that it is symmetric (`covers` → `cover` → `cov`), good
 * enough to match `shipping`/`ship`/`shipped`, `precios`/`precio`.
 */
export function stem(word: string): string {
  let current = word;
  for (let pass = 0; pass < 3; pass++) {
    const next = stripSuffix(current);
    if (next === current) break;
    current = next;
  }
  return current;
}

function stripSuffix(word: string): string {
  if (word.length <= 3) return word;
  for (const suffix of SUFFIXES) {
    if (word.length - suffix.length >= 3 && word.endsWith(suffix)) {
      let base = word.slice(0, word.length - suffix.length);
      // shipping → shipp → ship
      if (base.length > 3 && base[base.length - 1] === base[base.length - 2]) base = base.slice(0, -1);
      return base;
    }
  }
  return word;
}

const STEM_CACHE = new Map<string, string>();
const STEM_CACHE_MAX = 50_000;

/** `stem`, memoised (a knowledge base has a limited vocabulary; stemming is the hot path of the offline engine). */
export function cachedStem(word: string): string {
  let stemmed = STEM_CACHE.get(word);
  if (stemmed === undefined) {
    if (STEM_CACHE.size >= STEM_CACHE_MAX) STEM_CACHE.clear();
    stemmed = stem(word);
    STEM_CACHE.set(word, stemmed);
  }
  return stemmed;
}

/** Calls `visit` with the stem of every content word of `text` (stopwords and one-letter words skipped). */
function forEachContentStem(text: string, visit: (stem: string) => void): void {
  const folded = fold(text);
  WORD.lastIndex = 0;
  for (let m = WORD.exec(folded); m !== null; m = WORD.exec(folded)) {
    const word = m[0];
    if (word.length < 2 && !(word >= '0' && word <= '9')) continue;
    if (STOPWORDS.has(word)) continue;
    visit(cachedStem(word));
  }
}

/** Distinct content stems of a text (stopwords and one-letter words removed). */
export function contentTerms(text: string): Set<string> {
  const out = new Set<string>();
  forEachContentStem(text, (term) => out.add(term));
  return out;
}

/** Every content stem of `text`, in order, repeats included (analyse once, match many questions: `distinctIn`). */
export function contentStems(text: string): string[] {
  const out: string[] = [];
  forEachContentStem(text, (term) => out.push(term));
  return out;
}

/** The distinct entries of `stems` that are in `wanted`, in order of first appearance. */
export function distinctIn(stems: readonly string[], wanted: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const term of stems) if (wanted.has(term) && !out.includes(term)) out.push(term);
  return out;
}

/**
 * Splits text into sentences: on `.`, `!`, `?`, `…` followed by white space and an upper-case letter, digit or
 * opening quote/bracket, and on line breaks (lists, headings). Markdown list and heading markers are dropped.
 */
export function splitSentences(text: string): string[] {
  const out: string[] = [];
  for (const rawLine of text.split(/\r?\n+/)) {
    const line = rawLine.replace(/^\s*(?:#{1,6}\s+|[-*•·]\s+|\d{1,2}[.)]\s+)/, '').trim();
    if (!line) continue;
    for (const part of line.split(/(?<=[.!?…。！？])\s+(?=[\p{Lu}\p{N}"“«¿¡(])/u)) {
      const sentence = part.trim();
      if (sentence) out.push(sentence);
    }
  }
  return out;
}

/** Cuts `text` at a word boundary to at most `max` characters, adding an ellipsis when it cut. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.lastIndexOf(' ', max - 1);
  return `${text.slice(0, cut > max / 2 ? cut : max - 1).replace(/[\s,;:–—-]+$/, '')}…`;
}

/** Splits text into chunks of a few words each (white space kept), so that the chunks concatenate to `text`. */
export function wordGroups(text: string, wordsPerGroup = 4): string[] {
  const groups: string[] = [];
  const tokens = text.match(/\S+\s*/g) ?? [];
  const lead = /^\s+/.exec(text)?.[0] ?? '';
  let current = lead;
  let count = 0;
  for (const token of tokens) {
    current += token;
    count += 1;
    if (count === wordsPerGroup) {
      groups.push(current);
      current = '';
      count = 0;
    }
  }
  if (current) groups.push(current);
  return groups;
}
