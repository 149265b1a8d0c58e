import { type ConfigOf, commonEnvSchema, envVar, intSchema as int, portSchema } from '@chatbot/platform';
import { webhookDeliveryEnvSchema } from '@chatbot/webhooks';

export const workerEnvSchema = {
  ...commonEnvSchema,
  ...webhookDeliveryEnvSchema,
  WORKER_PORT: envVar(portSchema('WORKER_PORT'), {
    default: '3004',
    description: 'Port of the worker health and metrics server (no public API).',
  }),
  OUTBOX_POLL_INTERVAL_MS: envVar(int(50, 60000), {
    default: '1000',
    description: 'Outbox relay polling interval, the fallback when no LISTEN/NOTIFY wake-up arrives.',
  }),
  OUTBOX_BATCH_SIZE: envVar(int(1, 5000), {
    default: '200',
    description: 'Outbox rows the relay claims per transaction.',
  }),
  FANOUT_CONCURRENCY: envVar(int(1, 1000), {
    default: '20',
    description: 'Fan-out jobs (one per event) processed at once per worker; size with DATABASE_POOL_SIZE.',
  }),
  WEBHOOK_DELIVERY_CONCURRENCY: envVar(int(1, 1000), {
    default: '50',
    description: 'Webhook deliveries in flight per worker process.',
  }),
  WEBHOOK_ENDPOINT_CONCURRENCY: envVar(int(1, 1000), {
    default: '5',
    description: 'Deliveries in flight to one endpoint (URL origin) per worker, so a slow endpoint cannot hold every slot.',
  }),
  WEBHOOK_LOG_RETENTION_DAYS: envVar(int(1, 3650), {
    default: '30',
    description: 'Delivery log rows older than this are deleted (hourly).',
  }),
  QUEUE_LOCK_DURATION_MS: envVar(int(1000, 600000), {
    default: '30000',
    description: 'BullMQ job lock; a job of a crashed worker is retried after about this long.',
  }),
  QUEUE_STALLED_INTERVAL_MS: envVar(int(500, 600000), {
    default: '30000',
    description: 'How often BullMQ looks for jobs of crashed workers.',
  }),
} as const;

export type WorkerConfig = ConfigOf<typeof workerEnvSchema>;
