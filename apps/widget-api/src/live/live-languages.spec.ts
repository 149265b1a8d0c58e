import { SUPPORTED_LANGUAGE_CODES } from '../tts/tts-voices';
import { fitBytes } from './live-speech';
import { LIVE_LANGUAGE_CODES, normalizeLiveLanguage, resolveLiveLanguage } from './live-languages';

describe('live languages', () => {
  it('supports the 12 platform languages, the same the TTS voices cover', () => {
    expect(LIVE_LANGUAGE_CODES).toHaveLength(12);
    expect([...LIVE_LANGUAGE_CODES].sort()).toEqual([...SUPPORTED_LANGUAGE_CODES].sort());
    expect(LIVE_LANGUAGE_CODES).toEqual(expect.arrayContaining(['en-US', 'cmn-CN', 'ar-XA', 'pt-BR']));
  });

  it('normalizes case and refuses unknown codes', () => {
    expect(normalizeLiveLanguage('es-es')).toBe('es-ES');
    expect(normalizeLiveLanguage(' CMN-cn ')).toBe('cmn-CN');
    expect(normalizeLiveLanguage('xx-XX')).toBeNull();
    expect(normalizeLiveLanguage('en')).toBeNull();
  });

  it("resolves: requested, else the agent's language, else English", () => {
    expect(resolveLiveLanguage('fr-FR', 'de')).toBe('fr-FR');
    expect(resolveLiveLanguage(undefined, 'de')).toBe('de-DE');
    expect(resolveLiveLanguage(undefined, 'pt-PT')).toBe('pt-BR');
    expect(resolveLiveLanguage(undefined, 'zh')).toBe('cmn-CN');
    expect(resolveLiveLanguage(undefined, 'sw')).toBe('en-US');
    expect(resolveLiveLanguage(undefined, undefined)).toBe('en-US');
  });
});

describe('fitBytes (reply text handed to TTS)', () => {
  it('keeps short text, cuts long text after a sentence or word, never inside a character', () => {
    expect(fitBytes('Hello.', 10)).toBe('Hello.');
    expect(fitBytes('One sentence. Another one here.', 20)).toBe('One sentence.');
    expect(fitBytes('alpha beta gamma delta', 14)).toBe('alpha beta');
    const cut = fitBytes('é'.repeat(10), 7);
    expect(cut).toBe('ééé');
    expect(Buffer.byteLength(fitBytes('word '.repeat(2000), 5000))).toBeLessThanOrEqual(5000);
  });
});
