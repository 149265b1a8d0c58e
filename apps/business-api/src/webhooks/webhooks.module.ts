import { Module } from '@nestjs/common';
import { WebhookDeliveryQueue } from './webhook-delivery.queue';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

@Module({ controllers: [WebhooksController], providers: [WebhooksService, WebhookDeliveryQueue] })
export class WebhooksModule {}
