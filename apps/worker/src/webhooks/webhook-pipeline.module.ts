import { Module } from '@nestjs/common';
import { OutboxRelayService } from '../outbox/outbox-relay.service';
import { DeliveryQueue, FanoutQueue } from '../queues/worker-queues';
import { DeliveryProcessor } from './delivery.processor';
import { FanoutProcessor } from './fanout.processor';
import { LogRetentionService } from './log-retention.service';

/** Outbox → fan-out → delivery, plus log retention. */
@Module({
  providers: [FanoutQueue, DeliveryQueue, OutboxRelayService, FanoutProcessor, DeliveryProcessor, LogRetentionService],
})
export class WebhookPipelineModule {}
