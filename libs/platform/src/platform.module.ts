import {
  type DynamicModule,
  Global,
  Inject,
  Injectable,
  Module,
  type OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { createDataSource } from '@chatbot/database';
import type { Redis } from 'ioredis';
import { DataSource, type EntitySchema, type MixedList } from 'typeorm';
import type { CommonConfig } from './config/common-config';
import { APP_CONFIG } from './config/config.tokens';
import { AllExceptionsFilter, ERROR_BODY_DECORATOR, type ErrorBodyDecorator } from './errors/all-exceptions.filter';
import { HealthController } from './health/health.controller';
import { HealthService } from './health/health.service';
import type { AppLogger } from './logging/logger';
import { APP_LOGGER } from './logging/logger.tokens';
import { MetricsController } from './metrics/metrics.controller';
import { MetricsService } from './metrics/metrics.service';
import { REDIS, connectRedis, createRedisClient } from './redis/redis';

export interface PlatformModuleOptions {
  serviceName: string;
  config: CommonConfig;
  logger: AppLogger;
  entities: MixedList<string | (abstract new (...args: never[]) => unknown) | EntitySchema>;
  /** Wraps every error body (default: the body as is). */
  errorBody?: ErrorBodyDecorator;
  /** Connections of the pool for named hot-path statements planned once (default 0: none; see `createDataSource`). */
  genericPlanPoolSize?: number;
}

/** Closes pools and connections after the HTTP server has stopped and in-flight requests have finished. */
@Injectable()
class PlatformShutdown implements OnApplicationShutdown {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  async onApplicationShutdown(signal?: string): Promise<void> {
    this.redis.disconnect();
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
    this.logger.info({ signal }, 'shutdown complete');
  }
}

/**
 * Cross-cutting infrastructure every service shares: typed config, logger, Postgres, Redis, health, metrics and the
 * one error shape. Global so feature modules just inject what they need.
 */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(options: PlatformModuleOptions): DynamicModule {
    const providers: Provider[] = [
      { provide: APP_CONFIG, useValue: options.config },
      { provide: APP_LOGGER, useValue: options.logger },
      {
        provide: DataSource,
        useFactory: async () => {
          const dataSource = createDataSource({
            url: options.config.DATABASE_URL,
            entities: options.entities,
            poolSize: options.config.DATABASE_POOL_SIZE,
            applicationName: options.serviceName,
            genericPlanPoolSize: options.genericPlanPoolSize ?? 0,
          });
          return dataSource.initialize();
        },
      },
      {
        provide: REDIS,
        useFactory: async () => {
          const client = createRedisClient(options.config.REDIS_URL, `${options.serviceName}:main`, options.logger);
          await connectRedis(client, options.logger);
          return client;
        },
      },
      HealthService,
      MetricsService,
      PlatformShutdown,
      { provide: ERROR_BODY_DECORATOR, useValue: options.errorBody ?? ((body: object) => body) },
      { provide: APP_FILTER, useClass: AllExceptionsFilter },
    ];
    return {
      module: PlatformModule,
      controllers: [HealthController, MetricsController],
      providers,
      exports: [APP_CONFIG, APP_LOGGER, DataSource, REDIS, HealthService, MetricsService],
    };
  }
}
