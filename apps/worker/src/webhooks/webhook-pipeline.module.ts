import { Module } from '@nestjs/common';
import { PgListener } from '../notifications/pg-listener';
import { OutboxRelayService } from '../outbox/outbox-relay.service';
import { DeliveryQueue, FanoutQueue, ProjectionQueue } from '../queues/worker-queues';
import { RetentionService } from '../retention/retention.service';
import { DeliveryHandoff } from './delivery-handoff';
import { DeliveryProcessor } from './delivery.processor';
import { EagerFanout } from './eager-fanout';
import { FanoutProcessor } from './fanout.processor';

/** Outbox → fan-out → delivery, plus retention of delivery logs, webhook events and published outbox rows. */
@Module({
  providers: [
    FanoutQueue,
    DeliveryQueue,
    ProjectionQueue,
    PgListener,
    { provide: DeliveryHandoff, useFactory: (listener: PgListener) => DeliveryHandoff.fromListener(listener), inject: [PgListener] },
    OutboxRelayService,
    FanoutProcessor,
    EagerFanout,
    DeliveryProcessor,
    RetentionService,
  ],
})
export class WebhookPipelineModule {}
