/**
 * The 12 TTS languages of the widget API, each with one female and one male Google Cloud TTS voice (Chirp 3 HD), the
 * eSpeak NG voice that speaks the language offline, and the ISO 639-1 code agents carry in `lang`.
 */
export const TTS_GENDERS = ['female', 'male'] as const;
export type TtsGender = (typeof TTS_GENDERS)[number];
export type SsmlGender = 'FEMALE' | 'MALE';

export interface TtsVoice {
  gender: TtsGender;
  voiceName: string;
  ssmlGender: SsmlGender;
}

export interface TtsLanguage {
  language: string;
  languageCode: string;
  voices: TtsVoice[];
}

interface LanguageEntry {
  language: string;
  languageCode: string;
  /** ISO 639-1 primary subtag an agent's `lang` maps from. */
  iso: string;
  /** eSpeak NG voice (`espeak-ng --voices`) for the offline default. */
  espeakVoice: string;
}

const LANGUAGES: readonly LanguageEntry[] = [
  { language: 'English (United States)', languageCode: 'en-US', iso: 'en', espeakVoice: 'en-us' },
  { language: 'Spanish (Spain)', languageCode: 'es-ES', iso: 'es', espeakVoice: 'es' },
  { language: 'French (France)', languageCode: 'fr-FR', iso: 'fr', espeakVoice: 'fr' },
  { language: 'German (Germany)', languageCode: 'de-DE', iso: 'de', espeakVoice: 'de' },
  { language: 'Italian (Italy)', languageCode: 'it-IT', iso: 'it', espeakVoice: 'it' },
  { language: 'Portuguese (Brazil)', languageCode: 'pt-BR', iso: 'pt', espeakVoice: 'pt-br' },
  { language: 'Hindi (India)', languageCode: 'hi-IN', iso: 'hi', espeakVoice: 'hi' },
  { language: 'Japanese (Japan)', languageCode: 'ja-JP', iso: 'ja', espeakVoice: 'ja' },
  { language: 'Korean (South Korea)', languageCode: 'ko-KR', iso: 'ko', espeakVoice: 'ko' },
  { language: 'Mandarin Chinese (China)', languageCode: 'cmn-CN', iso: 'zh', espeakVoice: 'cmn' },
  { language: 'Arabic', languageCode: 'ar-XA', iso: 'ar', espeakVoice: 'ar' },
  { language: 'Dutch (Netherlands)', languageCode: 'nl-NL', iso: 'nl', espeakVoice: 'nl' },
];

/** Chirp 3 HD voices exist in every one of the 12 locales under the same names. */
const FEMALE_VOICE = 'Chirp3-HD-Aoede';
const MALE_VOICE = 'Chirp3-HD-Charon';

export const TTS_LANGUAGES: readonly TtsLanguage[] = LANGUAGES.map((entry) => ({
  language: entry.language,
  languageCode: entry.languageCode,
  voices: [
    { gender: 'female', voiceName: `${entry.languageCode}-${FEMALE_VOICE}`, ssmlGender: 'FEMALE' },
    { gender: 'male', voiceName: `${entry.languageCode}-${MALE_VOICE}`, ssmlGender: 'MALE' },
  ],
}));

export const SUPPORTED_LANGUAGE_CODES: readonly string[] = LANGUAGES.map((entry) => entry.languageCode);

const BY_CODE = new Map(LANGUAGES.map((entry) => [entry.languageCode.toLowerCase(), entry]));
const BY_ISO = new Map(LANGUAGES.map((entry) => [entry.iso, entry]));
/** Other spellings of the same languages that callers send (BCP 47 Chinese tags). */
const ALIASES: Readonly<Record<string, string>> = { 'zh-cn': 'cmn-CN', 'zh-hans': 'cmn-CN', 'cmn-hans-cn': 'cmn-CN' };

/** One of the 12 codes (case-insensitive, with aliases), or null. */
export function normalizeLanguageCode(code: string): string | null {
  const lower = code.trim().toLowerCase();
  return BY_CODE.get(lower)?.languageCode ?? (ALIASES[lower] ? ALIASES[lower] : null);
}

/**
 * The TTS language of an agent's `lang` (ISO 639-1 such as `de`, or a tag such as `pt-BR` / `zh-CN`): the exact code
 * when it is one of the 12, else the language's only entry by primary subtag; null when the language is unsupported.
 */
export function languageForAgentLang(lang: string): string | null {
  const exact = normalizeLanguageCode(lang);
  if (exact) return exact;
  const primary = lang.trim().toLowerCase().split(/[-_]/)[0] ?? '';
  return BY_ISO.get(primary === 'cmn' ? 'zh' : primary)?.languageCode ?? null;
}

export function voiceFor(languageCode: string, gender: TtsGender): TtsVoice {
  const language = TTS_LANGUAGES.find((l) => l.languageCode === languageCode);
  const voice = language?.voices.find((v) => v.gender === gender);
  if (!voice) throw new Error(`no ${gender} voice for ${languageCode}`);
  return voice;
}

/** eSpeak NG voice with a gender variant (`+f3` / `+m3`). */
export function espeakVoiceFor(languageCode: string, gender: TtsGender): string {
  const entry = BY_CODE.get(languageCode.toLowerCase());
  if (!entry) throw new Error(`no eSpeak voice for ${languageCode}`);
  return `${entry.espeakVoice}+${gender === 'female' ? 'f3' : 'm3'}`;
}
