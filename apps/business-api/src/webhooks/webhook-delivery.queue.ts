import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { QUEUES, TypedQueue } from '@chatbot/events';
import { APP_CONFIG, type CommonConfig } from '@chatbot/platform';

/** Producer side of the delivery queue, for redeliver and recover. */
@Injectable()
export class WebhookDeliveryQueue extends TypedQueue<typeof QUEUES.webhookDelivery> implements OnApplicationShutdown {
  constructor(@Inject(APP_CONFIG) config: CommonConfig) {
    super(QUEUES.webhookDelivery, config);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }
}
