import { type BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { type JobName, QUEUES, type TypedJob, TypedQueue, jobIds } from '@chatbot/events';
import { APP_CONFIG, APP_LOGGER, type AppLogger } from '@chatbot/platform';
import type { KbSharedConfig } from '../config/kb-config';

export type KbJobName = JobName<typeof QUEUES.kbIngestion>;

/** What a job needs to be named and addressed: the document and the version its job id carries. */
export interface KbJobTarget {
  id: string;
  tenantId: string;
  agentId: string;
  version: number;
}

/** The version an ingestion job was enqueued for (`jobIds.ingestion(documentId, version)`), or null. */
export function jobVersion(jobId: string | undefined): number | null {
  const suffix = jobId?.slice(jobId.lastIndexOf('.') + 1);
  const version = Number(suffix);
  return suffix && Number.isInteger(version) ? version : null;
}

/**
 * Producer side of the `kb-ingestion` queue (agents-api adds and deletes documents; the worker's sitemap jobs and
 * refresh scheduler add page and refresh jobs). Job ids are `documentId.version`, so enqueueing the same ingestion twice
 * (a retried request, the scheduler's sweep) adds one job. Transient fetch failures are retried with exponential
 * backoff (KB_INGEST_ATTEMPTS, KB_INGEST_BACKOFF_MS); the processor decides what is transient.
 */
@Injectable()
export class KbIngestionQueue implements BeforeApplicationShutdown {
  private queue: TypedQueue<typeof QUEUES.kbIngestion> | null = null;
  private closed = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: KbSharedConfig,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  job(name: Exclude<KbJobName, 'embed'>, doc: KbJobTarget): TypedJob<typeof QUEUES.kbIngestion> {
    return {
      name,
      data: { tenantId: doc.tenantId, agentId: doc.agentId, documentId: doc.id },
      opts: {
        jobId: jobIds.ingestion(doc.id, doc.version),
        attempts: this.config.KB_INGEST_ATTEMPTS,
        backoff: { type: 'exponential', delay: this.config.KB_INGEST_BACKOFF_MS },
      },
    };
  }

  async enqueue(name: Exclude<KbJobName, 'embed'>, docs: readonly KbJobTarget[]): Promise<void> {
    await this.open().addBulk(docs.map((doc) => this.job(name, doc)));
  }

  /**
   * Asks the worker to embed the chunks of documents indexed elsewhere (raw text, indexed in the request), best effort:
   * without it the chunks are found by full-text search only.
   */
  async enqueueEmbedding(docs: readonly (KbJobTarget & { contentHash: string | null })[]): Promise<void> {
    try {
      await this.open().addBulk(
        docs.map((doc) => ({
          name: 'embed' as const,
          data: { tenantId: doc.tenantId, agentId: doc.agentId, documentId: doc.id },
          opts: {
            jobId: jobIds.embedding(doc.id, (doc.contentHash ?? String(doc.version)).slice(0, 16)),
            attempts: this.config.KB_INGEST_ATTEMPTS,
            backoff: { type: 'exponential', delay: this.config.KB_INGEST_BACKOFF_MS },
          },
        })),
      );
    } catch (err) {
      this.logger.warn({ err: { message: (err as Error).message }, documents: docs.length }, 'kb: could not enqueue embedding jobs (full-text search still finds the chunks)');
    }
  }

  /**
   * Enqueues after the documents were committed. When Redis is down the documents stay `pending` and the scheduler's
   * sweep enqueues them later, so the request still succeeds.
   */
  async enqueueOrDefer(name: Exclude<KbJobName, 'embed'>, docs: readonly KbJobTarget[]): Promise<void> {
    try {
      await this.enqueue(name, docs);
    } catch (err) {
      this.logger.warn({ err: { message: (err as Error).message }, documents: docs.length }, 'kb ingestion: could not enqueue; the pending sweep will retry');
    }
  }

  /** Best effort: drops a document's job that has not started (a started one finds the document gone and does nothing). */
  async cancel(doc: KbJobTarget): Promise<void> {
    try {
      await this.open().queue.remove(jobIds.ingestion(doc.id, doc.version));
    } catch {
      // locked by a running attempt, or Redis unavailable: the job is a no-op anyway
    }
  }

  private open(): TypedQueue<typeof QUEUES.kbIngestion> {
    // After shutdown began, a job still running gets an error (BullMQ runs it again later) instead of a new connection.
    if (this.closed) throw new Error('kb ingestion queue is closed (shutting down)');
    this.queue ??= new TypedQueue(QUEUES.kbIngestion, this.config);
    return this.queue;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closed = true;
    await this.queue?.close();
    this.queue = null;
  }
}
