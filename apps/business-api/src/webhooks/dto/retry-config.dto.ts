import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';

export class RetryConfigDto {
  @ApiProperty({ minimum: 0, maximum: 15, example: 5, description: 'Retries after the first attempt (attempts = max_retries + 1).' })
  @IsInt()
  @Min(0)
  @Max(15)
  max_retries!: number;

  @ApiProperty({ enum: ['exponential', 'linear', 'fixed'], example: 'exponential' })
  @IsIn(['exponential', 'linear', 'fixed'])
  backoff!: 'exponential' | 'linear' | 'fixed';

  @ApiPropertyOptional({
    minimum: 10,
    maximum: 3_600_000,
    example: 5000,
    description: 'First retry delay (default 5000). Exponential: ×6 per retry (5 s, 30 s, 3 min, 18 min, 1.8 h, then 10 h), ±20% jitter.',
  })
  @IsOptional()
  @IsInt()
  @Min(10)
  @Max(3_600_000)
  initial_delay_ms?: number;
}
