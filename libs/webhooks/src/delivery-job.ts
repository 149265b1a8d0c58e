import { QUEUES, type TypedJob, jobIds } from '@chatbot/events';
import type { WebhookEntity } from './entities/webhook.entity';

/** BullMQ backoff type whose delays the delivery processor computes (retry policy, jitter, Retry-After). */
export const WEBHOOK_BACKOFF = 'webhook';

/**
 * The delivery job of one event to one webhook: `max_retries + 1` attempts, the delay between them chosen by the
 * attempt itself. `nonce` makes a manual redelivery a new job beside the original.
 */
export function deliveryJob(
  webhook: Pick<WebhookEntity, 'id' | 'tenantId' | 'retryConfig'>,
  eventId: string,
  nonce?: string,
): TypedJob<typeof QUEUES.webhookDelivery> {
  return {
    name: 'deliver',
    data: { tenantId: webhook.tenantId, webhookId: webhook.id, eventId },
    opts: {
      jobId: nonce ? jobIds.redelivery(eventId, webhook.id, nonce) : jobIds.delivery(eventId, webhook.id),
      attempts: webhook.retryConfig.max_retries + 1,
      backoff: { type: WEBHOOK_BACKOFF },
    },
  };
}
