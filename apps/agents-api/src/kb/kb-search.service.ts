import { Injectable, Logger } from '@nestjs/common';
import { genericPlanPool, pgPool } from '@chatbot/database';
import { type TenantId, isUuid } from '@chatbot/tenant-auth';
import { DataSource } from 'typeorm';
import { KbVectorService, tsConfigForLang, tsConfigSql } from '@chatbot/kb';
import type { KbHit, KbSearchQuery } from './kb-search.types';
import { KbRepository } from './kb.repository';
import { SCOPED_TSV, agentTsquery } from './retrieval/kb-agent-scope';
import {
  FREQUENT_LEXEMES_SQL,
  FREQUENT_LEXEME_MIN_CHUNKS,
  FREQUENT_LEXEME_SAMPLE,
  FREQUENT_LEXEME_SHARE,
  type FrequentLexemes,
  FrequentLexemesCache,
} from './retrieval/kb-frequent-lexemes';
import { reciprocalRankFusion } from './retrieval/kb-fusion';

export const KB_MAX_LIMIT = 50;
export const KB_MAX_QUESTION_CHARS = 2000;
/** At most this many matching chunks are ranked per scan (bounds a term frequent in a huge knowledge base). */
export const KB_MAX_RANKED_CANDIDATES = 1000;
/**
 * ts_rank_cd weights {D, C, B, A}: chunk text (D) counts fully, its heading path (B) a little less, the document title
 * (C) less again; A is unused.
 */
const RANK_WEIGHTS = '{1.0, 0.6, 0.8, 1.0}';
/**
 * ts_rank_cd normalisation 1 | 32: divided by 1 + log(chunk length) (a long chunk does not win by mere size), then
 * rank / (rank + 1), so scores stay in [0, 1). Chosen on the fixture corpus (test/fixtures/kb): hit@1 0.885, hit@3 1.0
 * against 0.865 / 0.981 for 32 alone and 0.846 / 0.962 for 2 | 32 (with the two-term level below: 0.962 / 1.0).
 */
const RANK_NORMALIZATION = 33;
/** Lexemes of a question that take part in the two-term level (66 pairs at most). */
const MAX_PAIR_LEXEMES = 12;
/**
 * One-term level: at most this many chunks per lexeme are ranked, so a rare lexeme's chunks are all considered while
 * a common one's cannot crowd them out (or cost a ranking of thousands of chunks).
 */
const MAX_RANKED_PER_LEXEME = 100;

interface HitRow {
  stale: boolean;
  id: string | null;
  document_id: string;
  position: number;
  heading_path: string[];
  content: string;
  score: number;
  all_terms: boolean;
  document_name: string;
  url: string | null;
  tags: string[];
}

/**
 * One statement (prepared once per connection), a cascade from the strictest match to the loosest, each level
 * scanned (GIN) only when the levels before it found fewer than k chunks:
 * 1. resolve the agent's text-search configuration from its `lang`;
 * 2. the top-k chunks matching every term (`websearch_to_tsquery`, so quotes, `or` and `-word` work);
 * 3. chunks matching at least two of the question's lexemes (a tsquery of every pair, `(a & b) | (a & c) | ...`);
 * 4. chunks matching any one lexeme (at most MAX_RANKED_PER_LEXEME per lexeme).
 * Levels 3 and 4 leave out the agent's frequent lexemes ($4, FrequentLexemesCache: a word in many of the agent's
 * chunks says little about which one answers) unless nothing else is left, and use at most MAX_PAIR_LEXEMES lexemes for
 * pairs; when nothing matched at all, `search` runs the statement again without leaving any out. Ranking is the
 * expensive part (`ts_rank_cd` walks each candidate's tsvector): matching two terms first means a typical question
 * ranks tens of chunks, not every chunk sharing one common word.
 * At most $7 candidates per level are ranked, bounding the cost of terms that occur in a large part of a big
 * knowledge base. Lexeme lists become tsqueries through their tsvector text form (`'a' 'b'`, quoted exactly like
 * tsquery operands, no spaces inside lexemes): `'a' | 'b'` and `'a' & 'b'`.
 *
 * Every level matches SCOPED_TSV against its query AND the agent's own lexeme (`qagent`), so the GIN index
 * `kb_chunks_agent_search_idx` reads only this agent's matching chunks, however many other tenants' chunks match the
 * same terms. The match is the same as `c.tsv @@ query` for this agent's chunks: the agent lexeme has no position (it
 * shifts no phrase), the parser never makes an `@<uuid>` lexeme from text, and an and-query with no lexemes (which
 * matches nothing) is NULL rather than the agent lexeme alone. `agent_id` and `tenant_id` are still checked on every
 * row, so the lexeme only narrows.
 */
/** SEARCH_SQL's prepared-statement name: change it whenever the text changes. */
export const SEARCH_STATEMENT = 'agents_kb_search_v3';
export const SEARCH_SQL = `
WITH q AS (
  SELECT cfg, lex,
         websearch_to_tsquery(cfg, $3) AS qand,
         ${agentTsquery('$2')} AS qagent,
         replace(array_to_tsvector(lex)::text, ' ', ' | ')::tsquery AS qor,
         (SELECT string_agg(replace(array_to_tsvector(ARRAY[x.a, y.b])::text, ' ', ' & '), ' | ')
          FROM unnest(lex[1:${MAX_PAIR_LEXEMES}]) WITH ORDINALITY x(a, i)
          JOIN unnest(lex[1:${MAX_PAIR_LEXEMES}]) WITH ORDINALITY y(b, j) ON x.i < y.j)::tsquery AS qtwo,
         EXISTS (SELECT 1 FROM agents.kb_documents d WHERE d.agent_id = $2 AND d.ts_config < cfg::text)
           OR EXISTS (SELECT 1 FROM agents.kb_documents d WHERE d.agent_id = $2 AND d.ts_config > cfg::text) AS stale
  FROM (SELECT ${tsConfigSql(`a.settings->>'lang'`)}::regconfig AS cfg
        FROM agents.agents a WHERE a.tenant_id = $1 AND a.id = $2) agent
  CROSS JOIN LATERAL (
    SELECT coalesce(array_agg(l) FILTER (WHERE NOT (l = ANY ($4::text[]))), array_agg(l)) AS lex
    FROM unnest(tsvector_to_array(to_tsvector(agent.cfg, $3))) l
  ) terms
),
tagged AS (
  SELECT d.id FROM agents.kb_documents d WHERE d.tenant_id = $1 AND d.agent_id = $2 AND d.tags && $5::text[]
),
and_hits AS (
  SELECT c.id, ts_rank_cd('${RANK_WEIGHTS}', c.tsv, q.qand, ${RANK_NORMALIZATION}) AS rank
  FROM q CROSS JOIN LATERAL (
    SELECT c.id, c.tsv FROM agents.kb_chunks c
    WHERE ${SCOPED_TSV} @@ (CASE WHEN numnode(q.qand) > 0 THEN q.qand && q.qagent END) AND c.agent_id = $2 AND c.tenant_id = $1
      AND ($5::text[] IS NULL OR c.document_id IN (SELECT id FROM tagged))
    LIMIT $7
  ) c
  ORDER BY rank DESC, c.id
  LIMIT $6
),
two_hits AS (
  SELECT c.id, ts_rank_cd('${RANK_WEIGHTS}', c.tsv, q.qtwo, ${RANK_NORMALIZATION}) AS rank
  FROM q CROSS JOIN LATERAL (
    SELECT c.id, c.tsv FROM agents.kb_chunks c
    WHERE ${SCOPED_TSV} @@ (q.qtwo && q.qagent) AND c.agent_id = $2 AND c.tenant_id = $1
      AND ($5::text[] IS NULL OR c.document_id IN (SELECT id FROM tagged))
    LIMIT $7
  ) c
  WHERE (SELECT count(*) FROM and_hits) < $6 AND c.id NOT IN (SELECT id FROM and_hits)
  ORDER BY rank DESC, c.id
  LIMIT $6
),
or_hits AS (
  SELECT c.id, max(ts_rank_cd('${RANK_WEIGHTS}', c.tsv, q.qor, ${RANK_NORMALIZATION})) AS rank
  FROM q CROSS JOIN LATERAL unnest(q.lex) AS t(lexeme) CROSS JOIN LATERAL (
    SELECT c.id, c.tsv FROM agents.kb_chunks c
    WHERE ${SCOPED_TSV} @@ ((array_to_tsvector(ARRAY[t.lexeme])::text)::tsquery && q.qagent) AND c.agent_id = $2 AND c.tenant_id = $1
      AND ($5::text[] IS NULL OR c.document_id IN (SELECT id FROM tagged))
    LIMIT ${MAX_RANKED_PER_LEXEME}
  ) c
  WHERE (SELECT count(*) FROM and_hits) + (SELECT count(*) FROM two_hits) < $6
    AND c.id NOT IN (SELECT id FROM and_hits UNION ALL SELECT id FROM two_hits)
  GROUP BY c.id
  ORDER BY rank DESC, c.id
  LIMIT $6
),
hits AS (
  SELECT id, 0.5 + rank / 2 AS score, true AS all_terms FROM and_hits
  UNION ALL
  SELECT id, 0.25 + rank / 4 AS score, false AS all_terms FROM two_hits
  UNION ALL
  SELECT id, rank / 4 AS score, false AS all_terms FROM or_hits
)
SELECT q.stale, c.id, c.document_id, c.position, c.heading_path, c.content, h.score::float8 AS score, h.all_terms,
       coalesce(d.title, d.name) AS document_name, d.url, d.tags
FROM q
LEFT JOIN (hits h JOIN agents.kb_chunks c ON c.id = h.id JOIN agents.kb_documents d ON d.id = c.document_id) ON true
ORDER BY h.score DESC, c.id
LIMIT $6`;

/**
 * Knowledge-base retrieval (Postgres full-text search), shared by `POST /v3/agents/:agentId/kb/query` and the Chat
 * Interact engines. Scoped by tenant and agent: an unknown agent, or another tenant's, has no hits.
 */
@Injectable()
export class KbSearchService {
  private readonly logger = new Logger(KbSearchService.name);
  private readonly frequent = new FrequentLexemesCache(
    (tenantId, agentId) => this.readFrequentLexemes(tenantId, agentId),
    (err) => this.logger.warn(`could not read an agent's frequent lexemes: ${err.message}`),
  );

  constructor(
    private readonly dataSource: DataSource,
    private readonly repository: KbRepository,
    private readonly vectors: KbVectorService,
  ) {}

  /**
   * The best `query.limit` chunks (1..50) for `query.question`, best first; `[]` for an empty or stop-words-only
   * question. Chunks matching every term come first (score ≥ 0.5); when fewer than `limit` do, chunks matching at
   * least two terms follow (0.25 ≤ score < 0.5), then chunks matching one (score < 0.25).
   */
  async search(tenantId: TenantId, agentId: string, query: KbSearchQuery): Promise<KbHit[]> {
    const question = query.question.slice(0, KB_MAX_QUESTION_CHARS).trim();
    if (!/[\p{L}\p{N}]/u.test(question) || !isUuid(agentId)) return [];
    const limit = Math.min(Math.max(Math.trunc(query.limit) || 1, 1), KB_MAX_LIMIT);
    const tags = query.tags && query.tags.length > 0 ? query.tags : null;
    const hybrid = (await this.vectors.detect()).enabled;
    // Hybrid: each side proposes more candidates than asked for, so fusion has something to re-rank.
    const candidates = hybrid ? Math.min(Math.max(limit * 3, 20), KB_MAX_LIMIT) : limit;
    const vectorIds = hybrid
      ? this.vectors.nearest(tenantId, agentId, question, tags, candidates).catch((err: Error) => {
          this.logger.warn(`vector search failed, answering from full-text search alone: ${err.message}`);
          return [] as string[];
        })
      : Promise.resolve([] as string[]);
    // After the vector search started: an agent's first search waits for its frequent lexemes, the vectors need not.
    const frequent = await this.frequent.get(tenantId, agentId);
    const params = (leftOut: string[]) => [tenantId, agentId, question, leftOut, tags, candidates, KB_MAX_RANKED_CANDIDATES];
    let rows = await this.run(params(frequent));
    if (rows[0]?.stale) {
      // The agent's language changed since these chunks were indexed: re-index them once, then search again.
      await this.reindexLanguage(tenantId, agentId);
      rows = await this.run(params(frequent));
    }
    if (frequent.length > 0 && rows.every((r) => r.id === null)) {
      // Nothing matched with the agent's frequent words left out of the partial levels: let them take part (a question
      // that shares only brand words with the knowledge base still gets the chunks that have them).
      rows = await this.run(params([]));
    }
    const hits = rows.filter((r): r is HitRow & { id: string } => r.id !== null).map(toHit);
    if (!hybrid) return hits;
    return this.fuse(tenantId, hits, await vectorIds, limit);
  }

  /** Reciprocal rank fusion of the full-text and vector rankings; chunks only the vector side found are loaded here. */
  private async fuse(tenantId: TenantId, textHits: KbHit[], vectorIds: string[], limit: number): Promise<KbHit[]> {
    const fused = reciprocalRankFusion([textHits.map((h) => h.chunkId), vectorIds], limit);
    const known = new Map(textHits.map((h) => [h.chunkId, h]));
    const missing = fused.map((f) => f.id).filter((id) => !known.has(id));
    if (missing.length > 0) {
      const rows = await this.dataSource.query<(HitRow & { id: string })[]>(
        `SELECT c.id, c.document_id, c.position, c.heading_path, c.content, 0::float8 AS score, false AS all_terms,
                coalesce(d.title, d.name) AS document_name, d.url, d.tags
         FROM agents.kb_chunks c JOIN agents.kb_documents d ON d.id = c.document_id
         WHERE c.tenant_id = $1 AND c.id = ANY($2::uuid[])`,
        [tenantId, missing],
      );
      for (const row of rows) known.set(row.id, toHit(row));
    }
    return fused.flatMap((f) => {
      const hit = known.get(f.id);
      return hit ? [{ ...hit, score: Math.round(f.score * 1e6) / 1e6 }] : [];
    });
  }

  /**
   * Re-indexes the agent's chunks built with another text-search configuration than its current `lang` selects
   * (call it when an agent's language changes; search also does it lazily). Returns the number of documents redone.
   */
  async reindexLanguage(tenantId: TenantId, agentId: string): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const agent = await this.repository.findAgent(tenantId, agentId, manager);
      if (!agent) return 0;
      await this.repository.lockAgent(manager, agentId);
      const lang = agent.settings['lang'];
      const redone = await this.repository.reindexChunks(manager, tenantId, agentId, tsConfigForLang(typeof lang === 'string' ? lang : null));
      if (redone > 0) this.logger.log(`re-indexed ${redone} knowledge-base documents of agent ${agentId} for its new language`);
      return redone;
    });
  }

  /**
   * A named statement on agents-api's generic-plan pool (`genericPlanPoolSize`): parsed and planned once per
   * connection. Planning it (the cascade's CTEs, the language CASE) costs ~3-4 ms, more than running it for most
   * agents, and on the main pool Postgres' plan cache keeps making a custom plan per execution whenever the first ones
   * looked cheaper than the generic plan (bench/RESULTS.md, eighteenth session). Every table is read through an index
   * (the spec EXPLAINs the generic plan). Without that pool, a named statement on the main pool.
   */
  private async run(params: unknown[]): Promise<HitRow[]> {
    const pool = genericPlanPool(this.dataSource) ?? pgPool(this.dataSource);
    return (await pool.query<HitRow>({ name: SEARCH_STATEMENT, text: SEARCH_SQL, values: params })).rows;
  }

  /** The agent's frequent lexemes, from a sample of its own chunks (FREQUENT_LEXEMES_SQL). */
  private async readFrequentLexemes(tenantId: string, agentId: string): Promise<FrequentLexemes> {
    const rows = await this.dataSource.query<FrequentLexemes[]>(FREQUENT_LEXEMES_SQL, [
      tenantId,
      agentId,
      FREQUENT_LEXEME_SAMPLE,
      FREQUENT_LEXEME_SHARE,
      FREQUENT_LEXEME_MIN_CHUNKS,
    ]);
    return rows[0] ?? { lexemes: [], sampled: 0 };
  }
}

function toHit(row: HitRow & { id: string }): KbHit {
  return {
    chunkId: row.id,
    documentId: row.document_id,
    documentName: row.document_name,
    url: row.url,
    headingPath: row.heading_path,
    position: row.position,
    text: row.content,
    score: Math.round(row.score * 1e6) / 1e6,
    tags: row.tags,
    matchedAll: row.all_terms,
  };
}
