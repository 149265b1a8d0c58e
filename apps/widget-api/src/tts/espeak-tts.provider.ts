import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { EspeakSynthesizer } from './espeak-synthesizer';
import { EspeakTimeoutError } from './espeak-synthesizer';
import type { SynthesisRequest, SynthesizedAudio, TtsProvider } from './tts-provider';
import { TtsProviderError } from './tts-provider';
import { espeakVoiceFor } from './tts-voices';
import { parseWav } from './wav';

function espeakPackageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(dirname(require.resolve('espeak-ng')), '..', 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The embedded default: eSpeak NG, offline, for tenants without a Google service account. */
export class EspeakTtsProvider implements TtsProvider {
  readonly name = 'espeak' as const;
  readonly cacheIdentity = `espeak:${espeakPackageVersion()}`;

  constructor(private readonly synthesizer: EspeakSynthesizer) {}

  async synthesize(request: SynthesisRequest): Promise<SynthesizedAudio> {
    let audio: Buffer;
    try {
      audio = await this.synthesizer.synthesize(request.text, espeakVoiceFor(request.languageCode, request.gender));
    } catch (err) {
      if (err instanceof EspeakTimeoutError) throw new TtsProviderError(err.message, 'timeout');
      throw new TtsProviderError((err as Error).message, 'failed');
    }
    try {
      return { audio, mimeType: 'audio/wav', durationSeconds: parseWav(audio).durationSeconds };
    } catch (err) {
      throw new TtsProviderError(`eSpeak NG produced unreadable audio: ${(err as Error).message}`, 'failed');
    }
  }
}
