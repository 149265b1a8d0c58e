/** What knowledge-base retrieval answers (kb/query and the interact engines use the same search). */
export interface KbSearchQuery {
  question: string;
  /** top-k; the agent's `vg_kbTopChunks` for interact, `chunkLimit` for kb/query. */
  limit: number;
  /** Only chunks of documents carrying at least one of these tags (absent or empty = all). */
  tags?: string[];
}

export interface KbHit {
  chunkId: string;
  documentId: string;
  /** Document name (or page title). */
  documentName: string;
  /** URL for url/sitemap sources, else null. */
  url: string | null;
  headingPath: string[];
  /** Position of the chunk inside its document (0-based). */
  position: number;
  text: string;
  /**
   * Relevance in [0, 1), best first. Chunks matching every term of the question score ≥ 0.5; when fewer than `limit`
   * do, chunks matching at least two of its terms follow (0.25 ≤ score < 0.5), then chunks matching one (< 0.25).
   */
  score: number;
  tags: string[];
  /** True when the chunk matches every term of the question, false for a partial (any-term) match. Always set by KbSearchService. */
  matchedAll?: boolean;
}

/** Where a hit comes from, for citations: its URL for web sources, else the document name. */
export function kbHitSource(hit: Pick<KbHit, 'url' | 'documentName'>): string {
  return hit.url ?? hit.documentName;
}
