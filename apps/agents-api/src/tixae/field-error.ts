import { BadRequestException } from '@nestjs/common';

/** A 400 naming one field, in the same `details` shape as the validation pipe's. */
export function fieldError(field: string, problem: string): BadRequestException {
  return new BadRequestException({ message: `Validation failed: ${problem}`, details: [{ field, problems: [problem] }] });
}
