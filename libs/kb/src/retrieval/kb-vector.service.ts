import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG } from '@chatbot/platform';
import type { TenantId } from '@chatbot/tenant-auth';
import { DataSource } from 'typeorm';
import type { KbSharedConfig } from '../config/kb-config';
import { GeminiEmbeddingProvider, KB_EMBEDDING_DIMENSIONS, type KbEmbeddingProvider, toVectorLiteral } from './kb-embeddings';

/** Chunks embedded per provider call and UPDATE. */
const EMBED_BATCH = 100;

export type VectorMode =
  | {
      enabled: true;
      provider: KbEmbeddingProvider;
      /** pgvector ≥ 0.8: HNSW iterative index scans (filtered nearest-neighbour queries still return `limit` rows). */
      iterativeScan: boolean;
    }
  | { enabled: false; reason: string };

/** Candidates the HNSW scan keeps (hnsw.ef_search, pgvector's default is 40): at least the rows asked for. */
const MIN_EF_SEARCH = 100;

/** The embeddings provider the config selects (KB_EMBEDDINGS, GEMINI_API_KEY), or null. */
export function embeddingProviderFromConfig(
  config: Pick<KbSharedConfig, 'KB_EMBEDDINGS' | 'KB_EMBEDDING_MODEL' | 'KB_EMBEDDING_TIMEOUT_MS' | 'GEMINI_API_KEY' | 'GEMINI_BASE_URL'>,
): KbEmbeddingProvider | null {
  const wanted = config.KB_EMBEDDINGS === 'gemini' || (config.KB_EMBEDDINGS === 'auto' && config.GEMINI_API_KEY !== undefined);
  if (!wanted || !config.GEMINI_API_KEY) return null;
  return new GeminiEmbeddingProvider({
    apiKey: config.GEMINI_API_KEY,
    ...(config.GEMINI_BASE_URL ? { baseUrl: config.GEMINI_BASE_URL } : {}),
    model: config.KB_EMBEDDING_MODEL,
    timeoutMs: config.KB_EMBEDDING_TIMEOUT_MS,
  });
}

/**
 * The vector half of hybrid retrieval, in both apps: the worker embeds chunks after indexing them, agents-api embeds
 * questions and asks for the nearest chunks. It is on only when an embeddings provider is configured AND the `vector`
 * extension gave `agents.kb_chunks` its `embedding vector(768)` column (migrations 1763700010500 / 1763700011000);
 * checked once, lazily. A provider without the column is logged once and ignored: retrieval is full-text only, with
 * no error.
 */
@Injectable()
export class KbVectorService implements OnApplicationShutdown {
  private readonly logger = new Logger(KbVectorService.name);
  private readonly provider: KbEmbeddingProvider | null;
  private mode: Promise<VectorMode> | null = null;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: KbSharedConfig,
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
    let column: { type_name: string; dimensions: number; version: string | null } | undefined;
    try {
      const rows = await this.dataSource.query<{ type_name: string; dimensions: number; version: string | null }[]>(
        `SELECT t.typname AS type_name, a.atttypmod AS dimensions,
                (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS version
         FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
         WHERE a.attrelid = to_regclass('agents.kb_chunks') AND a.attname = 'embedding' AND NOT a.attisdropped`,
      );
      column = rows[0];
    } catch (err) {
      this.logger.warn(`could not check for kb_chunks.embedding: ${(err as Error).message}`);
    }
    let reason: string | null = null;
    if (!column) reason = 'the Postgres vector extension (pgvector) is not installed, so kb_chunks has no embedding column';
    else if (column.type_name !== 'vector' || column.dimensions !== KB_EMBEDDING_DIMENSIONS) {
      reason = `kb_chunks.embedding is ${column.type_name}(${column.dimensions}), not the vector(${KB_EMBEDDING_DIMENSIONS}) the embeddings are made for`;
    }
    if (reason !== null || !column) {
      reason ??= 'no embedding column';
      this.logger.warn(`embeddings provider ${this.provider.name} is configured but ${reason}: knowledge-base retrieval uses full-text search only`);
      return { enabled: false, reason };
    }
    const iterativeScan = versionAtLeast(column.version, [0, 8, 0]);
    this.logger.log(`hybrid knowledge-base retrieval on (full-text + ${this.provider.name} embeddings, reciprocal rank fusion; pgvector ${column.version})`);
    return { enabled: true, provider: this.provider, iterativeScan };
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
    // The HNSW index orders the whole table; the tenant/agent/tag filter applies to what it returns. A plain scan
    // stops after hnsw.ef_search candidates (other agents' chunks included) and could return nothing for this agent;
    // pgvector ≥ 0.8 keeps scanning until `limit` rows pass the filter (iterative scan, exact order kept).
    const rows = await this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT set_config('hnsw.ef_search', $1, true)`, [String(Math.min(Math.max(limit, MIN_EF_SEARCH), 1000))]);
      if (mode.iterativeScan) await manager.query(`SELECT set_config('hnsw.iterative_scan', 'strict_order', true)`);
      return manager.query<{ id: string }[]>(
        `SELECT c.id FROM agents.kb_chunks c
         WHERE c.tenant_id = $1 AND c.agent_id = $2 AND c.embedding IS NOT NULL
           AND ($4::text[] IS NULL OR c.document_id IN (SELECT d.id FROM agents.kb_documents d
                                                        WHERE d.tenant_id = $1 AND d.agent_id = $2 AND d.tags && $4::text[]))
         ORDER BY c.embedding OPERATOR(public.<=>) $3::public.vector
         LIMIT $5`,
        [tenantId, agentId, toVectorLiteral(vector), tags, limit],
      );
    });
    return rows.map((r) => r.id);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.provider?.close();
  }
}

/** Whether a dotted version (`0.8.0`) is at least `min`; null (unknown) is not. */
export function versionAtLeast(version: string | null, min: readonly number[]): boolean {
  if (!version) return false;
  const parts = version.split('.').map((p) => parseInt(p, 10));
  for (let i = 0; i < min.length; i += 1) {
    const have = Number.isFinite(parts[i]) ? (parts[i] as number) : 0;
    const want = min[i] ?? 0;
    if (have !== want) return have > want;
  }
  return true;
}
