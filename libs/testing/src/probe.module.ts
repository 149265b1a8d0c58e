import { Body, Controller, Get, Module, Post, Query } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { AllowScopes, CurrentTenant, Public, RequireCapability, type TenantContext } from '@chatbot/tenant-auth';

class ProbeAddressDto {
  @IsString()
  @MaxLength(40)
  city!: string;
}

class ProbeEchoDto {
  @IsString()
  @MaxLength(20)
  name!: string;

  @IsInt()
  @Min(0)
  @Max(10)
  count!: number;

  @IsOptional()
  @ValidateNested()
  @Type(() => ProbeAddressDto)
  address?: ProbeAddressDto;
}

/** Requests the probe's `slow` route has started (a test waits for its request to be in flight). */
export const probeCounters = { slowStarted: 0 };

/**
 * Routes that exist only in tests, mounted beside a real app, to exercise the platform's global behaviour (guard,
 * capability check, validation pipe, error shape, graceful shutdown) on shapes no product route has yet.
 */
@Controller('test-probe')
class ProbeController {
  @Get('whoami')
  whoami(@CurrentTenant() tenant: TenantContext): TenantContext {
    return tenant;
  }

  @Get('live-only')
  @RequireCapability('live')
  liveOnly(): { ok: true } {
    return { ok: true };
  }

  @Get('widget-only')
  @AllowScopes('widget')
  widgetOnly(): { ok: true } {
    return { ok: true };
  }

  @Post('echo')
  echo(@Body() body: ProbeEchoDto): ProbeEchoDto {
    return body;
  }

  @Public()
  @Get('slow')
  async slow(@Query('ms') ms = '300'): Promise<{ waited: number }> {
    probeCounters.slowStarted++;
    const waited = Math.min(Number(ms) || 0, 5000);
    await new Promise((resolve) => setTimeout(resolve, waited));
    return { waited };
  }

  @Public()
  @Get('boom')
  boom(): never {
    throw new Error('kaboom: internal detail that must not leak');
  }
}

@Module({ controllers: [ProbeController] })
export class ProbeModule {}
