import { createHash } from 'node:crypto';
import { type BeforeApplicationShutdown, Inject, Injectable, NotFoundException, type OnApplicationBootstrap } from '@nestjs/common';
import { type JobPayload, QUEUES, bullConnection, bullPrefix } from '@chatbot/events';
import {
  KB_FILE_KINDS,
  KB_FILE_MIME,
  KbContentError,
  KbDocumentEntity,
  KbDocumentRepository,
  KbFetchError,
  KbFetcher,
  type KbFileKind,
  KbIngestionQueue,
  KbIngestionService,
  type KbJobName,
  type KbJobTarget,
  KbVectorService,
  REFRESH_MS,
  extractContent,
  fileKindFromContentType,
  isSameSite,
  jobVersion,
  kbSsrfPolicy,
  newKbDocument,
  parseSitemap,
} from '@chatbot/kb';
import { APP_CONFIG, APP_LOGGER, type AppLogger } from '@chatbot/platform';
import { type TenantId, asTenantId } from '@chatbot/tenant-auth';
import { createGuardedDispatcher } from '@chatbot/webhooks';
import { type Job, Worker } from 'bullmq';
import type { Dispatcher } from 'undici';
import type { Redis } from 'ioredis';
import type { WorkerConfig } from '../config/worker.config';

type IngestionJob = Job<JobPayload<typeof QUEUES.kbIngestion, KbJobName>, string>;
/** Child sitemaps of a sitemap index read at most (each may list up to 50,000 pages). */
const MAX_CHILD_SITEMAPS = 20;
const SITEMAP_ACCEPT = 'application/xml,text/xml;q=0.9,*/*;q=0.5';

/**
 * The `kb-ingestion` queue's processor (agents-api validates, stores the `pending` document and enqueues; this worker
 * does the rest, writing the `agents` schema's knowledge-base tables through libs/kb, like it writes the webhook tables
 * through libs/webhooks). Per document: claim it (`pending → processing`, stale jobs of deleted or
 * re-queued documents do nothing), fetch or load its bytes, extract the text, chunk and index it (`→ ready`), or
 * `→ failed` with the reason. Transient fetch failures throw so BullMQ retries with backoff; the last attempt, and every
 * permanent failure, marks the document failed and completes the job.
 */
@Injectable()
export class KbIngestionProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private worker: Worker | undefined;
  private connection: Redis | undefined;
  private readonly dispatcher: Dispatcher;
  private readonly fetcher: KbFetcher;

  constructor(
    private readonly ingestion: KbIngestionService,
    private readonly repository: KbDocumentRepository,
    private readonly queue: KbIngestionQueue,
    private readonly vectors: KbVectorService,
    @Inject(APP_CONFIG) private readonly config: WorkerConfig,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {
    this.dispatcher = createGuardedDispatcher(kbSsrfPolicy(config), { connectTimeoutMs: Math.min(config.KB_FETCH_TIMEOUT_MS, 10_000) });
    this.fetcher = new KbFetcher({ dispatcher: this.dispatcher, timeoutMs: config.KB_FETCH_TIMEOUT_MS, maxBytes: config.KB_FETCH_MAX_BYTES });
  }

  onApplicationBootstrap(): void {
    this.connection = bullConnection(this.config, 'worker');
    const worker = new Worker(QUEUES.kbIngestion, (job: IngestionJob) => this.process(job), {
      connection: this.connection,
      prefix: bullPrefix(this.config.REDIS_PREFIX),
      concurrency: this.config.KB_INGESTION_CONCURRENCY,
      // Extraction of a big PDF can hold a job a while; a lost lock would run it twice (harmless, but wasteful).
      lockDuration: Math.max(this.config.QUEUE_LOCK_DURATION_MS, 120_000),
      stalledInterval: this.config.QUEUE_STALLED_INTERVAL_MS,
    });
    this.worker = worker;
    worker.on('error', (err: Error) => this.logger.warn({ err: { message: err.message } }, 'kb ingestion worker error'));
    worker.on('failed', (job, err) =>
      this.logger.warn({ jobId: job?.id, job: job?.name, attemptsMade: job?.attemptsMade, err: { message: err.message } }, 'kb job attempt failed'),
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    // Finishes the jobs in flight (graceful shutdown), then releases the connections.
    await this.worker?.close();
    // BullMQ does not close a connection it was given.
    this.connection?.disconnect();
    await this.dispatcher.close().catch(() => undefined);
  }

  /** One attempt of one job. Returns what happened (kept as the job's return value). */
  async process(job: IngestionJob): Promise<string> {
    if (job.name === 'embed') return this.embed(job);
    const { agentId, documentId } = job.data;
    const tenantId = asTenantId(job.data.tenantId);
    const version = jobVersion(job.id);
    if (version === null) return 'skipped: job id without a version';
    const doc = await this.ingestion.beginJob(tenantId, agentId, documentId, version, job.name === 'refresh');
    if (!doc) return 'skipped: document deleted or re-queued';
    try {
      const outcome = await this.ingest(tenantId, doc);
      await this.embedOrRetryLater(tenantId, doc);
      return outcome;
    } catch (err) {
      if (err instanceof NotFoundException) return 'skipped: document deleted meanwhile';
      const reason = err instanceof Error ? err.message : String(err);
      const transient = err instanceof KbFetchError ? err.transient : !(err instanceof KbContentError);
      const attempts = job.opts.attempts ?? 1;
      if (transient && job.attemptsMade + 1 < attempts) {
        await this.ingestion.noteRetry(tenantId, documentId, `attempt ${job.attemptsMade + 1} of ${attempts} failed: ${reason}; retrying`);
        throw err;
      }
      if (!(err instanceof KbFetchError) && !(err instanceof KbContentError)) {
        this.logger.error({ err: { message: reason, stack: (err as Error).stack }, documentId }, 'kb ingestion failed unexpectedly');
      }
      await this.ingestion.markFailed(tenantId, agentId, documentId, reason).catch((e: unknown) => {
        if (!(e instanceof NotFoundException)) throw e;
      });
      return `failed: ${reason}`;
    }
  }

  /**
   * Vectors for a document's new chunks. The chunks are already searchable (full text), so a failed embedding call does
   * not fail the ingestion: an `embed` job for this version takes over, retried with backoff like every KB job.
   */
  private async embedOrRetryLater(tenantId: TenantId, doc: KbDocumentEntity): Promise<void> {
    try {
      await this.vectors.embedDocument(tenantId, doc.id);
    } catch (err) {
      this.logger.warn(
        { err: { message: (err as Error).message }, documentId: doc.id },
        'kb: could not embed the chunks now; an embed job retries (full-text search finds them meanwhile)',
      );
      // Keyed by version (the content hash on `doc` is from before this ingestion): one retry job per ingestion.
      await this.queue.enqueueEmbedding([{ id: doc.id, tenantId, agentId: doc.agentId, version: doc.version, contentHash: null }]);
    }
  }

  /** An `embed` job: vectors for chunks indexed elsewhere (raw text, indexed by agents-api in the request). */
  private async embed(job: IngestionJob): Promise<string> {
    const tenantId = asTenantId(job.data.tenantId);
    const embedded = await this.vectors.embedDocument(tenantId, job.data.documentId);
    return `embedded ${embedded} chunks`;
  }

  private async ingest(tenantId: TenantId, doc: KbDocumentEntity): Promise<string> {
    switch (doc.sourceType) {
      case 'file':
        return this.ingestFile(tenantId, doc);
      case 'url':
        return this.ingestUrl(tenantId, doc);
      case 'sitemap':
        return this.ingestSitemap(tenantId, doc);
      case 'text':
        return 'skipped: raw text is indexed when it is added';
    }
  }

  private async ingestFile(tenantId: TenantId, doc: KbDocumentEntity): Promise<string> {
    const file = await this.repository.loadFile(tenantId, doc.id);
    if (!file) throw new KbContentError('the uploaded file is missing');
    const kind = (KB_FILE_KINDS as readonly string[]).includes(file.kind) ? (file.kind as KbFileKind) : null;
    if (!kind) throw new KbContentError(`unsupported file kind ${file.kind}`);
    const extracted = await extractContent(file.content, kind, { pdfTimeoutMs: 120_000 });
    await this.ingestion.indexText(tenantId, doc.agentId, doc.id, {
      text: extracted.text,
      ...(extracted.title ? { title: extracted.title } : {}),
    });
    return 'indexed';
  }

  private async ingestUrl(tenantId: TenantId, doc: KbDocumentEntity): Promise<string> {
    const url = doc.url ?? '';
    const page = await this.fetcher.fetch(url);
    const kind = fileKindFromContentType(page.contentType, page.url);
    if (!kind) throw new KbContentError(`unsupported content type ${page.contentType ?? '(none)'} at ${page.url}`);
    const extracted = await extractContent(page.bytes, kind, { charset: page.charset, pdfTimeoutMs: 120_000 });
    await this.ingestion.indexText(tenantId, doc.agentId, doc.id, {
      text: extracted.text,
      title: extracted.title,
      mimeType: KB_FILE_MIME[kind],
      byteSize: page.bytes.length,
    });
    return 'indexed';
  }

  /**
   * Reads the sitemap (one level of sitemap index), keeps the pages of its own site up to maxPages, and makes each a
   * child document: new pages are added and ingested, pages no longer listed are removed, and pages kept are refreshed
   * (re-indexed only if their content changed). The sitemap document itself is `ready` once its pages are listed; each
   * page has its own status.
   */
  private async ingestSitemap(tenantId: TenantId, doc: KbDocumentEntity): Promise<string> {
    const sitemapUrl = doc.sitemapUrl ?? '';
    const limit = doc.maxPages ?? this.config.KB_SITEMAP_MAX_PAGES;
    const root = parseSitemap((await this.fetcher.fetch(sitemapUrl, SITEMAP_ACCEPT)).bytes);
    const pages = new Set<string>();
    let seen = root.pages.length;
    const add = (urls: string[]) => {
      for (const candidate of urls) {
        if (pages.size >= limit) return;
        if (!isSameSite(candidate, sitemapUrl)) continue;
        const url = new URL(candidate);
        url.hash = '';
        pages.add(url.toString());
      }
    };
    add(root.pages);
    for (const child of root.sitemaps.filter((s) => isSameSite(s, sitemapUrl)).slice(0, MAX_CHILD_SITEMAPS)) {
      if (pages.size >= limit) break;
      const nested = parseSitemap((await this.fetcher.fetch(child, SITEMAP_ACCEPT)).bytes);
      seen += nested.pages.length;
      add(nested.pages);
    }
    if (pages.size === 0) {
      throw new KbContentError(`the sitemap lists no pages of its own site (${seen} entries read from ${sitemapUrl})`);
    }

    const jobs = await this.ingestion.changeWithStatusEvent(tenantId, doc.agentId, async (manager) => {
      const parent = await this.repository.findDocument(tenantId, doc.agentId, doc.id, manager);
      if (!parent) throw new NotFoundException(`Document ${doc.id} not found`);
      const children = await this.repository.listChildren(manager, tenantId, parent.id);
      const byUrl = new Map(children.map((c) => [c.url ?? '', c]));
      await this.repository.deleteDocuments(manager, tenantId, children.filter((c) => !pages.has(c.url ?? '')).map((c) => c.id));
      const ingest: KbJobTarget[] = [];
      const refresh: KbJobTarget[] = [];
      const now = new Date();
      for (const url of pages) {
        const existing = byUrl.get(url);
        if (existing) {
          (existing.status === 'pending' ? ingest : refresh).push(existing);
          continue;
        }
        const child = newKbDocument(
          { tenantId: parent.tenantId, agentId: parent.agentId, parentId: parent.id, name: url.slice(0, 300), sourceType: 'url', tags: parent.tags, url },
          now,
        );
        await manager.getRepository(KbDocumentEntity).insert(child);
        ingest.push(child);
      }
      const refreshMs = REFRESH_MS[parent.refreshRate];
      Object.assign(parent, {
        status: 'ready',
        error: null,
        contentHash: createHash('sha256').update([...pages].join('\n')).digest('hex'),
        lastIngestedAt: now,
        nextRefreshAt: refreshMs === null ? null : new Date(now.getTime() + refreshMs),
        updatedAt: now,
      });
      await this.repository.saveDocument(manager, parent);
      return { ingest, refresh };
    });
    // A failure here retries the whole sitemap job; pages already added stay pending and the sweep enqueues them too.
    await this.queue.enqueue('ingest', jobs.ingest);
    await this.queue.enqueue('refresh', jobs.refresh);
    return `sitemap: ${jobs.ingest.length} new pages, ${jobs.refresh.length} refreshed`;
  }
}
