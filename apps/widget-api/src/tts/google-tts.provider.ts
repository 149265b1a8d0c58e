import { TextToSpeechClient } from '@google-cloud/text-to-speech';
import { googleAuthLibrary } from 'google-gax';
import type { SynthesisRequest, SynthesizedAudio, TtsProvider } from './tts-provider';
import { TtsProviderError } from './tts-provider';
import { isWav, parseWav, pcmToWav } from './wav';

/** A tenant's service account, as validated by `parseServiceAccount` (only what signing needs). */
export interface ServiceAccountKey {
  clientEmail: string;
  privateKey: string;
  projectId: string;
  privateKeyId: string | null;
}

export interface GoogleEndpoint {
  protocol: 'http' | 'https';
  host: string;
  port: number;
}

/** `https://texttospeech.googleapis.com` → the client's `apiEndpoint`, `port` and `protocol`. */
export function parseGoogleEndpoint(baseUrl: string): GoogleEndpoint {
  const url = new URL(baseUrl);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return { protocol, host: url.hostname, port: url.port ? Number(url.port) : protocol === 'https' ? 443 : 80 };
}

/** LINEAR16 at a fixed rate: the duration is exact (sample count), and raw PCM can be wrapped if no header comes back. */
const SAMPLE_RATE_HERTZ = 24000;

/** gRPC status codes google-gax reports (REST errors are mapped to them). */
const REFUSED_CODES = new Set([3, 5, 7, 8, 9, 16]); // INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED, RESOURCE_EXHAUSTED, FAILED_PRECONDITION, UNAUTHENTICATED

/**
 * Builds the real `@google-cloud/text-to-speech` client for one service account, over the REST transport
 * (`fallback: true`: HTTP/1.1 + JSON, no gRPC). With a service-account key the client signs a self-signed JWT
 * (`useJWTAccessWithScope`, set by the client) for every request: no OAuth token exchange, so the only host contacted
 * is the TTS endpoint.
 */
export function createGoogleTtsClient(key: ServiceAccountKey, endpoint: GoogleEndpoint): TextToSpeechClient {
  // Only the two fields signing needs, from a key validated by parseServiceAccount (type service_account, RSA key): no
  // token_uri, external_account or impersonation settings from tenant input ever reach google-auth-library. A JWT
  // client of the library google-gax itself uses (not the deprecated `credentials` option, which warns on stderr for
  // every client), with the service's scopes whatever the endpoint; the TTS client switches it to self-signed JWTs.
  const authClient = new googleAuthLibrary.JWT({
    email: key.clientEmail,
    key: key.privateKey,
    keyId: key.privateKeyId ?? undefined,
    scopes: TextToSpeechClient.scopes,
    // Node's own fetch, instead of gaxios loading node-fetch through a dynamic import() (which also fails under Jest).
    transporterOptions: { fetchImplementation: fetch },
  });
  return new TextToSpeechClient({
    fallback: true,
    apiEndpoint: endpoint.host,
    port: endpoint.port,
    protocol: endpoint.protocol,
    projectId: key.projectId,
    authClient,
  });
}

export class GoogleTtsProvider implements TtsProvider {
  readonly name = 'google' as const;
  readonly cacheIdentity: string;

  constructor(
    private readonly client: TextToSpeechClient,
    credentialsId: string,
    private readonly timeoutMs: number,
  ) {
    this.cacheIdentity = `google:${credentialsId}`;
  }

  async synthesize(request: SynthesisRequest): Promise<SynthesizedAudio> {
    let audioContent: Uint8Array | string | null | undefined;
    try {
      const [response] = await this.client.synthesizeSpeech(
        {
          input: { text: request.text },
          voice: { languageCode: request.languageCode, name: request.voice.voiceName, ssmlGender: request.voice.ssmlGender },
          audioConfig: { audioEncoding: 'LINEAR16', sampleRateHertz: SAMPLE_RATE_HERTZ },
        },
        { timeout: this.timeoutMs, maxRetries: 1 },
      );
      audioContent = response.audioContent;
    } catch (err) {
      throw mapGoogleError(err);
    }
    if (!audioContent || audioContent.length === 0) throw new TtsProviderError('Google Cloud TTS returned no audio', 'failed');
    const raw = typeof audioContent === 'string' ? Buffer.from(audioContent, 'base64') : Buffer.from(audioContent);
    const audio = isWav(raw) ? raw : pcmToWav(raw, SAMPLE_RATE_HERTZ);
    try {
      return { audio, mimeType: 'audio/wav', durationSeconds: parseWav(audio).durationSeconds };
    } catch (err) {
      throw new TtsProviderError(`Google Cloud TTS returned unreadable audio: ${(err as Error).message}`, 'failed');
    }
  }
}

function mapGoogleError(err: unknown): TtsProviderError {
  const code = typeof (err as { code?: unknown })?.code === 'number' ? (err as { code: number }).code : undefined;
  const detail = ((err as Error)?.message ?? String(err)).slice(0, 300);
  if (code === 4) return new TtsProviderError(`Google Cloud TTS timed out: ${detail}`, 'timeout');
  if (code !== undefined && REFUSED_CODES.has(code)) {
    return new TtsProviderError(`Google Cloud TTS refused the request with the tenant's service account: ${detail}`, 'refused');
  }
  return new TtsProviderError(`Google Cloud TTS failed: ${detail}`, 'failed');
}
