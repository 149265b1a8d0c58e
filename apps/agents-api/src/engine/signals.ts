/**
 * What a user message says beyond its question: a request for a human (handoff), contact details (a lead) and,
 * sometimes, the user's name. Rule-based and multilingual (en, es, de, fr, plus basic it/pt/nl); every language's
 * patterns are always tried, since users do not always write in the agent's language.
 */
export interface MessageSignals {
  /** The user asks to talk to a human (agent, operator, representative, support staff...). */
  handoff: boolean;
  /** Email addresses, lower-cased, in order of appearance, once each. */
  emails: string[];
  /** Phone numbers: `+` and digits when given in international form (`+4930123456`), else the digits as written. */
  phones: string[];
  /** A name the user gave ("my name is Ana Pérez", "je m'appelle Luc"). */
  name?: string;
}

/**
 * Detects handoff requests, contact details and a name in one user message. `lang` (the agent's ISO 639-1 language)
 * is accepted for future tuning; detection currently tries every supported language.
 */
export function detectSignals(text: string, _lang?: string | null): MessageSignals {
  const signals: MessageSignals = { handoff: detectHandoff(text), emails: extractEmails(text), phones: extractPhones(text) };
  const name = extractName(text);
  if (name) signals.name = name;
  return signals;
}

// ---------------------------------------------------------------------------------------------------------------------
// Handoff

/** Lower case, no diacritics (ß → ss), typographic apostrophes straightened, white space collapsed. */
function foldForMatch(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ß/g, 'ss')
    .replace(/[’‘`´]/g, "'")
    .replace(/\s+/g, ' ')
    .trim();
}

const EN_HUMAN =
  "(?:(?:a|an|the|some|your|one of your|any|real|live|actual|human|proper)\\s+){0,3}" +
  '(?:human(?:\\s+being)?s?|person|agent|operator|representative|rep|someone|somebody|anyone|anybody|staff(?:\\s+member)?|' +
  'employee|supervisor|manager|team\\s+member|advisor|adviser|(?:customer\\s+)?(?:service|support|care)(?:\\s+(?:team|agent|rep|representative|staff|person))?)' +
  '(?!\\s*(?:resources|rights|error|nature|body|-?like))\\b';

const ES_HUMAN =
  '(?:(?:un|una|el|la|algun|alguna|ser|persona|agente|de|verdad|real)\\s+){0,3}' +
  '(?:humano|humana|persona(?:\\s+real)?|agente|operador|operadora|asesor|asesora|representante|ejecutivo|ejecutiva|empleado|empleada|' +
  'alguien|encargado|encargada|supervisor|soporte|atencion al cliente)\\b';

const DE_HUMAN =
  '(?:(?:einem|einer|einen|dem|der|den|ihrem|ihrer|eurem|echten|realen|richtigen|lebenden|menschlichen|zustandigen)\\s+){0,2}' +
  '(?:menschen|mensch|mitarbeiter(?:in|innen|n)?|mitarbeitenden|berater(?:in)?|person|agenten|agentin|operator|ansprechpartner(?:in)?|' +
  'kundendienst|kundenservice|support|service-?mitarbeiter(?:in)?|sachbearbeiter(?:in)?|jemandem|vorgesetzten|verantwortlichen)\\b';

const FR_HUMAN =
  "(?:(?:un|une|le|la|l'|votre|vos|vrai|vraie|veritable|etre|conseiller|agent)\\s*){0,3}" +
  "(?:humain(?:e|s)?|personne(?:\\s+reelle)?|conseill(?:er|ere)s?|agent|operat(?:eur|rice)|representant(?:e)?|employe(?:e)?|quelqu'?\\s?un|" +
  'responsable|technicien(?:ne)?|service\\s+client(?:s|ele)?|support|etre\\s+humain|interlocut(?:eur|rice))\\b';

/**
 * `needsVerb`: the sentence must also contain one of these (German/Dutch put the verb last). `nounOnly`: the pattern
 * is just a noun phrase ("real person"), so a clause that asks what the bot is ("is this a bot or a real person?")
 * does not count.
 */
const HANDOFF_PATTERNS: { re: RegExp; needsVerb?: RegExp; nounOnly?: boolean }[] = [
  // en
  { re: new RegExp(`\\b(?:talk|speak|chat|communicate|converse)(?:ing)?\\s+(?:to|with)\\s+${EN_HUMAN}`, 'g') },
  {
    re: new RegExp(
      `\\b(?:connect|transfer|put|pass|forward|redirect|escalate|route|hand)(?:ing)?\\s+(?:me|this|us|my\\s+(?:call|chat|case|request))?\\s*(?:through\\s+|over\\s+)?(?:to|with)\\s+${EN_HUMAN}`,
      'g',
    ),
  },
  {
    re: new RegExp(
      "\\b(?:i\\s+(?:want|need|demand|request|would\\s+like|'d\\s+like|d\\s+like|prefer)|(?:can|could|may)\\s+i\\s+(?:have|get|see)|" +
        '(?:get|give|bring|find)\\s+me|ask(?:ing)?\\s+for)\\s+' +
        '(?:(?:a|an|the|some|your|real|live|actual|human)\\s+){0,3}(?:human(?:\\s+being)?|person|agent|operator|representative|rep|supervisor|manager|staff\\s+member|someone\\s+real)\\b' +
        '(?!\\s*(?:resources|rights|error))',
      'g',
    ),
  },
  { re: /\b(?:is|are)\s+there\s+(?:a|an|any)\s+(?:(?:real|live|actual)\s+)?(?:human|humans|person|people|agent|agents|operator|representative)\b(?!\s*(?:resources|rights|error))/g },
  { re: /\b(?:live|human)\s+(?:agent|person|operator|support|representative|rep|assistance|help)\b/g, nounOnly: true },
  { re: /\breal\s+(?:person|human|people)\b/g, nounOnly: true },
  {
    re: /\b(?:(?:don't|dont|do not)\s+want\s+(?:to\s+(?:talk|speak|chat)\s+(?:to|with)\s+)?(?:a|the|this|your|some|any)?\s*(?:bot|robot|machine|chatbot|ai|computer)s?\b|(?:no|not\s+(?:a|the|another))\s+(?:bot|robot|chatbot|machine)s?\s*(?:please|pls|!|$)|stop\s+(?:the\s+)?bot\b|(?:tired|sick)\s+of\s+(?:this\s+|the\s+|talking\s+to\s+(?:a|the|this)\s+)?(?:bot|robot|machine|chatbot)\b)/g,
  },
  // es
  { re: new RegExp(`\\b(?:hablar|platicar|conversar|chatear|comunicarme|comunicarse|contactar(?:me)?|hable)\\s+(?:con|a)\\s+${ES_HUMAN}`, 'g') },
  {
    re: new RegExp(
      '\\b(?:quiero|necesito|deseo|quisiera|prefiero|pido|exijo|puedo tener|me pasas|pasame|paseme|comunicame|comuniqueme|transfiereme|transfierame|ponme|pongame)\\s+' +
        '(?:con\\s+)?(?:(?:un|una|el|la)\\s+)?(?:humano|persona real|persona de verdad|agente|operador|operadora|asesor|asesora|representante|ser humano|alguien real)\\b',
      'g',
    ),
  },
  { re: /\b(?:no\s+quiero\s+(?:hablar\s+con\s+)?(?:un|el|una)\s+(?:bot|robot|maquina))\b/g },
  // de
  { re: new RegExp(`\\bmit\\s+${DE_HUMAN}`, 'g'), needsVerb: /\b(?:sprechen|reden|verbinden|verbunden|verbindet|verbinde|chatten|schreiben|telefonieren|unterhalten|kontakt|weiterleiten|durchstellen)\b/ },
  {
    re: /\b(?:will|mochte|brauche|hatte gern|hatte gerne|verlange|wunsche)\s+(?:bitte\s+)?(?:jetzt\s+)?(?:einen|eine|einem)\s+(?:(?:echten|realen|richtigen|menschlichen)\s+)?(?:menschen|mitarbeiter|mitarbeiterin|berater|beraterin|agenten|person|ansprechpartner|ansprechpartnerin)\b/g,
  },
  { re: /\b(?:echte[nr]?|realen?|richtige[nr]?)\s+(?:menschen?|mitarbeiter(?:in)?|person)\b/g, nounOnly: true },
  { re: /\b(?:nicht\s+mit\s+(?:einem|dem)\s+(?:bot|roboter|computer|maschine|chatbot)|keinen\s+(?:bot|roboter|chatbot))\b/g },
  // fr
  { re: new RegExp(`\\b(?:parler|discuter|echanger|chatter|communiquer)\\s+(?:a|avec)\\s+${FR_HUMAN}`, 'g') },
  {
    re: new RegExp(
      `\\b(?:mettre|mettez|mets|passer|passez|passe|transferer|transferez|transfere|rediriger|redirigez)(?:[- ]moi)?\\s+(?:en\\s+(?:relation|contact|communication)\\s+avec|a|au|avec)\\s+${FR_HUMAN}`,
      'g',
    ),
  },
  {
    re: /\b(?:je\s+(?:veux|voudrais|souhaite|souhaiterais|demande|prefere|prefererais)|(?:puis|pourrais|peux)[- ]je\s+avoir)\s+(?:un|une|le)\s+(?:(?:vrai|vraie|veritable)\s+)?(?:humain|personne|conseiller|conseillere|agent|operateur|operatrice|interlocuteur)\b/g,
  },
  { re: /\b(?:vrai(?:e)?\s+(?:personne|humain)|personne\s+reelle|etre\s+humain)\b/g, nounOnly: true },
  // it / pt / nl
  { re: /\b(?:parlare|chattare|comunicare)\s+con\s+(?:(?:un|una|l'|il|la|qualcuno|vero|vera)\s*){0,2}(?:operatore|operatrice|persona|umano|essere umano|agente|consulente|addetto|responsabile)\b/g },
  { re: /\b(?:falar|conversar)\s+com\s+(?:(?:um|uma|o|a|alguem|atendente)\s+){0,2}(?:atendente|humano|pessoa|agente|operador|operadora|consultor|representante|alguem)\b/g },
  { re: /\bmet\s+(?:een|de)\s+(?:echte\s+)?(?:mens|medewerker|persoon|medewerkster)\b/g, needsVerb: /\b(?:spreken|praten|chatten|bellen|verbinden)\b/ },
];

/** The whole message is just one of these (fillers aside): "human!", "agent please", "un humano", "conseiller svp". */
const SHORT_REQUESTS = new Set([
  'human', 'humans', 'a human', 'human being', 'real human', 'human agent', 'person', 'real person', 'a real person', 'live person',
  'agent', 'an agent', 'live agent', 'operator', 'an operator', 'representative', 'a representative', 'rep', 'customer service',
  'customer support', 'live chat', 'live support', 'support agent', 'someone real', 'staff', 'manager',
  'humano', 'un humano', 'persona', 'una persona', 'persona real', 'agente', 'un agente', 'operador', 'asesor', 'un asesor', 'representante',
  'mensch', 'ein mensch', 'echter mensch', 'einen menschen', 'mitarbeiter', 'mitarbeiterin', 'ein mitarbeiter', 'kundendienst', 'berater',
  'humain', 'un humain', 'conseiller', 'un conseiller', 'une personne', 'vraie personne', 'operateur', 'un operateur', 'service client',
  'operatore', 'un operatore', 'atendente', 'humano por favor', 'medewerker', 'een medewerker',
]);
const FILLERS =
  /\b(?:please|pls|plz|now|i said|hey|hi|hello|ok|okay|just|por favor|porfa|ya|bitte|jetzt|sofort|hallo|s'il vous plait|s'il te plait|svp|stp|merci|per favore|por favor|alstublieft|graag)\b/g;

/** Questions about what the bot is, or narratives ("am I talking to a human?", "I was speaking with an agent"). */
const NOT_A_REQUEST =
  /(?:\b(?:am|are|is|was|were)\s+(?:i|we|you|this|it|that)(?:\s+(?:really|even|actually|currently|now|still|already))?(?:\s+(?:a|an|the))?|\bi\s+(?:was|am|'m)|\bim|\b(?:i've|we've|have|has)\s+been|\b(?:do|does|would|will)\s+(?:i|we|one|it)\s+(?:need|have)\s+to|\b(?:eres|es usted|estoy|estamos|soy)(?:\s+(?:un|una))?|\b(?:bist\s+du|sind\s+sie|spreche\s+ich|rede\s+ich|bin\s+ich|ist\s+das)(?:\s+(?:ein|eine|mit))?|\b(?:es-tu|etes-vous|est-ce\s+que\s+je|suis-je|tu\s+es|vous\s+etes|c'est)(?:\s+(?:un|une))?)\s*$/;

/** A clause that starts by asking what the bot (or the user's counterpart) is. */
const ASKS_WHAT_IT_IS =
  /^(?:(?:is|are|am|was|were)\s+(?:this|you|it|that|i|we)|(?:eres|es usted|estoy|estas|bist du|sind sie|ist das|bin ich|spreche ich|es-tu|etes-vous|est-ce|suis-je|c'est|tu es|vous etes))\b/;

const NEGATION =
  /\b(?:don't|dont|do not|doesn't|does not|didn't|did not|never|not|won't|wouldn't|no need to|rather not|no|nunca|nicht|kein|keinen|keine|nie|ne|n'|pas|jamais|niet|geen|non|nao)\b/;

/** True when the message asks for a human. */
export function detectHandoff(text: string): boolean {
  const folded = foldForMatch(text);
  if (!folded) return false;
  const bare = folded
    .replace(/[!?.,;:¡¿()"]+/g, ' ')
    .replace(FILLERS, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (SHORT_REQUESTS.has(bare)) return true;

  for (const { re, needsVerb, nounOnly } of HANDOFF_PATTERNS) {
    re.lastIndex = 0;
    for (let m = re.exec(folded); m !== null; m = re.exec(folded)) {
      const before = clauseBefore(folded, m.index);
      const isBotAversion = /\b(?:bot|robot|machine|chatbot|maquina|roboter|computer)s?\b/.test(m[0]);
      // "I don't want to talk to a human" (but "I don't want a bot" is itself the request).
      const lastWords = before.split(' ').slice(-4).join(' ');
      if (!isBotAversion && NEGATION.test(lastWords)) continue;
      if (!isBotAversion && NOT_A_REQUEST.test(before)) continue;
      if (nounOnly && ASKS_WHAT_IT_IS.test(before)) continue;
      if (needsVerb && !needsVerb.test(sentenceAround(folded, m.index))) continue;
      return true;
    }
  }
  return false;
}

/** The text of the clause before `index` (from the last `,;.!?` or the start). */
function clauseBefore(text: string, index: number): string {
  let start = index;
  while (start > 0 && !',;.!?'.includes(text[start - 1]!)) start--;
  return text.slice(start, index).trim();
}

/** The sentence around `index`. */
function sentenceAround(text: string, index: number): string {
  let start = index;
  while (start > 0 && !'.!?;'.includes(text[start - 1]!)) start--;
  let end = index;
  while (end < text.length && !'.!?;'.includes(text[end]!)) end++;
  return text.slice(start, end);
}

// ---------------------------------------------------------------------------------------------------------------------
// Emails

const EMAIL = /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}](?:[\p{L}\p{N}._%+-]{0,62}[\p{L}\p{N}_%+-])?@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}(?![\p{L}\p{N}_-])/giu;
const NOT_A_TLD = new Set(['png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'js', 'ts', 'css', 'html']);

/** Email addresses in `text`, lower-cased, once each. */
export function extractEmails(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(EMAIL)) {
    const email = m[0].toLowerCase();
    if (email.includes('..')) continue;
    const tld = email.slice(email.lastIndexOf('.') + 1);
    if (NOT_A_TLD.has(tld)) continue;
    if (!out.includes(email)) out.push(email);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------------
// Phones

const PHONE = /(?<![\p{L}\p{N}@_+./=&?#-])(\+|00)?[ ]?(\(?\d[\d()]*(?:[ .\-/]{1,2}\(?\d[\d()]*)*)(?![\p{L}\p{N}@_])/gu;
/** Just before the number: it is something else (order, invoice, ticket, postcode, card, amount...). */
const NOT_PHONE_BEFORE =
  /(?:\b(?:order|orders|invoice|ticket|case|ref|reference|tracking|parcel|package|shipment|booking|reservation|confirmation|account|acct|customer|client|member|id|serial|sku|item|article|product|model|part|zip|postal|postcode|post code|iban|card|policy|contract|transaction|receipt|pedido|factura|referencia|cuenta|bestellung|bestellnummer|rechnung|rechnungsnummer|kundennummer|auftrag|sendung|commande|facture|dossier|numero de (?:pedido|commande|cliente|client|suivi)|ordine|encomenda|bestelling)\b(?:\s*(?:number|numbers|no|nr|num|numero|nummer|n°|nº|#|code|id|is|es|ist|est|was|:))*|#|\bno\.|\bnr\.|n°|nº|[$€£¥])\s*[:#]?\s*$/i;
const NOT_PHONE_AFTER = /^\s*(?:€|\$|£|¥|%|eur|euros?|usd|dollars?|gbp|pounds?|kg|g|km|m|cm|mm|px|mb|gb|pcs|units?|items?|times|years?|days?)\b/i;
/** Just before the number: a phone number is announced. */
const PHONE_BEFORE =
  /\b(?:phone|telephone|tel|mobile|cell|cellphone|whatsapp|call|ring|reach|contact|fax|sms|text|number|telefono|movil|celular|llamame|llamar|numero|telefon|handy|handynummer|rufnummer|mobil|erreichbar|anrufen|unter|portable|appelez|appeler|joignable|cellulare|telefone|mobiel|bel)\b[^\d\n]{0,24}$/i;

/** Phone numbers in `text`: international ones as `+` and digits, national ones as their digits, once each. */
export function extractPhones(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(PHONE)) {
    const prefix = m[1];
    let body = m[2]!;
    const start = m.index;
    const end = start + m[0].length;
    const international = prefix !== undefined;
    if (international) body = body.replace(/\(0\)/g, '');
    if ((body.match(/\(/g) ?? []).length !== (body.match(/\)/g) ?? []).length) body = body.replace(/[()]/g, '');
    const digits = body.replace(/\D/g, '');
    if (digits.length < 7 || digits.length > 15) continue;

    // Part of a URL or a longer token.
    const tokenStart = text.lastIndexOf(' ', start - 1) + 1;
    const token = text.slice(tokenStart, start);
    if (/:\/\/|www\./i.test(token)) continue;

    const before = text.slice(Math.max(0, start - 40), start);
    if (NOT_PHONE_BEFORE.test(before) && !/\b(?:phone|tel|telephone|mobile|whatsapp|telefono|telefon|handy)\s*(?:number|no|nr|numero|nummer)?\s*[:#]?\s*$/i.test(before)) continue;
    if (NOT_PHONE_AFTER.test(text.slice(end, end + 12))) continue;
    const announced = PHONE_BEFORE.test(before);

    const trimmed = body.trim();
    // Dates (2024-05-12, 12/05/2024, 12.05.24) and year ranges (2019-2024).
    if (digits.length <= 8 && /^\d{1,4}\s?[-./]\s?\d{1,2}\s?[-./]\s?\d{1,4}$/.test(trimmed)) continue;
    if (/^(?:19|20)\d\d\s?[-/–]\s?(?:19|20)\d\d$/.test(trimmed)) continue;
    if (!international && !announced) {
      // 1.250.000, 1 000 000: amounts.
      if (/^\d{1,3}(?:[ .,]\d{3})+$/.test(trimmed)) continue;
      const separated = /[ .\-/()]/.test(trimmed);
      if (!separated && !(digits.startsWith('0') ? digits.length >= 9 && digits.length <= 12 : digits.length >= 10 && digits.length <= 11)) continue;
      if (separated && digits.length < 7) continue;
    }
    const phone = international ? `+${digits}` : digits;
    if (!out.includes(phone)) out.push(phone);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------------
// Name

/** "My name is …": whatever follows is meant as a name. */
const STRONG_NAME =
  /(?:\bmy\s+name\s+is|\bmy\s+name's|\bname\s*:|\bcall\s+me|\bme\s+llamo|\bmi\s+nombre\s+es|\bich\s+hei(?:ß|ss)e|\bmein\s+name\s+ist|\bje\s+m['’]appelle|\bmon\s+nom\s+est|\bmoi\s+c['’]est|\bmi\s+chiamo|\bil\s+mio\s+nome\s+[èe]|\bmeu\s+nome\s+[ée]|\bme\s+chamo|\bmijn\s+naam\s+is|\bik\s+heet)\s+/giu;
/** "I'm …": only taken at the start of a clause and when followed by a capitalised word that is not a common one. */
const WEAK_NAME =
  /(?:^|[.!?,;:]\s*|\b(?:hi|hello|hey|hola|bonjour|salut|hallo|ciao|ola|olá)[,!]?\s+)(?:i['’]m|i\s+am|this\s+is|here\s+is|soy|je\s+suis|sono|sou|ik\s+ben)\s+/giu;

const NAME_TOKEN = /^[\p{L}][\p{L}'’-]*$/u;
const PARTICLES = new Set(['van', 'von', 'de', 'da', 'del', 'der', 'den', 'di', 'du', 'le', 'la', 'dos', 'das', 'ter', 'ten', 'bin', 'al', 'el', 'y']);
const NAME_STOP = new Set(
  (
    'and but or so because from with at in on of for to here there i my me we you he she it they not just also very really really ' +
    'a an the is am are was were be been this that looking trying having calling writing wondering interested sorry fine good great ' +
    'ok okay happy glad afraid sure unsure confused lost tired done ready going getting asking currently already still your customer ' +
    'client student member user new frustrated angry upset well busy available able unable planning thinking based located living ' +
    'working hungry back from german french spanish english american british italian canadian mexican dutch interested a bit ' +
    'y o pero de del con en para por que no si muy cliente nuevo nueva interesado interesada buscando aqui ' +
    'und oder aber mit aus bei fur von nicht sehr hier ' +
    'et ou mais avec pour par chez en pas tres ici client cliente interesse interessee ' +
    'e ma con per non molto qui cliente ' +
    'hello hi hey thanks thank please'
  ).split(' '),
);

/** A name the user introduces in `text`, or undefined. */
export function extractName(text: string): string | undefined {
  for (const [re, strong] of [
    [STRONG_NAME, true],
    [WEAK_NAME, false],
  ] as const) {
    re.lastIndex = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      const name = nameAt(text.slice(m.index + m[0].length), strong);
      if (name) return name;
    }
  }
  return undefined;
}

function nameAt(rest: string, strong: boolean): string | undefined {
  const words = rest.split(/(\s+|[.,!?;:()"“”«»]+)/).filter((w) => w !== '' && !/^\s+$/.test(w));
  const tokens: string[] = [];
  let endedCleanly = true;
  for (const word of words) {
    if (!NAME_TOKEN.test(word)) {
      endedCleanly = /^[.,!?;:()"“”«»]+$/.test(word);
      break;
    }
    const lower = word.toLowerCase();
    const capitalised = /^\p{Lu}/u.test(word);
    if (tokens.length === 0) {
      if (NAME_STOP.has(lower) || PARTICLES.has(lower) || word.length < 2) return undefined;
      if (!strong && !capitalised) return undefined;
      // "I'm Looking", but not "I'M" (shouting) either.
      if (!strong && word.length > 1 && word === word.toUpperCase()) return undefined;
      tokens.push(word);
      continue;
    }
    if (NAME_STOP.has(lower) && !PARTICLES.has(lower)) {
      endedCleanly = true;
      break;
    }
    if (tokens.length >= 4) {
      endedCleanly = false;
      break;
    }
    tokens.push(word);
  }
  if (tokens.length === 0) return undefined;
  const firstCapitalised = /^\p{Lu}/u.test(tokens[0]!);
  let picked: string[];
  if (firstCapitalised) {
    // Capitalised words, with particles between them (Ludwig van Beethoven, María de la Cruz).
    picked = [tokens[0]!];
    for (let i = 1; i < tokens.length; i++) {
      const token = tokens[i]!;
      if (/^\p{Lu}/u.test(token)) picked.push(token);
      else if (PARTICLES.has(token.toLowerCase()) && tokens.slice(i + 1).some((t) => /^\p{Lu}/u.test(t))) picked.push(token);
      else break;
    }
    while (picked.length > 1 && PARTICLES.has(picked[picked.length - 1]!.toLowerCase())) picked.pop();
  } else {
    // "my name is john smith." — lower case: both words if that is all there is, else the first one only.
    picked = endedCleanly && tokens.length <= 2 ? tokens : [tokens[0]!];
  }
  if (!strong && picked.some((t) => NAME_STOP.has(t.toLowerCase()))) return undefined;
  return picked.map((t) => (PARTICLES.has(t.toLowerCase()) && picked.length > 1 ? t : t.charAt(0).toUpperCase() + t.slice(1))).join(' ');
}
