import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { KB_MAX_LIMIT, KB_MAX_QUESTION_CHARS } from '../kb-search.service';
import { KbTagsDto } from './create-kb-document.dto';

/** Voiceflow-style knowledge-base query: `{ question, chunkLimit, tags }`. */
export class KbQueryDto extends KbTagsDto {
  @ApiProperty({ example: 'How long do refunds take?', maxLength: KB_MAX_QUESTION_CHARS })
  @IsString()
  @MaxLength(KB_MAX_QUESTION_CHARS)
  @Matches(/\S/, { message: 'question must not be empty' })
  question!: string;

  @ApiPropertyOptional({ minimum: 1, maximum: KB_MAX_LIMIT, description: "How many chunks (default: the agent's vg_kbTopChunks)." })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(KB_MAX_LIMIT)
  chunkLimit?: number;
}

export class ListKbQueryDto {
  @ApiPropertyOptional({ default: 1, minimum: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  page?: number;

  @ApiPropertyOptional({ default: 20, minimum: 1, maximum: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}
