import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG } from '@chatbot/platform';
import type { TenantId } from '@chatbot/tenant-auth';
import { DataSource } from 'typeorm';
import type { AgentsApiConfig } from '../../config/agents-api.config';
import { GeminiEmbeddingProvider, type KbEmbeddingProvider, toVectorLiteral } from './kb-embeddings';

/** Chunks embedded per provider call and UPDATE. */
const EMBED_BATCH = 100;

export type VectorMode = { enabled: true; provider: KbEmbeddingProvider } | { enabled: false; reason: string };

/** The embeddings provider the config selects (KB_EMBEDDINGS, GEMINI_API_KEY), or null. */
export function embeddingProviderFromConfig(config: AgentsApiConfig): KbEmbeddingProvider | null {
  const wanted = config.KB_EMBEDDINGS === 'gemini' || (config.KB_EMBEDDINGS === 'auto' && config.GEMINI_API_KEY !== undefined);
  if (!wanted || !config.GEMINI_API_KEY) return null;
  return new GeminiEmbeddingProvider({
    apiKey: config.GEMINI_API_KEY,
    ...(config.GEMINI_BASE_URL ? { baseUrl: config.GEMINI_BASE_URL } : {}),
    model: config.KB_EMBEDDING_MODEL,
    timeoutMs: config.ENGINE_TIMEOUT_MS,
  });
}

/**
 * The vector half of hybrid retrieval. It is on only when an embeddings provider is configured AND the `vector`
 * extension gave `agents.kb_chunks` its `embedding` column (migration 1763700010500); checked once, lazily. A provider
 * without the column is logged once and ignored: retrieval is full-text only, with no error.
 */
@Injectable()
export class KbVectorService implements OnApplicationShutdown {
  private readonly logger = new Logger(KbVectorService.name);
  private readonly provider: KbEmbeddingProvider | null;
  private mode: Promise<VectorMode> | null = null;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: AgentsApiConfig,
  ) {
    this.provider = embeddingProviderFromConfig(config);
  }

  /** Whether hybrid retrieval is on (detected on first use, then remembered for the life of the process). */
  detect(): Promise<VectorMode> {
    this.mode ??= this.detectOnce();
    return this.mode;
  }

  private async detectOnce(): Promise<VectorMode> {
    if (!this.provider) return { enabled: false, reason: 'no embeddings provider configured' };
    let column = false;
    try {
      const rows = await this.dataSource.query<{ present: boolean }[]>(
        `SELECT EXISTS (SELECT 1 FROM pg_attribute
                        WHERE attrelid = to_regclass('agents.kb_chunks') AND attname = 'embedding' AND NOT attisdropped) AS present`,
      );
      column = rows[0]?.present === true;
    } catch (err) {
      this.logger.warn(`could not check for kb_chunks.embedding: ${(err as Error).message}`);
    }
    if (!column) {
      const reason = 'the Postgres vector extension (pgvector) is not installed, so kb_chunks has no embedding column';
      this.logger.warn(`embeddings provider ${this.provider.name} is configured but ${reason}: knowledge-base retrieval uses full-text search only`);
      return { enabled: false, reason };
    }
    this.logger.log(`hybrid knowledge-base retrieval on (full-text + ${this.provider.name} embeddings, reciprocal rank fusion)`);
    return { enabled: true, provider: this.provider };
  }

  /** Embeds the document's chunks that have no vector yet (after indexing). A no-op when hybrid retrieval is off. */
  async embedDocument(tenantId: TenantId, documentId: string): Promise<number> {
    const mode = await this.detect();
    if (!mode.enabled) return 0;
    let done = 0;
    for (;;) {
      const rows = await this.dataSource.query<{ id: string; content: string; heading: string }[]>(
        `SELECT id, content, array_to_string(heading_path, ' > ') AS heading FROM agents.kb_chunks
         WHERE tenant_id = $1 AND document_id = $2 AND embedding IS NULL ORDER BY position LIMIT $3`,
        [tenantId, documentId, EMBED_BATCH],
      );
      if (rows.length === 0) return done;
      const vectors = await mode.provider.embed(rows.map((r) => (r.heading ? `${r.heading}\n\n${r.content}` : r.content)), 'document');
      await this.dataSource.query(
        `UPDATE agents.kb_chunks c SET embedding = v.embedding::public.vector
         FROM unnest($2::uuid[], $3::text[]) AS v(id, embedding)
         WHERE c.tenant_id = $1 AND c.id = v.id`,
        [tenantId, rows.map((r) => r.id), vectors.map(toVectorLiteral)],
      );
      done += rows.length;
      if (rows.length < EMBED_BATCH) return done;
    }
  }

  /**
   * The agent's chunks nearest to the question (cosine distance, HNSW index), best first; `[]` when hybrid retrieval
   * is off. Tag filter as in full-text search.
   */
  async nearest(tenantId: TenantId, agentId: string, question: string, tags: string[] | null, limit: number): Promise<string[]> {
    const mode = await this.detect();
    if (!mode.enabled) return [];
    const [vector] = await mode.provider.embed([question], 'query');
    if (!vector) return [];
    const rows = await this.dataSource.query<{ id: string }[]>(
      `SELECT c.id FROM agents.kb_chunks c
       WHERE c.tenant_id = $1 AND c.agent_id = $2 AND c.embedding IS NOT NULL
         AND ($4::text[] IS NULL OR c.document_id IN (SELECT d.id FROM agents.kb_documents d
                                                      WHERE d.tenant_id = $1 AND d.agent_id = $2 AND d.tags && $4::text[]))
       ORDER BY c.embedding OPERATOR(public.<=>) $3::public.vector
       LIMIT $5`,
      [tenantId, agentId, toVectorLiteral(vector), tags, limit],
    );
    return rows.map((r) => r.id);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.provider?.close();
  }
}
