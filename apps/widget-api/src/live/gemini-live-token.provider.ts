import { BadGatewayException, Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, APP_LOGGER, type AppLogger } from '@chatbot/platform';
import { GoogleGenAI, Modality } from '@google/genai';
import type { WidgetApiConfig } from '../config/widget-api.config';
import type { LiveLanguageCode } from './live-languages';

export interface LiveTokenRequest {
  systemInstruction: string;
  languageCode: LiveLanguageCode;
  expiresAt: Date;
}

export interface LiveToken {
  /** `auth_tokens/...`: what Gemini Live takes as `access_token` (or as the SDK's apiKey, with apiVersion v1alpha). */
  token: string;
  websocketUrl: string;
  model: string;
}

/** Clients have this long to open the Live connection; the session itself lasts until expireTime. */
const NEW_SESSION_WINDOW_MS = 60_000;
const API_VERSION = 'v1alpha';
const DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com';

/**
 * Ephemeral Gemini Live tokens (`authTokens.create`, Gemini Developer API, v1alpha): single use, expiring with the
 * session, and locked (`lockAdditionalFields: []` locks every field set here) to the Live model, the agent's prompt,
 * the voice and the language, so a browser holding the token cannot repurpose it. The platform key stays here.
 *
 * Browsers connect to `websocketUrl` (what the SDK itself builds for an `auth_tokens/` key:
 * `.../ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained?access_token=<token>`),
 * or pass the token as `apiKey` to `new GoogleGenAI({ apiKey, httpOptions: { apiVersion: 'v1alpha' } })` and call
 * `live.connect({ model })`.
 */
@Injectable()
export class GeminiLiveTokenProvider {
  private readonly client: GoogleGenAI | null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: WidgetApiConfig,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {
    this.client = config.GEMINI_API_KEY
      ? new GoogleGenAI({
          apiKey: config.GEMINI_API_KEY,
          httpOptions: { apiVersion: API_VERSION, timeout: 15_000, ...(config.GEMINI_BASE_URL ? { baseUrl: config.GEMINI_BASE_URL } : {}) },
        })
      : null;
  }

  get enabled(): boolean {
    return this.client !== null;
  }

  async create(request: LiveTokenRequest): Promise<LiveToken> {
    if (!this.client) throw new Error('GEMINI_API_KEY is not configured');
    const model = this.config.GEMINI_LIVE_MODEL;
    const newSessionExpire = new Date(Math.min(Date.now() + NEW_SESSION_WINDOW_MS, request.expiresAt.getTime()));
    let name: string | undefined;
    try {
      const token = await this.client.authTokens.create({
        config: {
          uses: 1,
          expireTime: request.expiresAt.toISOString(),
          newSessionExpireTime: newSessionExpire.toISOString(),
          liveConnectConstraints: {
            model,
            config: {
              responseModalities: [Modality.AUDIO],
              systemInstruction: request.systemInstruction,
              speechConfig: {
                languageCode: request.languageCode,
                voiceConfig: { prebuiltVoiceConfig: { voiceName: this.config.GEMINI_LIVE_VOICE } },
              },
            },
          },
          lockAdditionalFields: [],
        },
      });
      name = token.name;
    } catch (err) {
      this.logger.warn({ err: { message: (err as Error).message } }, 'Gemini Live token request failed');
      throw new BadGatewayException('Gemini Live is unavailable: the ephemeral session token could not be created');
    }
    if (!name?.startsWith('auth_tokens/')) {
      throw new BadGatewayException('Gemini Live is unavailable: unexpected token response');
    }
    return { token: name, websocketUrl: liveWebsocketUrl(this.config.GEMINI_BASE_URL ?? DEFAULT_BASE_URL, name), model };
  }
}

/** The Live endpoint for ephemeral tokens, as the SDK builds it (http → ws, https → wss). */
export function liveWebsocketUrl(baseUrl: string, token: string): string {
  const url = new URL(baseUrl);
  url.protocol = url.protocol === 'http:' ? 'ws:' : 'wss:';
  const base = url.toString().replace(/\/+$/, '');
  return (
    `${base}/ws/google.ai.generativelanguage.${API_VERSION}.GenerativeService.BidiGenerateContentConstrained` +
    `?access_token=${encodeURIComponent(token)}`
  );
}
