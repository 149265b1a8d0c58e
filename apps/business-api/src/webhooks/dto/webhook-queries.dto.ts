import { ApiPropertyOptional } from '@nestjs/swagger';
import { PUBLIC_EVENT_TYPES, type PublicEventType } from '@chatbot/events';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsDate, IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';

const toBoolean = ({ value }: { value: unknown }): unknown => (value === 'true' ? true : value === 'false' ? false : value);

export class ListWebhooksQueryDto {
  @ApiPropertyOptional({ enum: PUBLIC_EVENT_TYPES })
  @IsOptional()
  @IsIn(PUBLIC_EVENT_TYPES, { message: `event_type must be one of ${PUBLIC_EVENT_TYPES.join(', ')}` })
  event_type?: PublicEventType;

  @ApiPropertyOptional({ enum: ['true', 'false'] })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean({ message: 'is_active must be true or false' })
  is_active?: boolean;
}

export class LogsQueryDto {
  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  @ApiPropertyOptional({ default: 0, minimum: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  offset?: number;
}

export class RecoverDto {
  @ApiPropertyOptional({ example: '2026-11-20T00:00:00Z', description: 'Re-send every failed event of this webhook created since then.' })
  @Type(() => Date)
  @IsDate({ message: 'since must be an ISO 8601 date' })
  since!: Date;
}
