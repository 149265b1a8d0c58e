import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { LIVE_LANGUAGE_CODES, type LiveLanguageCode, normalizeLiveLanguage } from '../live-languages';

export const MIN_SESSION_TIMEOUT_SECONDS = 60;
export const MAX_SESSION_TIMEOUT_SECONDS = 3600;
export const DEFAULT_SESSION_TIMEOUT_SECONDS = 600;

export class CreateLiveSessionDto {
  @ApiProperty({ description: "Tenant ID; must be the API key's tenant.", format: 'uuid' })
  @IsUUID('all', { message: 'tenantId must be a tenant id (uuid)' })
  tenantId!: string;

  @ApiProperty({ description: 'Chatbot (agent) ID of this tenant.', format: 'uuid' })
  @IsUUID('all', { message: 'chatbotId must be a chatbot id (uuid)' })
  chatbotId!: string;

  @ApiPropertyOptional({
    enum: LIVE_LANGUAGE_CODES,
    example: 'en-US',
    description: "Preferred locale for the session (case-insensitive). Defaults to the chatbot's language.",
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? (normalizeLiveLanguage(value) ?? value) : value))
  @IsIn(LIVE_LANGUAGE_CODES, { message: `languageCode must be one of ${LIVE_LANGUAGE_CODES.join(', ')}` })
  languageCode?: LiveLanguageCode;

  @ApiPropertyOptional({
    minimum: MIN_SESSION_TIMEOUT_SECONDS,
    maximum: MAX_SESSION_TIMEOUT_SECONDS,
    default: DEFAULT_SESSION_TIMEOUT_SECONDS,
    description: 'Session lifetime in seconds.',
  })
  @IsOptional()
  @IsInt({ message: 'sessionTimeoutSeconds must be an integer' })
  @Min(MIN_SESSION_TIMEOUT_SECONDS, { message: `sessionTimeoutSeconds must be at least ${MIN_SESSION_TIMEOUT_SECONDS}` })
  @Max(MAX_SESSION_TIMEOUT_SECONDS, { message: `sessionTimeoutSeconds must be at most ${MAX_SESSION_TIMEOUT_SECONDS}` })
  sessionTimeoutSeconds?: number;
}
