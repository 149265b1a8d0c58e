import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsDate, IsOptional } from 'class-validator';
import { DATE_PARAM_DESCRIPTION, dateParamMessage, parseDateParam } from '../../conversations/dto/convos-date-param';

export class AnalyticsQueryDto {
  @ApiPropertyOptional({ type: String, example: '2025-01-01', description: `First UTC day (default: 29 days before end). ${DATE_PARAM_DESCRIPTION}.` })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => parseDateParam(value, 'start'))
  @IsDate({ message: dateParamMessage('start') })
  start?: Date;

  @ApiPropertyOptional({ type: String, example: '2025-01-31', description: `Last UTC day, included (default: today). ${DATE_PARAM_DESCRIPTION}.` })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => parseDateParam(value, 'end'))
  @IsDate({ message: dateParamMessage('end') })
  end?: Date;
}
