import { Injectable } from '@nestjs/common';
import { type KbDocStatus, KbDocumentEntity, KbDocumentRepository, type KbStatusCounts } from '@chatbot/kb';
import { type TenantId, isUuid } from '@chatbot/tenant-auth';
import { type EntityManager, IsNull } from 'typeorm';

export type { KbAgent, KbTotals } from '@chatbot/kb';

/**
 * agents-api's knowledge-base repository: the rows shared with the worker's ingestion jobs (KbDocumentRepository, in
 * libs/kb) plus the API-only reads and writes. Every query is scoped by tenant (and agent): another tenant's rows are
 * simply not found.
 */
@Injectable()
export class KbRepository extends KbDocumentRepository {
  /** Newest last; top-level documents only (a sitemap's pages are listed under it, not beside it). */
  listDocuments(tenantId: TenantId, agentId: string, skip: number, take: number): Promise<[KbDocumentEntity[], number]> {
    return this.dataSource.getRepository(KbDocumentEntity).findAndCount({
      where: { tenantId, agentId, parentId: IsNull() },
      order: { createdAt: 'ASC', id: 'ASC' },
      skip,
      take,
    });
  }

  /** Deletes the document; its chunks (and a sitemap's pages) go with it (ON DELETE CASCADE) in the same statement. */
  async deleteDocument(manager: EntityManager, tenantId: TenantId, agentId: string, id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    const result = await manager.getRepository(KbDocumentEntity).delete({ tenantId, agentId, id });
    return (result.affected ?? 0) > 0;
  }

  /** Keeps an uploaded file's bytes beside its document (deleted with it) for the ingestion job. */
  async saveFile(manager: EntityManager, file: { documentId: string; tenantId: string; fileName: string; kind: string; content: Buffer }): Promise<void> {
    await manager.query(
      `INSERT INTO agents.kb_document_files (document_id, tenant_id, file_name, kind, content) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (document_id) DO UPDATE SET file_name = EXCLUDED.file_name, kind = EXCLUDED.kind, content = EXCLUDED.content`,
      [file.documentId, file.tenantId, file.fileName, file.kind, file.content],
    );
  }

  /** Per-status counts of a sitemap's pages. */
  async childCounts(tenantId: TenantId, parentId: string): Promise<KbStatusCounts & { total: number }> {
    const rows = await this.dataSource.query<{ status: KbDocStatus; n: string }[]>(
      'SELECT status, count(*) AS n FROM agents.kb_documents WHERE tenant_id = $1 AND parent_id = $2 GROUP BY status',
      [tenantId, parentId],
    );
    const counts = { pending: 0, processing: 0, ready: 0, failed: 0, total: 0 };
    for (const row of rows) {
      counts[row.status] = Number(row.n);
      counts.total += Number(row.n);
    }
    return counts;
  }

  /** Recomputes the tsvector of every chunk of the agent's documents indexed with another configuration. */
  async reindexChunks(manager: EntityManager, tenantId: string, agentId: string, tsConfig: string): Promise<number> {
    const docs = await manager.query<{ id: string }[]>(
      'SELECT id FROM agents.kb_documents WHERE tenant_id = $1 AND agent_id = $2 AND ts_config <> $3 FOR UPDATE',
      [tenantId, agentId, tsConfig],
    );
    if (docs.length === 0) return 0;
    const ids = docs.map((d) => d.id);
    await manager.query(
      `UPDATE agents.kb_chunks c
       SET tsv = setweight(to_tsvector($3::regconfig, coalesce(d.title, d.name)), 'C')
              || setweight(to_tsvector($3::regconfig, array_to_string(c.heading_path, ' ')), 'B')
              || setweight(to_tsvector($3::regconfig, c.content), 'D')
       FROM agents.kb_documents d
       WHERE d.id = c.document_id AND c.tenant_id = $1 AND c.document_id = ANY($2::uuid[])`,
      [tenantId, ids, tsConfig],
    );
    await manager.query('UPDATE agents.kb_documents SET ts_config = $3 WHERE tenant_id = $1 AND id = ANY($2::uuid[])', [tenantId, ids, tsConfig]);
    return ids.length;
  }
}
