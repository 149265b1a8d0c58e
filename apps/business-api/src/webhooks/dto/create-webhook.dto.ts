import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PUBLIC_EVENT_TYPES, type PublicEventType } from '@chatbot/events';
import { HTTP_METHODS, type WebhookHttpMethod } from '@chatbot/webhooks';
import { Type } from 'class-transformer';
import { Allow, IsBoolean, IsIn, IsObject, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { RetryConfigDto } from './retry-config.dto';

export class CreateWebhookDto {
  @ApiProperty({ enum: PUBLIC_EVENT_TYPES, example: 'lead_captured' })
  @IsIn(PUBLIC_EVENT_TYPES, { message: `event_type must be one of ${PUBLIC_EVENT_TYPES.join(', ')}` })
  event_type!: PublicEventType;

  @ApiProperty({ example: 'https://example.com/hooks/chatbot', description: 'HTTPS in production (HTTP allowed in development/test); no credentials.' })
  @IsString()
  @MaxLength(2048)
  webhook_url!: string;

  @ApiPropertyOptional({ enum: HTTP_METHODS, default: 'POST' })
  @IsOptional()
  @IsIn(HTTP_METHODS, { message: `http_method must be one of ${HTTP_METHODS.join(', ')}` })
  http_method?: WebhookHttpMethod;

  @ApiPropertyOptional({ example: { Authorization: 'Bearer token' }, description: 'Custom headers (encrypted at rest).' })
  @IsOptional()
  @IsObject()
  headers?: Record<string, unknown>;

  @ApiPropertyOptional({
    example: '{"conversation":"{{conversation_id}}","lead":"{{lead_id}}","type":"{{event_type}}"}',
    description: 'JSON template (text or object) with {{variables}} inside string values. Default: the full event.',
  })
  @IsOptional()
  @Allow()
  payload_template?: unknown;

  @ApiPropertyOptional({ type: RetryConfigDto, example: { max_retries: 5, backoff: 'exponential' } })
  @IsOptional()
  @ValidateNested()
  @Type(() => RetryConfigDto)
  retry_config?: RetryConfigDto;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  is_active?: boolean;
}
