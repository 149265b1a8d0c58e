import { createHash } from 'node:crypto';
import { Injectable, NotFoundException } from '@nestjs/common';
import { writeOutboxEvent } from '@chatbot/events';
import type { TenantId } from '@chatbot/tenant-auth';
import { DataSource, type EntityManager, QueryFailedError } from 'typeorm';
import { chunkOptionsFromSettings, chunkText } from './kb-chunker';
import { KbDocumentEntity, type KbRefreshRate } from './entities/kb-document.entity';
import { type KbAgent, KbDocumentRepository } from './kb-document.repository';
import { tsConfigForLang } from './kb-language';
import { type KnowledgeBaseStatus, deriveKbStatus } from './kb-status';

/** How long after an ingestion a source with each `refreshRate` is due again. */
export const REFRESH_MS: Record<KbRefreshRate, number | null> = { '6h': 6 * 3600_000, '12h': 12 * 3600_000, '24h': 24 * 3600_000, never: null };

export interface ExtractedText {
  text: string;
  /** Page title (URL sources). */
  title?: string | null;
  mimeType?: string | null;
  byteSize?: number | null;
}

/**
 * Writes documents' chunks and statuses. Every change runs in a transaction that also raises `kb_status_changed` when
 * the agent's derived `knowledgeBaseStatus` changes (outbox row, same transaction). Used by agents-api (raw text is
 * indexed in the request; documents are added and deleted) and by the worker's ingestion jobs, which fetch and extract
 * the other source kinds and then call `beginJob` / `indexText` / `markFailed`.
 */
@Injectable()
export class KbIngestionService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly repository: KbDocumentRepository,
  ) {}

  /**
   * Runs a knowledge-base change of one agent in a transaction that also raises `kb_status_changed` when the agent's
   * derived status changes. Changes of one agent are serialised (advisory lock), so each transition is published once,
   * in order.
   */
  async changeWithStatusEvent<T>(tenantId: TenantId, agentId: string, change: (manager: EntityManager) => Promise<T>): Promise<T> {
    try {
      return await this.dataSource.transaction(async (manager) => {
        await this.repository.lockAgent(manager, agentId);
        const before = deriveKbStatus((await this.repository.totals(tenantId, agentId, manager)).counts);
        const result = await change(manager);
        const after: KnowledgeBaseStatus = deriveKbStatus((await this.repository.totals(tenantId, agentId, manager)).counts);
        if (after !== before) {
          await writeOutboxEvent(manager, { tenantId, type: 'kb_status_changed', aggregateId: agentId, data: { agent_id: agentId, status: after } });
        }
        return result;
      });
    } catch (err) {
      // The agent (or document) was deleted meanwhile (foreign key): it no longer exists.
      if (err instanceof QueryFailedError && (err.driverError as { code?: string }).code === '23503') {
        throw new NotFoundException(`Agent ${agentId} not found`);
      }
      throw err;
    }
  }

  /**
   * Chunks `extracted.text` with the agent's settings, replaces the document's chunks and marks it ready (inside the
   * caller's transaction). Returns false, changing only the timestamps, when the text and language are unchanged.
   */
  async applyText(manager: EntityManager, agent: KbAgent, doc: KbDocumentEntity, extracted: ExtractedText): Promise<boolean> {
    const lang = agent.settings['lang'];
    const tsConfig = tsConfigForLang(typeof lang === 'string' ? lang : null);
    const hash = createHash('sha256').update(extracted.text).digest('hex');
    const now = new Date();
    const refresh = REFRESH_MS[doc.refreshRate];
    doc.lastIngestedAt = now;
    doc.nextRefreshAt = refresh === null ? null : new Date(now.getTime() + refresh);
    doc.updatedAt = now;
    // Same text, indexed with the same configuration: its chunks are current (a refresh, or a retried job). Chunks are
    // only ever written together with their hash, so a matching hash means they exist.
    const unchanged = doc.contentHash === hash && doc.tsConfig === tsConfig && doc.chunkCount > 0;
    if (unchanged) {
      Object.assign(doc, { status: 'ready', error: null });
    } else {
      const chunks = chunkText(extracted.text, chunkOptionsFromSettings(agent.settings));
      await this.repository.replaceChunks(manager, doc, chunks, tsConfig);
      Object.assign(doc, {
        status: 'ready',
        error: null,
        contentHash: hash,
        charCount: extracted.text.length,
        chunkCount: chunks.length,
        tsConfig,
        ...(extracted.title !== undefined ? { title: extracted.title } : {}),
        ...(extracted.mimeType !== undefined ? { mimeType: extracted.mimeType } : {}),
        ...(extracted.byteSize !== undefined ? { byteSize: extracted.byteSize } : {}),
      });
    }
    await this.repository.saveDocument(manager, doc);
    return !unchanged;
  }

  /** Indexes an existing document's (re-)extracted text: `pending|processing|ready|failed → ready`. */
  async indexText(tenantId: TenantId, agentId: string, documentId: string, extracted: ExtractedText): Promise<KbDocumentEntity> {
    return this.changeWithStatusEvent(tenantId, agentId, async (manager) => {
      const { agent, doc } = await this.lockDocument(manager, tenantId, agentId, documentId);
      await this.applyText(manager, agent, doc, extracted);
      return doc;
    });
  }

  /** `pending → processing` when an ingestion job starts (bumps `version`, the job id's suffix). */
  async markProcessing(tenantId: TenantId, agentId: string, documentId: string): Promise<KbDocumentEntity> {
    return this.changeWithStatusEvent(tenantId, agentId, async (manager) => {
      const { doc } = await this.lockDocument(manager, tenantId, agentId, documentId);
      Object.assign(doc, { status: 'processing', error: null, version: doc.version + 1, updatedAt: new Date() });
      return this.repository.saveDocument(manager, doc);
    });
  }

  /**
   * Claims a document for the ingestion job `jobVersion` (the suffix of its job id): the first attempt bumps `version`
   * (so the next ingestion gets a new job id) and, unless `keepStatus` (a refresh of a document already indexed), sets
   * `processing`. A retry of the same job (version already bumped by it) goes on; a job of an older version, or of a
   * deleted document, is stale and gets null (it does nothing).
   */
  async beginJob(tenantId: TenantId, agentId: string, documentId: string, jobVersion: number, keepStatus: boolean): Promise<KbDocumentEntity | null> {
    try {
      return await this.changeWithStatusEvent(tenantId, agentId, async (manager) => {
        const { doc } = await this.lockDocument(manager, tenantId, agentId, documentId);
        if (doc.version === jobVersion) {
          const status = keepStatus && doc.status !== 'pending' ? doc.status : 'processing';
          Object.assign(doc, { status, version: doc.version + 1, updatedAt: new Date(), ...(status === 'processing' ? { error: null } : {}) });
          return this.repository.saveDocument(manager, doc);
        }
        return doc.version === jobVersion + 1 ? doc : null;
      });
    } catch (err) {
      if (err instanceof NotFoundException) return null;
      throw err;
    }
  }

  /** Notes a failed attempt that will be retried (the document keeps its status; `error` says what happened). */
  async noteRetry(tenantId: TenantId, documentId: string, reason: string): Promise<void> {
    await this.dataSource.query('UPDATE agents.kb_documents SET error = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2', [
      tenantId,
      documentId,
      reason.slice(0, 2000),
    ]);
  }

  /** `→ failed` with the reason (existing chunks of an earlier successful ingestion stay searchable). */
  async markFailed(tenantId: TenantId, agentId: string, documentId: string, reason: string): Promise<KbDocumentEntity> {
    return this.changeWithStatusEvent(tenantId, agentId, async (manager) => {
      const { doc } = await this.lockDocument(manager, tenantId, agentId, documentId);
      Object.assign(doc, { status: 'failed', error: reason.slice(0, 2000), updatedAt: new Date() });
      return this.repository.saveDocument(manager, doc);
    });
  }

  private async lockDocument(
    manager: EntityManager,
    tenantId: TenantId,
    agentId: string,
    documentId: string,
  ): Promise<{ agent: KbAgent; doc: KbDocumentEntity }> {
    const agent = await this.repository.findAgent(tenantId, agentId, manager);
    const doc = agent ? await this.repository.findDocument(tenantId, agentId, documentId, manager) : null;
    if (!agent || !doc) throw new NotFoundException(`Document ${documentId} not found`);
    return { agent, doc };
  }
}
