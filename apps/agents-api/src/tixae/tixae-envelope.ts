import { ApiProperty } from '@nestjs/swagger';
import type { ErrorBody } from '@chatbot/platform';

/** TIXAE V3's response envelope: `{ success, message, data }`. */
export interface Envelope<T> {
  success: boolean;
  message: string;
  data: T;
}

/** Lists add `total`, `totalPages`, `currentPage`. */
export interface PagedEnvelope<T> extends Envelope<T[]> {
  total: number;
  totalPages: number;
  currentPage: number;
}

export function ok<T>(data: T, message = 'OK'): Envelope<T> {
  return { success: true, message, data };
}

export function paged<T>(data: T[], total: number, page: number, limit: number, message = 'OK'): PagedEnvelope<T> {
  return { success: true, message, data, total, totalPages: Math.max(1, Math.ceil(total / limit)), currentPage: page };
}

export class EnvelopeDto {
  @ApiProperty() success!: boolean;
  @ApiProperty() message!: string;
}

export class ErrorEnvelopeDto extends EnvelopeDto {
  @ApiProperty({ nullable: true, type: Object, example: null }) data!: null;
  @ApiProperty() statusCode!: number;
  @ApiProperty() error!: string;
}

/**
 * Every agents-API error keeps TIXAE's envelope (`success: false, message, data: null`) and carries the platform's
 * error fields (`statusCode, error, details?`) beside it, so both kinds of client understand it.
 */
export function tixaeErrorBody(body: ErrorBody): Record<string, unknown> {
  return { success: false, data: null, ...body };
}
