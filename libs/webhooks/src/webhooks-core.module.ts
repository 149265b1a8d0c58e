import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { CommonConfig } from '@chatbot/platform';
import { SecretBox } from '@chatbot/tenant-auth';
import type { Dispatcher } from 'undici';
import { type WebhookDeliveryConfig, ssrfPolicyFrom } from './config/webhook-config';
import { createGuardedDispatcher } from './delivery/ssrf-guard';
import { DeliveryLogEntity } from './entities/delivery-log.entity';
import { WebhookEventEntity } from './entities/webhook-event.entity';
import { WebhookMessageEntity } from './entities/webhook-message.entity';
import { WebhookEntity } from './entities/webhook.entity';
import { DeliveryLogRepository } from './repositories/delivery-log.repository';
import { WebhookMessageRepository } from './repositories/webhook-message.repository';
import { WebhookRepository } from './repositories/webhook.repository';
import { WEBHOOK_DELIVERY_CONFIG, WEBHOOK_DISPATCHER, WebhookDeliveryService } from './webhook-delivery.service';
import { WebhookSecrets } from './webhook-secrets';
import { DeliveryResultWriter } from './delivery-result-writer';

/** Entities of the webhook tables (schema `business`, migrations owned by business-api). */
export const WEBHOOK_ENTITIES = [WebhookEntity, WebhookEventEntity, WebhookMessageEntity, DeliveryLogEntity];

/** The webhook domain shared by business-api (routes, test sends) and the worker (fan-out, delivery). */
@Global()
@Module({})
export class WebhooksCoreModule {
  static forRoot(config: WebhookDeliveryConfig & Pick<CommonConfig, 'SECRETS_MASTER_KEYS'>): DynamicModule {
    return {
      module: WebhooksCoreModule,
      providers: [
        { provide: WEBHOOK_DELIVERY_CONFIG, useValue: config },
        {
          provide: WEBHOOK_DISPATCHER,
          useFactory: (): Dispatcher => createGuardedDispatcher(ssrfPolicyFrom(config), { connectTimeoutMs: Math.min(config.WEBHOOK_TIMEOUT_MS, 10000) }),
        },
        { provide: WebhookSecrets, useFactory: () => new WebhookSecrets(SecretBox.fromConfig(config)) },
        WebhookRepository,
        WebhookMessageRepository,
        DeliveryLogRepository,
        WebhookDeliveryService,
        DeliveryResultWriter,
      ],
      exports: [WEBHOOK_DELIVERY_CONFIG, WEBHOOK_DISPATCHER, WebhookSecrets, WebhookRepository, WebhookMessageRepository, DeliveryLogRepository, WebhookDeliveryService],
    };
  }
}
