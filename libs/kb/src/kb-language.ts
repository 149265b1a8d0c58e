/**
 * Text-search configuration per agent language (ISO 639-1 `lang`). Only configurations that ship with Postgres (15+)
 * are named; any other language (including those the default parser cannot segment, such as zh or ja) uses `simple`:
 * lower-cased words, no stemming, no stop words.
 */
export const TS_CONFIG_BY_LANG: Readonly<Record<string, string>> = {
  ar: 'arabic',
  hy: 'armenian',
  eu: 'basque',
  ca: 'catalan',
  da: 'danish',
  nl: 'dutch',
  en: 'english',
  fi: 'finnish',
  fr: 'french',
  de: 'german',
  el: 'greek',
  hi: 'hindi',
  hu: 'hungarian',
  id: 'indonesian',
  ga: 'irish',
  it: 'italian',
  lt: 'lithuanian',
  ne: 'nepali',
  no: 'norwegian',
  nb: 'norwegian',
  nn: 'norwegian',
  pt: 'portuguese',
  ro: 'romanian',
  ru: 'russian',
  sr: 'serbian',
  es: 'spanish',
  sv: 'swedish',
  ta: 'tamil',
  tr: 'turkish',
  yi: 'yiddish',
};

export const FALLBACK_TS_CONFIG = 'simple';

/** `en` → `english`, `es-MX` → `spanish`; unknown or absent → `simple`. */
export function tsConfigForLang(lang: string | null | undefined): string {
  if (!lang) return FALLBACK_TS_CONFIG;
  const base = lang.trim().toLowerCase().split(/[-_]/)[0] ?? '';
  return Object.hasOwn(TS_CONFIG_BY_LANG, base) ? TS_CONFIG_BY_LANG[base]! : FALLBACK_TS_CONFIG;
}

/**
 * The same mapping as a SQL expression over a `lang` text expression, so a query can resolve the agent's configuration
 * in the statement that uses it (one round trip). Built only from the constant table above: no user input.
 */
export function tsConfigSql(langExpression: string): string {
  const cases = Object.entries(TS_CONFIG_BY_LANG)
    .map(([lang, cfg]) => `WHEN '${lang}' THEN '${cfg}'`)
    .join(' ');
  return `(CASE lower(split_part(split_part(coalesce(${langExpression}, ''), '-', 1), '_', 1)) ${cases} ELSE '${FALLBACK_TS_CONFIG}' END)`;
}
