import { GoogleTtsProvider, createGoogleTtsClient, parseGoogleEndpoint } from './google-tts.provider';
import { parseServiceAccount } from './service-account';
import { FakeGoogleTts, generateServiceAccount, toneWav } from './testing/fake-google-tts.server';
import { TtsProviderError } from './tts-provider';
import { voiceFor } from './tts-voices';
import { parseWav } from './wav';

describe('GoogleTtsProvider: the real @google-cloud/text-to-speech client against a local fake REST server', () => {
  let fake: FakeGoogleTts;
  const account = generateServiceAccount('acme-voice');

  beforeAll(async () => {
    fake = await new FakeGoogleTts().start();
    fake.register(account);
  });
  afterAll(() => fake.stop());
  beforeEach(() => {
    fake.requests.length = 0;
  });

  function provider(): { provider: GoogleTtsProvider; close: () => Promise<void> } {
    const client = createGoogleTtsClient(parseServiceAccount(account), parseGoogleEndpoint(fake.baseUrl));
    return { provider: new GoogleTtsProvider(client, 'cred-1', 5000), close: () => client.close() };
  }

  it('sends input.text, voice (languageCode, name, ssmlGender) and LINEAR16, signed with a self-signed JWT; maps the audio', async () => {
    const { provider: google, close } = provider();
    try {
      const text = 'Hallo, wie kann ich helfen?';
      const result = await google.synthesize({ text, languageCode: 'de-DE', gender: 'male', voice: voiceFor('de-DE', 'male') });

      expect(fake.requests).toHaveLength(1); // no OAuth token exchange: the only request is the synthesis
      const req = fake.requests[0]!;
      expect(req.method).toBe('POST');
      expect(req.url).toMatch(/^\/v1\/text:synthesize(\?|$)/);
      expect(req.body).toEqual({
        input: { text },
        voice: { languageCode: 'de-DE', name: 'de-DE-Chirp3-HD-Charon', ssmlGender: expect.anything() },
        audioConfig: { audioEncoding: expect.anything(), sampleRateHertz: 24000 },
      });
      // REST with enum-encoding=int (the client's choice): MALE = 1, LINEAR16 = 1; names are accepted as well.
      const voice = req.body['voice'] as { ssmlGender: unknown };
      expect(['MALE', 1]).toContainEqual(voice.ssmlGender);
      expect(['LINEAR16', 1]).toContainEqual((req.body['audioConfig'] as { audioEncoding: unknown }).audioEncoding);
      expect(req.headers.authorization).toMatch(/^Bearer ey/);
      expect(req.jwtClaims).toMatchObject({
        iss: account['client_email'],
        sub: account['client_email'],
        scope: 'https://www.googleapis.com/auth/cloud-platform',
      });
      expect(req.jwtHeader).toMatchObject({ alg: 'RS256', kid: account['private_key_id'] });

      expect(result.mimeType).toBe('audio/wav');
      expect(result.durationSeconds).toBeCloseTo(text.length * fake.secondsPerChar, 3);
      expect(parseWav(result.audio).sampleRate).toBe(24000);
    } finally {
      await close();
    }
  });

  it('building a client and synthesizing print no deprecation warning, and console.warn is left alone', async () => {
    // console.warn cannot be swapped out for the duration (a muted warning would still be a warning): every call is seen.
    const warned: unknown[][] = [];
    const descriptor = Object.getOwnPropertyDescriptor(console, 'warn')!;
    let reassigned = 0;
    Object.defineProperty(console, 'warn', {
      configurable: true,
      get: () => (...args: unknown[]) => void warned.push(args),
      set: () => void reassigned++,
    });
    const emitWarning = jest.spyOn(process, 'emitWarning');
    try {
      const { provider: google, close } = provider();
      try {
        await google.synthesize({ text: 'Hello', languageCode: 'en-US', gender: 'female', voice: voiceFor('en-US', 'female') });
      } finally {
        await close();
      }
      expect(warned).toEqual([]);
      expect(reassigned).toBe(0);
      expect(emitWarning).not.toHaveBeenCalled();
    } finally {
      Object.defineProperty(console, 'warn', descriptor);
      emitWarning.mockRestore();
    }
  });

  it('FEMALE voices: the female catalog voice and ssmlGender', async () => {
    const { provider: google, close } = provider();
    try {
      await google.synthesize({ text: 'Hola', languageCode: 'es-ES', gender: 'female', voice: voiceFor('es-ES', 'female') });
      const voice = fake.requests[0]!.body['voice'] as Record<string, unknown>;
      expect(voice['name']).toBe('es-ES-Chirp3-HD-Aoede');
      expect(['FEMALE', 2]).toContainEqual(voice['ssmlGender']);
    } finally {
      await close();
    }
  });

  it('raw LINEAR16 without a header is wrapped into WAV at the requested rate', async () => {
    const { provider: google, close } = provider();
    try {
      const pcm = toneWav(0.75).subarray(44);
      fake.nextReply = { status: 200, body: { audioContent: pcm.toString('base64') } };
      const result = await google.synthesize({ text: 'x', languageCode: 'en-US', gender: 'female', voice: voiceFor('en-US', 'female') });
      expect(result.durationSeconds).toBeCloseTo(0.75, 3);
      expect(result.audio.subarray(0, 4).toString('ascii')).toBe('RIFF');
    } finally {
      await close();
    }
  });

  it("Google refusing the service account is a 'refused' provider error (not a crash)", async () => {
    const { provider: google, close } = provider();
    try {
      fake.nextReply = { status: 403, body: { error: { code: 403, message: 'Permission denied on project', status: 'PERMISSION_DENIED' } } };
      const err = await google.synthesize({ text: 'x', languageCode: 'en-US', gender: 'female', voice: voiceFor('en-US', 'female') }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TtsProviderError);
      expect(err).toMatchObject({ kind: 'refused', message: expect.stringContaining('Permission denied') });
    } finally {
      await close();
    }
  });

  it('parseGoogleEndpoint: default https endpoint and a loopback http one', () => {
    expect(parseGoogleEndpoint('https://texttospeech.googleapis.com')).toEqual({ protocol: 'https', host: 'texttospeech.googleapis.com', port: 443 });
    expect(parseGoogleEndpoint('http://127.0.0.1:8099')).toEqual({ protocol: 'http', host: '127.0.0.1', port: 8099 });
  });
});
