import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { KB_REFRESH_RATES, type KbRefreshRate } from '@chatbot/kb';

export const KB_WIRE_SOURCE_TYPES = ['doc', 'url', 'sitemap'] as const;
export type KbWireSourceType = (typeof KB_WIRE_SOURCE_TYPES)[number];
export const KB_MAX_CONTENT_CHARS = 500_000;
export const KB_MAX_TAGS = 20;

const url = { require_protocol: true, protocols: ['http', 'https'], require_tld: false };

/** Trims and de-duplicates tag lists (validation then checks what is left). */
export const normalizeTags = ({ value }: { value: unknown }): unknown =>
  Array.isArray(value) ? [...new Set((value as unknown[]).map((t): unknown => (typeof t === 'string' ? t.trim() : t)))] : value;

export class KbTagsDto {
  @ApiPropertyOptional({ type: [String], example: ['billing'], description: `Up to ${KB_MAX_TAGS} tags, 1-64 characters each.` })
  @IsOptional()
  @Transform(normalizeTags)
  @IsArray()
  @ArrayMaxSize(KB_MAX_TAGS)
  @IsString({ each: true })
  @MinLength(1, { each: true, message: 'each tag must be a non-empty string' })
  @MaxLength(64, { each: true })
  tags?: string[];
}

/**
 * A knowledge-base source (TIXAE: `name, content, tags, sourceType doc|url|sitemap, urls, sitemapUrl, maxPages,
 * refreshRate`). `doc` (the default) is raw text in `content`.
 */
export class CreateKbDocumentDto extends KbTagsDto {
  @ApiPropertyOptional({ enum: KB_WIRE_SOURCE_TYPES, default: 'doc' })
  @IsOptional()
  @IsIn(KB_WIRE_SOURCE_TYPES, { message: `sourceType must be one of ${KB_WIRE_SOURCE_TYPES.join(', ')}` })
  sourceType?: KbWireSourceType;

  @ApiPropertyOptional({ example: 'Refund policy', description: 'Required for doc sources; URL sources default to the URL.' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(300)
  @Matches(/\S/, { message: 'name must not be blank' })
  name?: string;

  @ApiPropertyOptional({ description: `The text (markdown headings are followed when chunking); required for doc sources. Up to ${KB_MAX_CONTENT_CHARS} characters.` })
  @IsOptional()
  @IsString()
  @MaxLength(KB_MAX_CONTENT_CHARS)
  content?: string;

  @ApiPropertyOptional({ type: [String], description: 'url sources: the pages to ingest (one document each).' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsUrl(url, { each: true, message: 'each of urls must be an http(s) URL' })
  urls?: string[];

  @ApiPropertyOptional({ description: 'sitemap sources: the sitemap URL (pages of the same site only).' })
  @IsOptional()
  @IsUrl(url, { message: 'sitemapUrl must be an http(s) URL' })
  sitemapUrl?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 10000, description: 'sitemap sources: most pages to ingest.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10000)
  maxPages?: number;

  @ApiPropertyOptional({ enum: KB_REFRESH_RATES, default: 'never', description: 'url/sitemap sources: re-ingest when the content changed.' })
  @IsOptional()
  @IsIn(KB_REFRESH_RATES, { message: `refreshRate must be one of ${KB_REFRESH_RATES.join(', ')}` })
  refreshRate?: KbRefreshRate;
}
