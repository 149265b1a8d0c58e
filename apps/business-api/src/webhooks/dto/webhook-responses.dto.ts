import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PUBLIC_EVENT_TYPES } from '@chatbot/events';
import { HTTP_METHODS } from '@chatbot/webhooks';
import { RetryConfigDto } from './retry-config.dto';

export class WebhookDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: PUBLIC_EVENT_TYPES }) event_type!: string;
  @ApiProperty() webhook_url!: string;
  @ApiProperty({ enum: HTTP_METHODS }) http_method!: string;
  @ApiProperty({ description: 'Custom headers; values are masked except in the create response.' }) headers!: Record<string, string>;
  @ApiProperty({ nullable: true, type: String }) payload_template!: string | null;
  @ApiProperty({ type: RetryConfigDto }) retry_config!: RetryConfigDto;
  @ApiProperty() is_active!: boolean;
  @ApiProperty({ nullable: true, type: String, description: 'Why the platform disabled this webhook, if it did.' }) disabled_reason!: string | null;
  @ApiProperty() created_at!: string;
  @ApiProperty() updated_at!: string;
}

export class CreatedWebhookDto extends WebhookDto {
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', description: 'Signing secret (Standard Webhooks). Shown here and on rotation only.' })
  secret!: string;
}

export class DeliveryLogDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() event_type!: string;
  @ApiProperty({ nullable: true, type: Number }) response_status!: number | null;
  @ApiProperty({ nullable: true, type: String }) error_message!: string | null;
  @ApiProperty({ description: 'Retries before this attempt (0 for the first attempt).' }) retry_count!: number;
  @ApiProperty() created_at!: string;
  @ApiProperty({ format: 'uuid' }) event_id!: string;
  @ApiProperty() duration_ms!: number;
  @ApiProperty({ nullable: true, type: String, description: 'Receiver response body, truncated to 20 KB.' }) response_body!: string | null;
  @ApiProperty({ nullable: true, type: String }) next_attempt_at!: string | null;
  @ApiProperty() request_url!: string;
  @ApiProperty() success!: boolean;
  @ApiProperty() is_test!: boolean;
}

export class TestResultDto {
  @ApiProperty() success!: boolean;
  @ApiProperty({ nullable: true, type: Number }) status_code!: number | null;
  @ApiProperty() message!: string;
}

export class SuccessMessageDto {
  @ApiProperty() success!: boolean;
  @ApiProperty() message!: string;
}

export class RotatedSecretDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() secret!: string;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'Until then the previous secret also signs.' })
  previous_secret_expires_at!: string | null;
}

export class QueuedDto extends SuccessMessageDto {
  @ApiProperty() queued!: number;
}
