import type { KbDocumentEntity, KbSourceType, KnowledgeBaseStatus } from '@chatbot/kb';
import type { KbHit } from './kb-search.types';
import { kbHitSource } from './kb-search.types';
import type { KbTotals } from './kb.repository';
import type { KbWireSourceType } from './dto/create-kb-document.dto';

const WIRE_SOURCE_TYPE: Record<KbSourceType, KbWireSourceType> = { text: 'doc', file: 'doc', url: 'url', sitemap: 'sitemap' };

/** A document as the API shows it: TIXAE names (`sourceType doc|url|sitemap`) plus `sourceKind` for text vs file. */
export function toWireDocument(doc: KbDocumentEntity): Record<string, unknown> {
  return {
    ID: doc.id,
    name: doc.name,
    title: doc.title,
    sourceType: WIRE_SOURCE_TYPE[doc.sourceType],
    sourceKind: doc.sourceType,
    tags: doc.tags,
    url: doc.url,
    sitemapUrl: doc.sitemapUrl,
    maxPages: doc.maxPages,
    refreshRate: doc.refreshRate,
    status: doc.status,
    error: doc.error,
    mimeType: doc.mimeType,
    byteSize: doc.byteSize,
    contentHash: doc.contentHash,
    charCount: doc.charCount,
    chunkCount: doc.chunkCount,
    createdAtUNIX: doc.createdAt.getTime(),
    lastModified: doc.updatedAt.getTime(),
    lastIngestedAt: doc.lastIngestedAt?.getTime() ?? null,
    nextRefreshAt: doc.nextRefreshAt?.getTime() ?? null,
  };
}

export interface KbStatsWire {
  docsCount: number;
  charCount: number;
  chunks: number;
  statusCounts: KbTotals['counts'];
  knowledgeBaseStatus: KnowledgeBaseStatus;
}

export function toWireStats(totals: KbTotals, status: KnowledgeBaseStatus): KbStatsWire {
  return { docsCount: totals.docsCount, charCount: totals.charCount, chunks: totals.chunks, statusCounts: totals.counts, knowledgeBaseStatus: status };
}

export function toWireHit(hit: KbHit): KbHit & { source: string } {
  return { ...hit, source: kbHitSource(hit) };
}
