import type { ChatEngine, EnginePassage, EngineReply, EngineRequest, EngineSource } from './chat-engine';
import { clip, contentStems, contentTerms, distinctIn, fold, splitSentences, wordGroups } from './text';

/** Per-language canned texts of the offline engine. */
interface OfflineTexts {
  unknown: string;
  noQuestion: string;
  greeting: string;
  thanks: string;
  bye: string;
}

const TEXTS: Record<string, OfflineTexts> = {
  en: {
    unknown:
      "I'm sorry, I don't know the answer to that: I couldn't find it in my knowledge base. You can rephrase your question or ask to talk to a person.",
    noQuestion: "I'm not sure I understood. Could you tell me a bit more about what you are looking for?",
    greeting: 'Hello! How can I help you?',
    thanks: "You're welcome! Is there anything else I can help you with?",
    bye: 'Goodbye, have a nice day!',
  },
  es: {
    unknown:
      'Lo siento, no sé la respuesta: no la he encontrado en mi base de conocimiento. Puedes reformular la pregunta o pedir hablar con una persona.',
    noQuestion: 'No estoy seguro de haberte entendido. ¿Puedes contarme un poco más sobre lo que buscas?',
    greeting: '¡Hola! ¿En qué puedo ayudarte?',
    thanks: '¡De nada! ¿Puedo ayudarte en algo más?',
    bye: '¡Hasta luego, que tengas un buen día!',
  },
  de: {
    unknown:
      'Das weiß ich leider nicht: Ich habe dazu nichts in meiner Wissensdatenbank gefunden. Formulieren Sie die Frage gern um oder bitten Sie darum, mit einem Menschen zu sprechen.',
    noQuestion: 'Ich bin nicht sicher, ob ich Sie verstanden habe. Können Sie etwas genauer beschreiben, was Sie suchen?',
    greeting: 'Hallo! Wie kann ich Ihnen helfen?',
    thanks: 'Gern geschehen! Kann ich Ihnen sonst noch helfen?',
    bye: 'Auf Wiedersehen und einen schönen Tag!',
  },
  fr: {
    unknown:
      "Désolé, je ne connais pas la réponse : je ne l'ai pas trouvée dans ma base de connaissances. Vous pouvez reformuler votre question ou demander à parler à un conseiller.",
    noQuestion: "Je ne suis pas sûr d'avoir compris. Pouvez-vous préciser ce que vous cherchez ?",
    greeting: 'Bonjour ! Comment puis-je vous aider ?',
    thanks: "Avec plaisir ! Puis-je vous aider pour autre chose ?",
    bye: 'Au revoir et bonne journée !',
  },
  it: {
    unknown:
      "Mi dispiace, non conosco la risposta: non l'ho trovata nella mia base di conoscenza. Puoi riformulare la domanda o chiedere di parlare con una persona.",
    noQuestion: 'Non sono sicuro di aver capito. Puoi dirmi qualcosa di più su ciò che cerchi?',
    greeting: 'Ciao! Come posso aiutarti?',
    thanks: 'Prego! Posso aiutarti in qualcos’altro?',
    bye: 'Arrivederci e buona giornata!',
  },
  pt: {
    unknown:
      'Desculpe, não sei a resposta: não a encontrei na minha base de conhecimento. Pode reformular a pergunta ou pedir para falar com uma pessoa.',
    noQuestion: 'Não tenho a certeza de ter percebido. Pode dizer-me um pouco mais sobre o que procura?',
    greeting: 'Olá! Como posso ajudar?',
    thanks: 'De nada! Posso ajudar em mais alguma coisa?',
    bye: 'Até logo, tenha um bom dia!',
  },
  nl: {
    unknown:
      'Sorry, dat weet ik niet: ik heb het niet gevonden in mijn kennisbank. U kunt uw vraag anders formuleren of vragen om met een medewerker te spreken.',
    noQuestion: 'Ik weet niet zeker of ik u begrijp. Kunt u iets meer vertellen over wat u zoekt?',
    greeting: 'Hallo! Waarmee kan ik u helpen?',
    thanks: 'Graag gedaan! Kan ik u nog ergens anders mee helpen?',
    bye: 'Tot ziens en een fijne dag!',
  },
};

/** The offline engine's texts for an ISO 639-1 code (`es`, `es-MX`, `ES` all give Spanish); English otherwise. */
export function offlineTexts(lang: string | null | undefined): OfflineTexts {
  const code = (lang ?? '').slice(0, 2).toLowerCase();
  return TEXTS[code] ?? TEXTS['en']!;
}

const GREETING_WORDS = new Set(
  'hi hello hey hiya howdy yo good morning afternoon evening day there hola buenas buenos dias tardes noches hallo guten tag morgen abend moin servus gruss gott bonjour bonsoir salut coucou ciao buongiorno buonasera ola oi bom dia boa tarde goedemorgen goedendag hoi'.split(
    ' ',
  ),
);
const THANKS_WORDS = new Set('thanks thank thx ty cheers gracias danke dankeschon merci grazie obrigado obrigada bedankt dank'.split(' '));
const THANKS_FILLER = new Set(
  'you so very much a lot many muchas mil vielen herzlichen schon beaucoup mille tante molte muito u wel je great ok okay perfect perfecto super genial parfait'.split(
    ' ',
  ),
);
const BYE_WORDS = new Set('bye goodbye ciao adios hasta luego pronto tschuss wiedersehen revoir plus tard arrivederci tchau dag doei see later'.split(' '));
const BYE_FILLER = new Set('good nice day au a auf see you then ok okay thanks thank merci gracias danke have'.split(' '));

type SmallTalk = 'greeting' | 'thanks' | 'bye';

/** Recognises a message made only of a greeting, thanks or goodbye ("hi!", "thanks a lot", "au revoir"). */
export function smallTalk(text: string): SmallTalk | undefined {
  const words = fold(text).match(/[\p{L}]+/gu);
  if (!words || words.length === 0 || words.length > 6) return undefined;
  if (words.some((w) => THANKS_WORDS.has(w)) && words.every((w) => THANKS_WORDS.has(w) || THANKS_FILLER.has(w))) return 'thanks';
  if (words.some((w) => BYE_WORDS.has(w) && w !== 'see' && w !== 'later') && words.every((w) => BYE_WORDS.has(w) || BYE_FILLER.has(w))) {
    return 'bye';
  }
  if (words.every((w) => GREETING_WORDS.has(w)) && words.some((w) => w !== 'good' && w !== 'day' && w !== 'there')) return 'greeting';
  return undefined;
}

interface Candidate {
  passage: number;
  index: number;
  text: string;
  terms: string[];
  words: number;
  score: number;
}

export interface OfflineEngineOptions {
  /** Passages looked at (best first). Default 10. */
  maxPassages?: number;
  /** Most sentences in a reply. Default 3. */
  maxSentences?: number;
  /** Longest reply, in characters (whole sentences are kept, one long sentence is clipped). Default 480. */
  maxChars?: number;
  /** Words per streamed delta. Default 4. */
  wordsPerDelta?: number;
}

const MAX_SENTENCES_PER_PASSAGE = 80;
const MAX_SENTENCE_CHARS = 320;

/**
 * The embedded retrieval answerer: no keys, no network. It answers with the sentences of the retrieved passages that
 * best cover the question's terms (idf-weighted overlap, light stemming, 1–3 sentences in reading order), and says
 * plainly that it does not know when the passages do not cover the question.
 */
export class OfflineEngine implements ChatEngine {
  readonly name = 'offline' as const;
  private readonly maxPassages: number;
  private readonly maxSentences: number;
  private readonly maxChars: number;
  private readonly wordsPerDelta: number;

  constructor(options: OfflineEngineOptions = {}) {
    this.maxPassages = options.maxPassages ?? 10;
    this.maxSentences = options.maxSentences ?? 3;
    this.maxChars = options.maxChars ?? 480;
    this.wordsPerDelta = options.wordsPerDelta ?? 4;
  }

  reply(request: EngineRequest, onDelta?: (text: string) => void): Promise<EngineReply> {
    const reply = this.compose(request);
    if (onDelta) for (const group of wordGroups(reply.text, this.wordsPerDelta)) onDelta(group);
    return Promise.resolve(reply);
  }

  /** The reply, computed synchronously (what `reply` resolves to). */
  compose(request: EngineRequest): EngineReply {
    const texts = offlineTexts(request.agent.lang);
    const question = request.question.trim();
    const talk = smallTalk(question);
    if (talk) return answer(texts[talk], []);

    const questionTerms = [...contentTerms(question)];
    if (questionTerms.length === 0) return unanswered(question ? texts.unknown : texts.noQuestion);

    const passages = dedupePassages(request.passages, this.maxPassages);
    if (passages.length === 0) return unanswered(texts.unknown);

    const questionSet = new Set(questionTerms);
    const candidates: Candidate[] = [];
    const headerTerms: Set<string>[] = [];
    const df = new Map<string, number>();
    passages.forEach((passage, p) => {
      const analysed = analyse(passage);
      headerTerms.push(new Set(distinctIn(analysed.headerStems, questionSet)));
      analysed.sentences.forEach((sentence, i) => {
        const terms = distinctIn(sentence.stems, questionSet);
        for (const term of terms) df.set(term, (df.get(term) ?? 0) + 1);
        candidates.push({ passage: p, index: i, text: sentence.text, terms, words: sentence.words, score: 0 });
      });
    });
    if (candidates.length === 0) return unanswered(texts.unknown);

    // Rare terms weigh more; a question term found nowhere weighs the most (it lowers the coverage).
    const n = candidates.length;
    const weight = (term: string) => 1 + Math.log((n + 1) / ((df.get(term) ?? 0) + 0.5));
    const totalWeight = questionTerms.reduce((sum, term) => sum + weight(term), 0);

    let best: Candidate | undefined;
    for (const c of candidates) {
      if (c.terms.length === 0) continue;
      let score = 0;
      for (const term of c.terms) score += weight(term);
      for (const term of headerTerms[c.passage]!) if (!c.terms.includes(term)) score += 0.3 * weight(term);
      // Headings and fragments carry little; earlier (better-ranked) passages win ties.
      if (c.words < 4) score *= 0.5;
      score *= 1 - 0.02 * c.passage;
      c.score = score;
      if (!best || score > best.score) best = c;
    }
    if (!best) return unanswered(texts.unknown);

    const covered = new Set([...best.terms, ...headerTerms[best.passage]!]);
    const coverage = [...covered].reduce((sum, term) => sum + weight(term), 0) / totalWeight;
    const threshold = questionTerms.length === 1 ? 0.99 : questionTerms.length === 2 ? 0.5 : 0.4;
    if (coverage < threshold) return unanswered(texts.unknown);

    const chosen = this.pickSentences(best, candidates, covered, weight, questionTerms.length);
    chosen.sort((a, b) => a.passage - b.passage || a.index - b.index);
    const text = chosen.map((c) => terminate(clip(c.text, MAX_SENTENCE_CHARS))).join(' ');
    const sources: EngineSource[] = [];
    for (const c of chosen) {
      const passage = passages[c.passage]!;
      if (sources.some((s) => s.chunkId === passage.chunkId)) continue;
      sources.push({ documentId: passage.documentId, chunkId: passage.chunkId, title: passage.title, source: passage.source });
    }
    return answer(text, sources);
  }

  /** The best sentence, plus up to two more that are nearly as good, preferring ones that cover new terms. */
  private pickSentences(
    best: Candidate,
    candidates: Candidate[],
    covered: Set<string>,
    weight: (term: string) => number,
    questionSize: number,
  ): Candidate[] {
    const chosen = [best];
    let length = Math.min(best.text.length, MAX_SENTENCE_CHARS);
    const seen = new Set([fold(best.text)]);
    const pool = candidates.filter((c) => c !== best && c.score >= 0.5 * best.score && c.words >= 3);
    while (chosen.length < this.maxSentences && pool.length > 0) {
      let pick = -1;
      let pickValue = 0;
      for (let i = 0; i < pool.length; i++) {
        const c = pool[i]!;
        let fresh = 0;
        for (const term of c.terms) if (!covered.has(term)) fresh += weight(term);
        // Same passage as the best sentence reads as one answer; new terms add information.
        const value = c.score + 2 * fresh + (c.passage === best.passage ? 0.5 : 0);
        if (value > pickValue) {
          pick = i;
          pickValue = value;
        }
      }
      if (pick < 0) break;
      const [c] = pool.splice(pick, 1) as [Candidate];
      const key = fold(c.text);
      if (seen.has(key)) continue;
      const clipped = Math.min(c.text.length, MAX_SENTENCE_CHARS);
      if (length + 1 + clipped > this.maxChars) continue;
      // A sentence that adds nothing new must be as strong as the best one to be worth reading; one from another
      // passage must be nearly as strong and match more than a single word of the question.
      const addsTerms = c.terms.some((term) => !covered.has(term));
      if (!addsTerms && c.score < 0.8 * best.score) continue;
      if (c.passage !== best.passage && (c.score < 0.9 * best.score || (c.terms.length < 2 && questionSize > 1))) continue;
      seen.add(key);
      length += 1 + clipped;
      for (const term of c.terms) covered.add(term);
      chosen.push(c);
    }
    return chosen;
  }
}

function answer(text: string, sources: EngineSource[]): EngineReply {
  return { text, sources, unanswered: false, intents: [] };
}

function unanswered(text: string): EngineReply {
  return { text, sources: [], unanswered: true, intents: [] };
}

interface AnalysedPassage {
  text: string;
  header: string;
  headerStems: string[];
  sentences: { text: string; stems: string[]; words: number }[];
}

/** Sentences and stems of recently used passages, by chunk id (a popular chunk is analysed once, not per question). */
const ANALYSED = new Map<string, AnalysedPassage>();
const ANALYSED_MAX = 5000;

function analyse(passage: EnginePassage): AnalysedPassage {
  const header = `${passage.title} ${passage.headingPath.join(' ')}`;
  const cached = ANALYSED.get(passage.chunkId);
  if (cached && cached.text === passage.text && cached.header === header) return cached;
  const sentences = splitSentences(passage.text)
    .slice(0, MAX_SENTENCES_PER_PASSAGE)
    .map((text) => ({ text, stems: contentStems(text), words: countWords(text) }));
  const analysed: AnalysedPassage = { text: passage.text, header, headerStems: contentStems(header), sentences };
  if (ANALYSED.size >= ANALYSED_MAX) {
    const oldest = ANALYSED.keys().next();
    if (!oldest.done) ANALYSED.delete(oldest.value);
  }
  ANALYSED.set(passage.chunkId, analysed);
  return analysed;
}

function dedupePassages(passages: readonly EnginePassage[], max: number): EnginePassage[] {
  const out: EnginePassage[] = [];
  const seen = new Set<string>();
  for (const passage of passages) {
    if (out.length >= max) break;
    if (seen.has(passage.chunkId) || !passage.text.trim()) continue;
    seen.add(passage.chunkId);
    out.push(passage);
  }
  return out;
}

function countWords(text: string): number {
  let count = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const space = text.charCodeAt(i) <= 32;
    if (!space && !inWord) count++;
    inWord = !space;
  }
  return count;
}

/** Ends a sentence with punctuation when it has none (list items, headings). */
function terminate(sentence: string): string {
  return /[.!?…:;。！？)"”»]$/.test(sentence) ? sentence : `${sentence}.`;
}
