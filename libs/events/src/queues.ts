import type { EventEnvelope } from './catalog';

/**
 * Queue names, job names and job payloads, declared once. Producers and processors import these; a job whose payload
 * does not match its name does not compile.
 */
export const QUEUES = {
  eventFanout: 'event-fanout',
  webhookDelivery: 'webhook-delivery',
  kbIngestion: 'kb-ingestion',
  integrationSync: 'integration-sync',
  /** Internal agent/KB events for widget-api's agent projection (consumed by widget-api). */
  widgetProjection: 'widget-projection',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/** A knowledge-base job names one document (agents schema); the worker loads everything else from Postgres. */
export interface KbDocumentJob {
  tenantId: string;
  agentId: string;
  documentId: string;
}

export interface JobPayloads {
  [QUEUES.eventFanout]: { 'fan-out': { event: EventEnvelope } };
  /** The event and message live in Postgres (business.webhook_events / webhook_messages); the job only points at them. */
  [QUEUES.webhookDelivery]: {
    deliver: {
      tenantId: string;
      webhookId: string;
      eventId: string;
      /** Attempts made before the job ran (the worker's eager first attempt); counted with BullMQ's attemptsMade. */
      priorAttempts?: number;
    };
  };
  /**
   * Produced by agents-api (new url/sitemap/file sources, embeddings of raw text indexed in the request) and by the
   * worker itself (a sitemap's pages, due refreshes); processed by the worker.
   */
  [QUEUES.kbIngestion]: {
    /** Fetch or load, extract, chunk and index a `pending` document (then embed its chunks). */
    ingest: KbDocumentJob;
    /** Re-fetch a url/sitemap source whose refreshRate period passed (re-indexed only if its text changed). */
    refresh: KbDocumentJob;
    /** Embed the chunks of a document that were indexed elsewhere (raw text, indexed in the request). */
    embed: KbDocumentJob;
  };
  [QUEUES.integrationSync]: { 'sync-lead': { tenantId: string; provider: string; event: EventEnvelope } };
  [QUEUES.widgetProjection]: { project: { event: EventEnvelope<ProjectionEventType> } };
}

/** The internal events widget-api builds its agent projection from. */
export const PROJECTION_EVENT_TYPES = ['agent_updated', 'agent_deleted', 'kb_status_changed'] as const;
export type ProjectionEventType = (typeof PROJECTION_EVENT_TYPES)[number];
export function isProjectionEvent(event: EventEnvelope): event is EventEnvelope<ProjectionEventType> {
  return (PROJECTION_EVENT_TYPES as readonly string[]).includes(event.type);
}

export type JobName<Q extends QueueName> = keyof JobPayloads[Q] & string;
export type JobPayload<Q extends QueueName, N extends JobName<Q>> = JobPayloads[Q][N];

/**
 * Deterministic job ids, so a replayed outbox row or a retried fan-out never enqueues a job twice while the first one
 * is queued (once it completed, the pipeline's queues have removed it, and Postgres state makes the replay a no-op:
 * see `defaultJobOptions`). BullMQ refuses ':' in custom ids (it separates its Redis keys), so DESIGN.md's
 * `eventId:webhookId` is written `eventId.webhookId`.
 */
export const jobIds = {
  fanout: (eventId: string): string => eventId,
  delivery: (eventId: string, webhookId: string): string => `${eventId}.${webhookId}`,
  /** A manual redelivery or recovery is a new job beside the original (whose id may still be kept). */
  redelivery: (eventId: string, webhookId: string, nonce: string): string => `${eventId}.${webhookId}.re.${nonce}`,
  isRedelivery: (jobId: string | undefined): boolean => jobId?.includes('.re.') ?? false,
  ingestion: (documentId: string, version: number | string): string => `${documentId}.${version}`,
  /** One embedding job per indexed text (`contentHash`: a prefix of the text's sha256). */
  embedding: (documentId: string, contentHash: string): string => `${documentId}.embed.${contentHash}`,
  projection: (eventId: string): string => eventId,
};

/** BullMQ key prefix for a deployment (`REDIS_PREFIX`), so runs and deployments sharing a Redis never collide. */
export function bullPrefix(redisPrefix: string): string {
  return `${redisPrefix}:bull`;
}
