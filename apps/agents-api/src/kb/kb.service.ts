import { Inject, Injectable, NotFoundException, PayloadTooLargeException, UnsupportedMediaTypeException } from '@nestjs/common';
import { APP_CONFIG } from '@chatbot/platform';
import type { TenantContext, TenantId } from '@chatbot/tenant-auth';
import { fieldError } from '../tixae/field-error';
import { type CreateKbDocumentDto, KB_MAX_TAGS } from './dto/create-kb-document.dto';
import type { KbQueryDto } from './dto/kb-query.dto';
import type { AgentsApiConfig } from '../config/agents-api.config';
import {
  KB_FILE_MIME,
  KB_SUPPORTED_EXTENSIONS,
  KbDocumentEntity,
  KbIngestionQueue,
  KbIngestionService,
  KbVectorService,
  contentMismatch,
  deriveKbStatus,
  fileKindFromName,
  kbSourceRefusal,
  kbSsrfPolicy,
  newKbDocument,
} from '@chatbot/kb';
import type { KbUpload } from './ingestion/kb-upload.parser';
import { KbSearchService } from './kb-search.service';
import type { KbHit } from './kb-search.types';
import { type KbStatsWire, toWireDocument, toWireHit, toWireStats } from './kb-wire';
import { type KbAgent, KbRepository } from './kb.repository';

type Wire = Record<string, unknown>;
const DEFAULT_TOP_CHUNKS = 5;

/** Knowledge-base routes' domain logic. An agent key only reaches its own agent; another tenant's agent is 404. */
@Injectable()
export class KbService {
  constructor(
    private readonly repository: KbRepository,
    private readonly ingestion: KbIngestionService,
    private readonly search: KbSearchService,
    private readonly queue: KbIngestionQueue,
    private readonly vectors: KbVectorService,
    @Inject(APP_CONFIG) private readonly config: AgentsApiConfig,
  ) {}

  async list(tenant: TenantContext, agentId: string, page: number, limit: number): Promise<{ documents: Wire[]; total: number }> {
    await this.requireAgent(tenant, agentId);
    const [rows, total] = await this.repository.listDocuments(tenant.tenantId, agentId, (page - 1) * limit, limit);
    return { documents: rows.map(toWireDocument), total };
  }

  async get(tenant: TenantContext, agentId: string, docId: string): Promise<Wire> {
    await this.requireAgent(tenant, agentId);
    const doc = await this.requireDocument(tenant.tenantId, agentId, docId);
    const wire = toWireDocument(doc);
    // A sitemap's pages are child documents with their own status.
    if (doc.sourceType === 'sitemap') wire['pageCounts'] = await this.repository.childCounts(tenant.tenantId, doc.id);
    if (doc.parentId) wire['parentId'] = doc.parentId;
    return wire;
  }

  /**
   * Raw text (`sourceType` doc): chunked and indexed in the request's transaction, so it answers `ready`. With hybrid
   * retrieval on, the worker embeds its chunks afterwards (an `embed` job).
   */
  async create(tenant: TenantContext, agentId: string, input: CreateKbDocumentDto): Promise<Wire | Wire[]> {
    const agent = await this.requireAgent(tenant, agentId);
    const sourceType = input.sourceType ?? 'doc';
    if (sourceType === 'url' || sourceType === 'sitemap') return this.createWebSource(tenant, agentId, sourceType, input);
    for (const field of ['urls', 'sitemapUrl', 'maxPages'] as const) {
      if (input[field] !== undefined) throw fieldError(field, `${field} only applies to url and sitemap sources`);
    }
    if (input.refreshRate !== undefined && input.refreshRate !== 'never') {
      throw fieldError('refreshRate', 'refreshRate only applies to url and sitemap sources');
    }
    if (!input.name) throw fieldError('name', 'name is required');
    const content = input.content ?? '';
    if (!content.trim()) throw fieldError('content', 'content is required (the text of the document)');
    const doc = newKbDocument({
      tenantId: tenant.tenantId,
      agentId,
      name: input.name.trim(),
      sourceType: 'text',
      tags: input.tags ?? [],
      status: 'processing',
      mimeType: 'text/plain',
      byteSize: Buffer.byteLength(content, 'utf8'),
    });
    // Inserted and indexed in one transaction: the document is never seen half-done, and the status event (if any)
    // describes the end state.
    await this.ingestion.changeWithStatusEvent(tenant.tenantId, agentId, async (manager) => {
      await manager.getRepository(KbDocumentEntity).insert(doc);
      await this.ingestion.applyText(manager, agent, doc, { text: content });
      // Only control characters: nothing to index (throwing rolls the insert back).
      if (doc.chunkCount === 0) throw fieldError('content', 'content has no text to index');
    });
    if ((await this.vectors.detect()).enabled) await this.queue.enqueueEmbedding([doc]);
    return toWireDocument(doc);
  }

  /**
   * URL sources (one document per URL, `data` is the document, or the array of them for several URLs) and sitemap
   * sources: stored `pending` and handed to the ingestion queue.
   */
  private async createWebSource(tenant: TenantContext, agentId: string, sourceType: 'url' | 'sitemap', input: CreateKbDocumentDto): Promise<Wire | Wire[]> {
    await this.requireAgent(tenant, agentId);
    if (input.content !== undefined) throw fieldError('content', `content only applies to doc sources (a ${sourceType} source is fetched)`);
    if (sourceType === 'url') {
      if (!input.urls) throw fieldError('urls', 'urls is required for url sources');
      for (const field of ['sitemapUrl', 'maxPages'] as const) {
        if (input[field] !== undefined) throw fieldError(field, `${field} only applies to sitemap sources`);
      }
    } else {
      if (!input.sitemapUrl) throw fieldError('sitemapUrl', 'sitemapUrl is required for sitemap sources');
      if (input.urls !== undefined) throw fieldError('urls', 'urls only applies to url sources');
    }
    const targets = sourceType === 'url' ? [...new Set(input.urls)] : [input.sitemapUrl ?? ''];
    await this.refuseUnreachable(sourceType === 'url' ? 'urls' : 'sitemapUrl', targets);
    const docs = targets.map((target, i) =>
      newKbDocument({
        tenantId: tenant.tenantId,
        agentId,
        name: (input.name ? (targets.length > 1 ? `${input.name.trim()} (${i + 1})` : input.name.trim()) : target).slice(0, 300),
        sourceType,
        tags: input.tags ?? [],
        url: sourceType === 'url' ? target : null,
        sitemapUrl: sourceType === 'sitemap' ? target : null,
        maxPages: sourceType === 'sitemap' ? (input.maxPages ?? null) : null,
        refreshRate: input.refreshRate ?? 'never',
      }),
    );
    await this.ingestion.changeWithStatusEvent(tenant.tenantId, agentId, async (manager) => {
      await manager.getRepository(KbDocumentEntity).insert(docs);
    });
    await this.queue.enqueueOrDefer('ingest', docs);
    const wire = docs.map(toWireDocument);
    return wire.length === 1 ? (wire[0] as Wire) : wire;
  }

  /**
   * A file upload (multipart field `file`, optional fields `name` and `tags`): checked (type by extension and content,
   * size), stored with its bytes as a `pending` document, and extracted by the ingestion job.
   */
  async upload(tenant: TenantContext, agentId: string, upload: KbUpload): Promise<Wire> {
    await this.requireAgent(tenant, agentId);
    const file = upload.file;
    if (!file) throw fieldError('file', 'file is required (multipart field "file")');
    for (const field of upload.fields.keys()) {
      if (field !== 'name' && field !== 'tags') throw fieldError(field, `unknown field ${field} (a file upload takes file, name and tags)`);
    }
    if (file.bytes.length > this.config.KB_MAX_UPLOAD_BYTES) {
      throw new PayloadTooLargeException(`The file is ${file.bytes.length} bytes, larger than the ${this.config.KB_MAX_UPLOAD_BYTES}-byte limit (KB_MAX_UPLOAD_BYTES)`);
    }
    const kind = fileKindFromName(file.fileName);
    if (!kind) {
      throw new UnsupportedMediaTypeException(`Unsupported file type: ${file.fileName || '(no file name)'}; supported: ${KB_SUPPORTED_EXTENSIONS}`);
    }
    const mismatch = contentMismatch(file.bytes, kind);
    if (mismatch) throw new UnsupportedMediaTypeException(`${file.fileName}: ${mismatch}`);
    if (file.bytes.length === 0) throw fieldError('file', 'the file is empty');
    const names = upload.fields.get('name') ?? [];
    if (names.length > 1) throw fieldError('name', 'name must be given once');
    const name = (names[0] ?? file.fileName).trim();
    if (!name || name.length > 300) throw fieldError('name', 'name must be 1-300 characters');
    const tags = uploadTags(upload.fields.get('tags') ?? []);
    const doc = newKbDocument({
      tenantId: tenant.tenantId,
      agentId,
      name,
      sourceType: 'file',
      tags,
      mimeType: KB_FILE_MIME[kind],
      byteSize: file.bytes.length,
    });
    await this.ingestion.changeWithStatusEvent(tenant.tenantId, agentId, async (manager) => {
      await manager.getRepository(KbDocumentEntity).insert(doc);
      await this.repository.saveFile(manager, { documentId: doc.id, tenantId: doc.tenantId, fileName: file.fileName, kind, content: file.bytes });
    });
    await this.queue.enqueueOrDefer('ingest', [doc]);
    return toWireDocument(doc);
  }

  /**
   * The SSRF guard's verdict at POST time (on in production, KB_SSRF_PROTECTION): a source on a loopback, private,
   * link-local or metadata address is a 400 rather than a document that fails later. The worker checks every fetch
   * again (DNS may change, redirects).
   */
  private async refuseUnreachable(field: 'urls' | 'sitemapUrl', targets: readonly string[]): Promise<void> {
    const policy = kbSsrfPolicy(this.config);
    if (!policy.enabled) return;
    const refusals = await Promise.all(targets.map((target) => kbSourceRefusal(target, policy)));
    const refused = refusals.find((r): r is string => r !== null);
    if (refused) throw fieldError(field, refused);
  }

  /**
   * Deletes the document and, in the same statement, its chunks (and a sitemap's pages). A queued ingestion job is
   * dropped; one already running finds the document gone and writes nothing.
   */
  async remove(tenant: TenantContext, agentId: string, docId: string): Promise<void> {
    await this.requireAgent(tenant, agentId);
    const deleted = await this.ingestion.changeWithStatusEvent(tenant.tenantId, agentId, async (manager) => {
      const doc = await this.repository.findDocument(tenant.tenantId, agentId, docId, manager);
      if (!doc) return null;
      await this.repository.deleteDocument(manager, tenant.tenantId, agentId, docId);
      return doc;
    });
    if (!deleted) throw new NotFoundException(`Document ${docId} not found`);
    await this.queue.cancel(deleted);
  }

  async stats(tenant: TenantContext, agentId: string): Promise<KbStatsWire> {
    await this.requireAgent(tenant, agentId);
    const totals = await this.repository.totals(tenant.tenantId, agentId);
    return toWireStats(totals, deriveKbStatus(totals.counts));
  }

  async query(tenant: TenantContext, agentId: string, input: KbQueryDto): Promise<{ question: string; chunks: (KbHit & { source: string })[] }> {
    const agent = await this.requireAgent(tenant, agentId);
    const topChunks = agent.settings['vg_kbTopChunks'];
    const limit = input.chunkLimit ?? (typeof topChunks === 'number' && topChunks > 0 ? topChunks : DEFAULT_TOP_CHUNKS);
    const hits = await this.search.search(tenant.tenantId, agentId, { question: input.question, limit, ...(input.tags ? { tags: input.tags } : {}) });
    return { question: input.question, chunks: hits.map(toWireHit) };
  }

  /** 404 for another tenant's agent, and for any agent but its own when the key is agent-scoped. */
  private async requireAgent(tenant: TenantContext, agentId: string): Promise<KbAgent> {
    const agent = tenant.agentId && tenant.agentId !== agentId ? null : await this.repository.findAgent(tenant.tenantId, agentId);
    if (!agent) throw new NotFoundException(`Agent ${agentId} not found`);
    return agent;
  }

  private async requireDocument(tenantId: TenantId, agentId: string, docId: string): Promise<KbDocumentEntity> {
    const doc = await this.repository.findDocument(tenantId, agentId, docId);
    if (!doc) throw new NotFoundException(`Document ${docId} not found`);
    return doc;
  }
}

/** Multipart `tags`: repeated fields, or one field with a JSON array or a comma-separated list. Same rules as JSON tags. */
function uploadTags(values: string[]): string[] {
  const raw = values.flatMap((value) => {
    const trimmed = value.trim();
    if (trimmed.startsWith('[')) {
      try {
        const parsed: unknown = JSON.parse(trimmed);
        if (Array.isArray(parsed) && parsed.every((t) => typeof t === 'string')) return parsed;
      } catch {
        // not JSON: read as a list
      }
      throw fieldError('tags', 'tags must be a JSON array of strings or a comma-separated list');
    }
    return trimmed.split(',');
  });
  const tags = [...new Set(raw.map((t) => t.trim()).filter(Boolean))];
  if (tags.length > KB_MAX_TAGS) throw fieldError('tags', `tags must contain no more than ${KB_MAX_TAGS} elements`);
  if (tags.some((t) => t.length > 64)) throw fieldError('tags', 'each tag must be shorter than or equal to 64 characters');
  return tags;
}
