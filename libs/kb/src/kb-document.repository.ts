import { Injectable } from '@nestjs/common';
import { type TenantId, isUuid } from '@chatbot/tenant-auth';
import { DataSource, type EntityManager } from 'typeorm';
import { KbDocumentEntity, type KbDocStatus } from './entities/kb-document.entity';
import type { ChunkDraft } from './kb-chunker';
import type { KbStatusCounts } from './kb-status';

/** The agent fields the knowledge base needs (read from the agents table of this same app). */
export interface KbAgent {
  id: string;
  tenantId: string;
  settings: Record<string, unknown>;
}

export interface KbTotals {
  counts: KbStatusCounts;
  /** Top-level documents (a sitemap counts once). */
  docsCount: number;
  charCount: number;
  chunks: number;
}

/**
 * The knowledge-base rows (schema `agents`, migrations owned by agents-api) as both agents-api and the worker's
 * ingestion jobs read and write them. Every query is scoped by tenant (and agent): another tenant's rows are simply
 * not found. agents-api's own repository adds the API-only reads and writes.
 */
@Injectable()
export class KbDocumentRepository {
  constructor(protected readonly dataSource: DataSource) {}

  async findAgent(tenantId: TenantId, agentId: string, manager: EntityManager = this.dataSource.manager): Promise<KbAgent | null> {
    if (!isUuid(agentId)) return null;
    const rows = await manager.query<{ id: string; tenant_id: string; settings: Record<string, unknown> }[]>(
      'SELECT id, tenant_id, settings FROM agents.agents WHERE tenant_id = $1 AND id = $2',
      [tenantId, agentId],
    );
    const row = rows[0];
    return row ? { id: row.id, tenantId: row.tenant_id, settings: row.settings } : null;
  }

  /**
   * Serialises knowledge-base changes of one agent until the transaction ends, so the status before and after a change
   * (and the `kb_status_changed` event) are computed on a consistent view.
   */
  async lockAgent(manager: EntityManager, agentId: string): Promise<void> {
    await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended('agents.kb:' || $1::text, 0))`, [agentId]);
  }

  findDocument(tenantId: TenantId, agentId: string, id: string, manager: EntityManager = this.dataSource.manager): Promise<KbDocumentEntity | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return manager.getRepository(KbDocumentEntity).findOne({ where: { tenantId, agentId, id } });
  }

  saveDocument(manager: EntityManager, doc: KbDocumentEntity): Promise<KbDocumentEntity> {
    return manager.getRepository(KbDocumentEntity).save(doc);
  }

  async loadFile(tenantId: TenantId, documentId: string): Promise<{ fileName: string; kind: string; content: Buffer } | null> {
    const rows = await this.dataSource.query<{ file_name: string; kind: string; content: Buffer }[]>(
      'SELECT file_name, kind, content FROM agents.kb_document_files WHERE tenant_id = $1 AND document_id = $2',
      [tenantId, documentId],
    );
    const row = rows[0];
    return row ? { fileName: row.file_name, kind: row.kind, content: row.content } : null;
  }

  /** A sitemap's page documents. */
  listChildren(manager: EntityManager, tenantId: TenantId, parentId: string): Promise<KbDocumentEntity[]> {
    return manager.getRepository(KbDocumentEntity).find({ where: { tenantId, parentId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  async deleteDocuments(manager: EntityManager, tenantId: TenantId, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await manager.query('DELETE FROM agents.kb_documents WHERE tenant_id = $1 AND id = ANY($2::uuid[])', [tenantId, ids]);
  }

  /** Replaces a document's chunks, computing each weighted tsvector with `tsConfig` in the INSERT. */
  async replaceChunks(manager: EntityManager, doc: KbDocumentEntity, chunks: ChunkDraft[], tsConfig: string): Promise<void> {
    await manager.query('DELETE FROM agents.kb_chunks WHERE document_id = $1 AND tenant_id = $2', [doc.id, doc.tenantId]);
    if (chunks.length === 0) return;
    const title = doc.title ?? doc.name;
    // Batches keep each statement's parameter below a few MB.
    for (let start = 0; start < chunks.length; start += 500) {
      const batch = chunks.slice(start, start + 500).map((c) => ({ position: c.position, heading_path: c.headingPath, content: c.content }));
      await manager.query(
        `INSERT INTO agents.kb_chunks (tenant_id, agent_id, document_id, position, heading_path, content, char_count, tsv)
         SELECT $1, $2, $3, c.position, c.heading_path, c.content, char_length(c.content),
                setweight(to_tsvector($4::regconfig, $5), 'C')
                || setweight(to_tsvector($4::regconfig, array_to_string(c.heading_path, ' ')), 'B')
                || setweight(to_tsvector($4::regconfig, c.content), 'D')
         FROM jsonb_to_recordset($6::jsonb) AS c(position integer, heading_path text[], content text)`,
        [doc.tenantId, doc.agentId, doc.id, tsConfig, title, JSON.stringify(batch)],
      );
    }
  }

  async totals(tenantId: TenantId | string, agentId: string, manager: EntityManager = this.dataSource.manager): Promise<KbTotals> {
    const rows = await manager.query<{ status: KbDocStatus; top: string; docs: string; chars: string; chunks: string }[]>(
      `SELECT status, count(*) FILTER (WHERE parent_id IS NULL) AS top, count(*) AS docs,
              coalesce(sum(char_count), 0) AS chars, coalesce(sum(chunk_count), 0) AS chunks
       FROM agents.kb_documents WHERE tenant_id = $1 AND agent_id = $2 GROUP BY status`,
      [tenantId, agentId],
    );
    const counts: KbStatusCounts = { pending: 0, processing: 0, ready: 0, failed: 0 };
    let docsCount = 0;
    let charCount = 0;
    let chunks = 0;
    for (const row of rows) {
      counts[row.status] = Number(row.docs);
      docsCount += Number(row.top);
      charCount += Number(row.chars);
      chunks += Number(row.chunks);
    }
    return { counts, docsCount, charCount, chunks };
  }
}
