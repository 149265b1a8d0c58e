import type { TtsGender, TtsVoice } from './tts-voices';

export interface SynthesisRequest {
  text: string;
  languageCode: string;
  gender: TtsGender;
  /** The Google voice of the catalog for this language and gender. */
  voice: TtsVoice;
}

export interface SynthesizedAudio {
  audio: Buffer;
  mimeType: string;
  /** Measured from the audio itself (sample count / rate). */
  durationSeconds: number;
}

/** One text-to-speech engine. `cacheIdentity` goes into the content-hash cache key (engine + voice + credentials). */
export interface TtsProvider {
  readonly name: 'google' | 'espeak';
  readonly cacheIdentity: string;
  synthesize(request: SynthesisRequest): Promise<SynthesizedAudio>;
}

/** The provider could not produce audio (remote refusal, timeout, engine failure): a 502/504, never a 500. */
export class TtsProviderError extends Error {
  override name = 'TtsProviderError';
  constructor(
    message: string,
    readonly kind: 'refused' | 'timeout' | 'failed',
  ) {
    super(message);
  }
}
