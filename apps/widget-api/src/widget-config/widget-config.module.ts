import { Module } from '@nestjs/common';
import { ProjectionModule } from '../projection/projection.module';
import { IpRateLimiter } from './ip-rate-limiter';
import { WidgetConfigCache } from './widget-config.cache';
import { WidgetConfigController } from './widget-config.controller';
import { WidgetConfigService } from './widget-config.service';

/** `GET /api/widget/config`, served from the agent projection through a memory + Redis cache. */
@Module({
  imports: [ProjectionModule],
  controllers: [WidgetConfigController],
  providers: [WidgetConfigService, WidgetConfigCache, IpRateLimiter],
})
export class WidgetConfigModule {}
