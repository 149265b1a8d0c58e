import { kbSharedEnvSchema } from '@chatbot/kb';
import { type ConfigOf, commonEnvSchema, envVar, intSchema as int, portSchema } from '@chatbot/platform';
import { webhookDeliveryEnvSchema } from '@chatbot/webhooks';
import { z } from 'zod';

const httpUrl = z
  .string()
  .refine((value) => /^https?:\/\/[^\s/]+/i.test(value), 'must be an http:// or https:// URL')
  .optional();

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
  PG_LISTEN_HEARTBEAT_MS: envVar(int(100, 60000), {
    default: '1000',
    description:
      'How often the worker checks that its LISTEN connection still delivers notifications (outbox wake-ups, webhook changes); one left unanswered for five intervals replaces the connection. Above 2000, deliveries re-read their webhook after 2 s instead of trusting change notifications.',
  }),
  OUTBOX_BATCH_SIZE: envVar(int(1, 5000), {
    default: '200',
    description: 'Outbox rows the relay claims per transaction.',
  }),
  OUTBOX_RETENTION_HOURS: envVar(int(1, 87600), {
    default: '24',
    description: 'Published outbox rows older than this are deleted (hourly); unpublished rows are never deleted.',
  }),
  FANOUT_CONCURRENCY: envVar(int(1, 1000), {
    default: '20',
    description: 'Fan-out jobs (one per event) processed at once per worker; size with DATABASE_POOL_SIZE.',
  }),
  FANOUT_EAGER_LIMIT: envVar(int(0, 100000), {
    default: '1000',
    description:
      "Events the outbox relay fans out itself, at once, right after publishing them; each one's fan-out job waits in the delayed set meanwhile (QUEUE_LOCK_DURATION_MS) and runs only if this process dies or the fan-out failed. At the limit the relay claims no more rows until some finish. 0 = every event through the fan-out queue.",
  }),
  WEBHOOK_DELIVERY_CONCURRENCY: envVar(int(1, 1000), {
    default: '50',
    description: 'Webhook deliveries in flight per worker process.',
  }),
  WEBHOOK_EAGER_LIMIT: envVar(int(0, 5000), {
    default: '200',
    description:
      "First delivery attempts that fan-out starts itself, in this process, at once (beside WEBHOOK_DELIVERY_CONCURRENCY); each one's delivery job waits in the delayed set meanwhile (QUEUE_LOCK_DURATION_MS + WEBHOOK_TIMEOUT_MS) and runs only if this process dies, or later for a retry. Each holds a slot of its endpoint (WEBHOOK_ENDPOINT_CONCURRENCY). Beyond the limit, or with the endpoint at its cap, deliveries go through the queue. 0 = every delivery through the queue.",
  }),
  WEBHOOK_ENDPOINT_CONCURRENCY: envVar(int(1, 1000), {
    default: '5',
    description: 'Deliveries in flight to one endpoint (URL origin) per worker, so a slow endpoint cannot hold every slot.',
  }),
  WEBHOOK_LOG_RETENTION_DAYS: envVar(int(1, 3650), {
    default: '30',
    description: 'Delivery log rows older than this are deleted (hourly).',
  }),
  WEBHOOK_EVENT_RETENTION_DAYS: envVar(int(1, 3650), {
    default: '30',
    description:
      'Webhook events (the payloads kept for redeliver and recover) and their per-webhook delivery state older than this are deleted (hourly); an event with a delivery still pending is kept.',
  }),
  QUEUE_LOCK_DURATION_MS: envVar(int(1000, 600000), {
    default: '30000',
    description: 'BullMQ job lock; a job of a crashed worker is retried after about this long.',
  }),
  QUEUE_STALLED_INTERVAL_MS: envVar(int(500, 600000), {
    default: '30000',
    description: 'How often BullMQ looks for jobs of crashed workers.',
  }),
  ...kbSharedEnvSchema,
  KB_INGESTION_CONCURRENCY: envVar(int(1, 64), {
    default: '2',
    description: 'Knowledge-base ingestion jobs (url, sitemap and file sources: fetch, extract, chunk, index, embed) run at once per worker.',
  }),
  KB_FETCH_TIMEOUT_MS: envVar(int(100, 300000), {
    default: '15000',
    description: 'Timeout of one fetch of a knowledge-base URL or sitemap (connect, headers and body).',
  }),
  KB_FETCH_MAX_BYTES: envVar(int(1024, 209715200), {
    default: '10485760',
    description: 'Largest page, file or sitemap a knowledge-base fetch reads, in bytes; larger ones fail the document.',
  }),
  KB_REFRESH_SCAN_INTERVAL_MS: envVar(int(100, 3600000), {
    default: '60000',
    description: 'How often the refresh scheduler looks for url/sitemap sources whose refreshRate period has passed.',
  }),
  KB_SITEMAP_MAX_PAGES: envVar(int(1, 10000), {
    default: '200',
    description: 'Pages ingested from a sitemap source that does not set maxPages.',
  }),
  GEMINI_API_KEY: envVar(z.string().min(1).optional(), {
    description: 'Gemini API key; in the worker it embeds knowledge-base chunks (KB_EMBEDDINGS).',
    secret: true,
  }),
  GEMINI_BASE_URL: envVar(httpUrl, {
    description: 'Overrides the Gemini API base URL (the SDK httpOptions.baseUrl), e.g. a proxy. Unset = Google default.',
  }),
} as const;

export type WorkerConfig = ConfigOf<typeof workerEnvSchema>;
