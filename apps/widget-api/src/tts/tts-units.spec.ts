import { generateKeyPairSync } from 'node:crypto';
import { ServiceAccountError, parseServiceAccount } from './service-account';
import { generateServiceAccount, toneWav } from './testing/fake-google-tts.server';
import { SUPPORTED_LANGUAGE_CODES, TTS_LANGUAGES, espeakVoiceFor, languageForAgentLang, normalizeLanguageCode } from './tts-voices';
import { WavFormatError, parseWav, pcmToWav } from './wav';

describe('TTS voice catalog', () => {
  it('12 languages, each with one female and one male Chirp3-HD voice of its locale', () => {
    expect(SUPPORTED_LANGUAGE_CODES).toEqual(['en-US', 'es-ES', 'fr-FR', 'de-DE', 'it-IT', 'pt-BR', 'hi-IN', 'ja-JP', 'ko-KR', 'cmn-CN', 'ar-XA', 'nl-NL']);
    for (const l of TTS_LANGUAGES) {
      expect(l.voices).toEqual([
        { gender: 'female', voiceName: `${l.languageCode}-Chirp3-HD-Aoede`, ssmlGender: 'FEMALE' },
        { gender: 'male', voiceName: `${l.languageCode}-Chirp3-HD-Charon`, ssmlGender: 'MALE' },
      ]);
    }
  });

  it.each([
    ['en', 'en-US'],
    ['de', 'de-DE'],
    ['pt', 'pt-BR'],
    ['zh', 'cmn-CN'],
    ['zh-CN', 'cmn-CN'],
    ['ar', 'ar-XA'],
    ['en-GB', 'en-US'],
    ['JA', 'ja-JP'],
    ['sv', null],
    ['', null],
  ])('agent lang %p → %p', (lang, code) => {
    expect(languageForAgentLang(lang)).toBe(code);
  });

  it('language codes are matched case-insensitively; others are refused', () => {
    expect(normalizeLanguageCode('EN-us')).toBe('en-US');
    expect(normalizeLanguageCode('zh-CN')).toBe('cmn-CN');
    expect(normalizeLanguageCode('en-GB')).toBeNull();
    expect(normalizeLanguageCode('xx')).toBeNull();
  });

  it('eSpeak voices carry a gender variant', () => {
    expect(espeakVoiceFor('pt-BR', 'female')).toBe('pt-br+f3');
    expect(espeakVoiceFor('cmn-CN', 'male')).toBe('cmn+m3');
  });
});

describe('WAV reading', () => {
  it('duration from the sample count; a streamed header size is clamped to the bytes present', () => {
    const wav = toneWav(1.25, 16000);
    expect(parseWav(wav)).toMatchObject({ sampleRate: 16000, channels: 1, bitsPerSample: 16, durationSeconds: 1.25 });
    const streamed = Buffer.from(wav);
    streamed.writeUInt32LE(0xffffffff, 40);
    expect(parseWav(streamed).durationSeconds).toBe(1.25);
  });

  it('skips unknown chunks; refuses what is not PCM WAV', () => {
    const wav = toneWav(0.5);
    const withList = Buffer.concat([wav.subarray(0, 36), Buffer.from('LIST'), Buffer.from([4, 0, 0, 0]), Buffer.from('INFO'), wav.subarray(36)]);
    expect(parseWav(withList).durationSeconds).toBe(0.5);
    expect(() => parseWav(Buffer.from('ID3 not a wav file'))).toThrow(WavFormatError);
    expect(() => parseWav(pcmToWav(Buffer.alloc(0), 8000).subarray(0, 20))).toThrow(WavFormatError);
  });
});

describe('service-account key validation', () => {
  it('keeps only what signing needs', () => {
    const account = generateServiceAccount('my-project-1');
    expect(parseServiceAccount(account)).toEqual({
      clientEmail: account['client_email'],
      privateKey: account['private_key'],
      projectId: 'my-project-1',
      privateKeyId: account['private_key_id'],
    });
  });

  it.each([
    ['another credential type', { type: 'external_account' }, /type must be "service_account"/],
    ['no private key', { private_key: undefined }, /private_key must be the PEM private key/],
    ['garbage key', { private_key: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----' }, /not a readable PEM/],
    [
      'an EC key',
      { private_key: generateKeyPairSync('ec', { namedCurve: 'P-256', privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey },
      /must be an RSA key/,
    ],
    ['bad email', { client_email: 'nobody' }, /client_email/],
    ['no project', { project_id: undefined }, /project_id/],
  ])('refuses %s', (_label, patch, message) => {
    const account: Record<string, unknown> = { ...generateServiceAccount(), ...patch };
    expect(() => parseServiceAccount(account)).toThrow(ServiceAccountError);
    expect(() => parseServiceAccount(account)).toThrow(message);
  });
});
