/**
 * Languages a Live session can use: the 12 languages of the platform's voices (`/api/tts/voices`), with Google codes
 * as Gemini Live's `speechConfig.languageCode` takes them.
 */
export const LIVE_LANGUAGES = {
  'en-US': { name: 'English (US)' },
  'es-ES': { name: 'Spanish (Spain)' },
  'fr-FR': { name: 'French' },
  'de-DE': { name: 'German' },
  'it-IT': { name: 'Italian' },
  'pt-BR': { name: 'Portuguese (Brazil)' },
  'hi-IN': { name: 'Hindi' },
  'ja-JP': { name: 'Japanese' },
  'ko-KR': { name: 'Korean' },
  'cmn-CN': { name: 'Mandarin Chinese' },
  'ar-XA': { name: 'Arabic' },
  'nl-NL': { name: 'Dutch' },
} as const satisfies Record<string, { name: string }>;

export type LiveLanguageCode = keyof typeof LIVE_LANGUAGES;
export const LIVE_LANGUAGE_CODES = Object.keys(LIVE_LANGUAGES) as LiveLanguageCode[];
export const DEFAULT_LIVE_LANGUAGE: LiveLanguageCode = 'en-US';

/** The agent's `lang` (ISO 639-1, e.g. `es`) as a Live language; `zh` is Mandarin. */
const BY_ISO_639_1: Readonly<Record<string, LiveLanguageCode>> = {
  en: 'en-US', es: 'es-ES', fr: 'fr-FR', de: 'de-DE', it: 'it-IT', pt: 'pt-BR',
  hi: 'hi-IN', ja: 'ja-JP', ko: 'ko-KR', zh: 'cmn-CN', ar: 'ar-XA', nl: 'nl-NL',
};

/** Case-insensitive match of a requested code (`en-us` → `en-US`); null when unsupported. */
export function normalizeLiveLanguage(code: string): LiveLanguageCode | null {
  const lower = code.trim().toLowerCase();
  return LIVE_LANGUAGE_CODES.find((c) => c.toLowerCase() === lower) ?? null;
}

/** The session language: the requested one, else the agent's language, else English. */
export function resolveLiveLanguage(requested: string | undefined, agentLang: unknown): LiveLanguageCode {
  if (requested !== undefined) {
    const exact = normalizeLiveLanguage(requested);
    if (exact) return exact;
  }
  if (typeof agentLang === 'string') {
    const direct = normalizeLiveLanguage(agentLang);
    if (direct) return direct;
    const primary = agentLang.trim().toLowerCase().split(/[-_]/)[0] ?? '';
    const mapped = BY_ISO_639_1[primary];
    if (mapped) return mapped;
  }
  return DEFAULT_LIVE_LANGUAGE;
}
