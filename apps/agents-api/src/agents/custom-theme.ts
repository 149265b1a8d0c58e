import type { CustomTheme } from './agent-fields';

/**
 * Parses and validates `customThemeJSONString` (TIXAE: "MUST JSON.stringify() this object"): themeType dark|light,
 * primary a hex colour, nineColorPallet exactly 9 HSL triples (h 0–360, s and l 0–100).
 */
export function parseCustomTheme(raw: unknown): { theme?: CustomTheme; error?: string } {
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      return { error: 'customThemeJSONString must be a JSON.stringify()-ed object' };
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { error: 'customTheme must be an object' };
  const theme = value as Record<string, unknown>;
  const problems: string[] = [];
  const unknown = Object.keys(theme).filter((k) => !['themeType', 'primary', 'nineColorPallet'].includes(k));
  if (unknown.length > 0) problems.push(`unknown keys ${unknown.join(', ')}`);
  if (theme['themeType'] !== 'dark' && theme['themeType'] !== 'light') problems.push('themeType must be dark or light');
  if (typeof theme['primary'] !== 'string' || !/^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(theme['primary'])) {
    problems.push("primary must be a hex colour like '#1a2b3c'");
  }
  const pallet = theme['nineColorPallet'];
  const validTriple = (t: unknown) =>
    Array.isArray(t) &&
    t.length === 3 &&
    t.every((n) => typeof n === 'number' && Number.isFinite(n)) &&
    (t[0] as number) >= 0 &&
    (t[0] as number) <= 360 &&
    (t[1] as number) >= 0 &&
    (t[1] as number) <= 100 &&
    (t[2] as number) >= 0 &&
    (t[2] as number) <= 100;
  if (!Array.isArray(pallet) || pallet.length !== 9 || !pallet.every(validTriple)) {
    problems.push('nineColorPallet must be 9 HSL triples [h 0-360, s 0-100, l 0-100]');
  }
  if (problems.length > 0) return { error: `customTheme: ${problems.join('; ')}` };
  return { theme: theme as unknown as CustomTheme };
}
