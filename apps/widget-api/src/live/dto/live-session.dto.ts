import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { LIVE_LANGUAGE_CODES, type LiveLanguageCode } from '../live-languages';

export const LIVE_PROVIDERS = ['gemini', 'platform'] as const;
export type LiveProvider = (typeof LIVE_PROVIDERS)[number];

export class LiveSessionDto {
  @ApiProperty({ description: 'Generated session id (not a secret; the credential is inside websocketUrl).', format: 'uuid' })
  sessionId!: string;

  @ApiProperty({
    description:
      'URL to initiate the live stream. gemini: Gemini Live BidiGenerateContentConstrained with the single-use ' +
      'ephemeral token as access_token. platform: widget-api /api/live/ws with the single-use session token.',
    example: 'wss://widget.example.com/api/live/ws?session=3q2-7w...',
  })
  websocketUrl!: string;

  @ApiProperty({ description: 'UTC timestamp when the session expires (ISO 8601).', example: '2026-01-01T12:10:00.000Z' })
  expiresAt!: string;

  @ApiProperty({ enum: LIVE_PROVIDERS, description: 'Who serves the stream: Gemini Live, or the platform itself (no Gemini key configured).' })
  provider!: LiveProvider;

  @ApiProperty({ enum: LIVE_LANGUAGE_CODES, description: 'Language of the session.' })
  languageCode!: LiveLanguageCode;

  @ApiPropertyOptional({
    description:
      'gemini only: the ephemeral token (auth_tokens/...), for SDK clients: new GoogleGenAI({ apiKey: token, ' +
      "httpOptions: { apiVersion: 'v1alpha' } }).live.connect({ model }). Single use; the platform key never leaves the server.",
  })
  ephemeralToken?: string;

  @ApiPropertyOptional({ description: 'gemini only: the Live model the token is locked to.' })
  model?: string;
}
