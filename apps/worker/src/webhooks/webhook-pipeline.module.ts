import { Module } from '@nestjs/common';
import { OutboxRelayService } from '../outbox/outbox-relay.service';
import { DeliveryQueue, FanoutQueue, ProjectionQueue } from '../queues/worker-queues';
import { DeliveryHandoff } from './delivery-handoff';
import { DeliveryProcessor } from './delivery.processor';
import { FanoutProcessor } from './fanout.processor';
import { LogRetentionService } from './log-retention.service';

/** Outbox → fan-out → delivery, plus log retention. */
@Module({
  providers: [FanoutQueue, DeliveryQueue, ProjectionQueue, DeliveryHandoff, OutboxRelayService, FanoutProcessor, DeliveryProcessor, LogRetentionService],
})
export class WebhookPipelineModule {}
