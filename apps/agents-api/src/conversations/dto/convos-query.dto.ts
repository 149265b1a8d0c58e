import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsDate,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import type { ConversationOrigin, HandoffState } from '@chatbot/events';
import { HANDOFF_STATES, ORIGINS } from '../turn-wire';
import { DATE_PARAM_DESCRIPTION, dateParamMessage, parseDateParam } from './convos-date-param';

/** Filters shared by the list and the export. */
export class ConvoFiltersDto {
  @ApiPropertyOptional({ enum: ORIGINS, description: 'Channel origin.' })
  @IsOptional()
  @IsIn(ORIGINS, { message: `origin must be one of ${ORIGINS.join(', ')}` })
  origin?: ConversationOrigin;

  @ApiPropertyOptional({ enum: HANDOFF_STATES, description: 'Handoff state (chatState).' })
  @IsOptional()
  @IsIn(HANDOFF_STATES, { message: `state must be one of ${HANDOFF_STATES.join(', ')}` })
  state?: HandoffState;

  @ApiPropertyOptional({
    type: [String],
    description: 'Conversations carrying this tag; repeat the parameter (tag=a&tag=b) for conversations carrying all of them.',
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? [value] : value))
  @IsArray({ message: 'tag must be a string' })
  @ArrayMaxSize(10, { message: 'at most 10 tag parameters' })
  @IsString({ each: true, message: 'tag must be a string' })
  @MinLength(1, { each: true, message: 'tag must not be empty' })
  @MaxLength(64, { each: true, message: 'tag must be at most 64 characters' })
  tag?: string[];

  @ApiPropertyOptional({ format: 'uuid', description: 'Client (human operator) ID the conversation is assigned to (chatAssignedTo).' })
  @IsOptional()
  @IsUUID('all', { message: 'assignedTo must be a client ID (uuid)' })
  assignedTo?: string;

  @ApiPropertyOptional({ type: String, description: `Last activity (last message, else creation) at or after. ${DATE_PARAM_DESCRIPTION}.` })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => parseDateParam(value, 'start'))
  @IsDate({ message: dateParamMessage('from') })
  from?: Date;

  @ApiPropertyOptional({ type: String, description: `Last activity at or before (a date-only value includes that whole UTC day). ${DATE_PARAM_DESCRIPTION}.` })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => parseDateParam(value, 'end'))
  @IsDate({ message: dateParamMessage('to') })
  to?: Date;

  @ApiPropertyOptional({ description: 'Full-text search over the messages (web-search syntax: words, "a phrase", -excluded, or).', maxLength: 200 })
  @IsOptional()
  @IsString()
  @MinLength(1, { message: 'q must not be empty' })
  @MaxLength(200, { message: 'q must be at most 200 characters' })
  q?: string;
}

export class ListConvosQueryDto extends ConvoFiltersDto {
  @ApiPropertyOptional({ description: 'The nextCursor of the previous page (opaque).' })
  @IsOptional()
  @IsString()
  @MinLength(1, { message: 'cursor must not be empty' })
  @MaxLength(512, { message: 'cursor is not valid' })
  cursor?: string;

  @ApiPropertyOptional({ default: 20, minimum: 1, maximum: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer' })
  @Min(1, { message: 'limit must be at least 1' })
  @Max(100, { message: 'limit must be at most 100' })
  limit?: number;
}

export const EXPORT_FORMATS = ['json', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export class ExportConvosQueryDto extends ConvoFiltersDto {
  @ApiPropertyOptional({ enum: EXPORT_FORMATS, default: 'json' })
  @IsOptional()
  @IsIn(EXPORT_FORMATS, { message: 'format must be json or csv' })
  format?: ExportFormat;
}
