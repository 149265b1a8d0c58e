import { type DynamicModule, Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { APP_CONFIG, type CommonConfig, REDIS } from '@chatbot/platform';
import type { Redis } from 'ioredis';
import { ApiKeyEntity } from './entities/api-key.entity';
import { TenantEntity } from './entities/tenant.entity';
import { ApiKeyGuard } from './guards/api-key.guard';
import { ApiKeyAuthenticator } from './keys/api-key-authenticator';
import { ApiKeyRepository } from './keys/api-key.repository';
import { KeyCache } from './keys/key-cache';
import { SecretBox } from './secrets/secret-box';
import { TenancyAdminService } from './tenants/tenancy-admin.service';
import { TenantRepository } from './tenants/tenant.repository';

/** Entities of the `tenancy` schema; apps add them to their data source. */
export const TENANCY_ENTITIES = [TenantEntity, ApiKeyEntity];

/** Authentication for every service: the global deny-by-default guard, key verification, plans, secrets. */
@Global()
@Module({})
export class TenantAuthModule {
  static forRoot(): DynamicModule {
    return {
      module: TenantAuthModule,
      providers: [
        TenantRepository,
        ApiKeyRepository,
        KeyCache,
        ApiKeyAuthenticator,
        {
          provide: TenancyAdminService,
          inject: [TenantRepository, ApiKeyRepository, REDIS, APP_CONFIG],
          useFactory: (tenants: TenantRepository, keys: ApiKeyRepository, redis: Redis, config: CommonConfig) =>
            new TenancyAdminService(tenants, keys, redis, config.REDIS_PREFIX),
        },
        {
          provide: SecretBox,
          inject: [APP_CONFIG],
          useFactory: (config: CommonConfig) => SecretBox.fromConfig(config),
        },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
      ],
      exports: [TenantRepository, ApiKeyRepository, ApiKeyAuthenticator, TenancyAdminService, SecretBox, KeyCache],
    };
  }
}
