import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { QUEUES, TypedQueue } from '@chatbot/events';
import { APP_CONFIG } from '@chatbot/platform';
import type { WorkerConfig } from '../config/worker.config';

/** Producer of fan-out jobs (the outbox relay). */
@Injectable()
export class FanoutQueue extends TypedQueue<typeof QUEUES.eventFanout> implements OnApplicationShutdown {
  constructor(@Inject(APP_CONFIG) config: WorkerConfig) {
    super(QUEUES.eventFanout, config);
  }
  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }
}

/** Producer of delivery jobs (fan-out). */
@Injectable()
export class DeliveryQueue extends TypedQueue<typeof QUEUES.webhookDelivery> implements OnApplicationShutdown {
  constructor(@Inject(APP_CONFIG) config: WorkerConfig) {
    super(QUEUES.webhookDelivery, config);
  }
  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }
}

/** Producer of widget-projection jobs (fan-out hands internal agent/KB events to widget-api). */
@Injectable()
export class ProjectionQueue extends TypedQueue<typeof QUEUES.widgetProjection> implements OnApplicationShutdown {
  constructor(@Inject(APP_CONFIG) config: WorkerConfig) {
    super(QUEUES.widgetProjection, config);
  }
  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }
}
