import { SCOPED_TSV, agentTsquery } from './kb-agent-scope';

/** A lexeme found in more than this share of an agent's chunks does not drive the two-term and one-term levels. */
export const FREQUENT_LEXEME_SHARE = 0.05;
/** ... and only when it is in at least this many of the sampled chunks (in a 40-chunk knowledge base, 2 chunks are 5%). */
export const FREQUENT_LEXEME_MIN_CHUNKS = 10;
/** About this many of an agent's chunks are read to find its frequent lexemes (all of them in a smaller knowledge base). */
export const FREQUENT_LEXEME_SAMPLE = 1000;

export interface FrequentLexemes {
  /** Lexemes in more than FREQUENT_LEXEME_SHARE (and at least FREQUENT_LEXEME_MIN_CHUNKS) of the sampled chunks. */
  lexemes: string[];
  /** Chunks read. */
  sampled: number;
}

/**
 * An agent's frequent lexemes, from a sample of its own chunks only (another tenant's knowledge base never changes how
 * this agent's questions are answered). The sample is about $3 chunks, the same ones every time while the table is
 * unchanged, read the cheaper of two ways (the agent's size is `kb_documents.chunk_count`, the table's its file size):
 * - a share of the table's pages (`TABLESAMPLE SYSTEM`, seeded) keeping the agent's rows, when that reads fewer pages
 *   than the agent has chunks / 4: an agent holding much of the table;
 * - otherwise the agent's own chunks, found through its lexeme in the search index, keeping those whose id hashes
 *   below a cut-off (a knowledge base of at most $3 chunks is read whole).
 * Each path is an uncorrelated condition, so Postgres runs only the chosen one. Only the sampled chunks are split into
 * lexemes and counted. Parameters: $1 tenant, $2 agent, $3 sample size, $4 share, $5 minimum chunks.
 */
export const FREQUENT_LEXEMES_SQL = `
WITH size AS (
  SELECT coalesce(sum(d.chunk_count), 0)::float8 AS chunks,
         greatest(pg_relation_size('agents.kb_chunks') / current_setting('block_size')::int, 1)::float8 AS pages
  FROM agents.kb_documents d WHERE d.tenant_id = $1 AND d.agent_id = $2
),
plan AS (
  SELECT chunks,
         100 * least(1, $3::float8 / greatest(chunks, 1)) AS page_percent,
         chunks > $3::float8 AND pages * $3::float8 / chunks < chunks / 4 AS by_pages
  FROM size
),
sample AS MATERIALIZED (
  SELECT c.tsv FROM agents.kb_chunks c TABLESAMPLE SYSTEM ((SELECT page_percent FROM plan)) REPEATABLE (0)
  WHERE (SELECT by_pages FROM plan) AND c.agent_id = $2 AND c.tenant_id = $1
  UNION ALL
  SELECT c.tsv FROM agents.kb_chunks c
  WHERE NOT (SELECT by_pages FROM plan)
    AND ${SCOPED_TSV} @@ ${agentTsquery('$2')} AND c.agent_id = $2 AND c.tenant_id = $1
    AND (hashtext(c.id::text) & 65535) < 65536 * $3::float8 / greatest((SELECT chunks FROM plan), $3::float8)
)
SELECT (SELECT count(*) FROM sample)::int AS sampled,
       array(SELECT l FROM sample CROSS JOIN LATERAL unnest(tsvector_to_array(sample.tsv)) l
             GROUP BY l
             HAVING count(*) >= $5::int AND count(*) > $4::float8 * (SELECT count(*) FROM sample)
             ORDER BY l) AS lexemes`;

interface Entry {
  lexemes: string[] | null;
  expiresAt: number;
  loading: Promise<string[]> | null;
}

export interface FrequentLexemesCacheOptions {
  /** How long an agent's list is used before it is read again (in the background: the old list answers meanwhile). */
  ttlMs: number;
  /** The same for a knowledge base smaller than `smallSample` chunks (likely still being filled). */
  smallTtlMs: number;
  smallSample: number;
  /** After a failed read, how long the fallback (the previous list, or none) is used. */
  errorTtlMs: number;
  /** Agents kept; the least recently read goes first. */
  maxAgents: number;
  now?: () => number;
}

export const FREQUENT_LEXEMES_CACHE_DEFAULTS: FrequentLexemesCacheOptions = {
  ttlMs: 5 * 60_000,
  smallTtlMs: 30_000,
  smallSample: 200,
  errorTtlMs: 15_000,
  maxAgents: 10_000,
};

/**
 * Per-agent frequent lexemes for the search statement, read once per agent and then refreshed in the background when
 * they expire (stale while revalidating), so a search waits for the read only the first time an agent is searched.
 * Concurrent first searches of one agent share one read. A failed read answers the previous list (or none: every
 * lexeme takes part, which is slower for a big knowledge base but still correct).
 */
export class FrequentLexemesCache {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;

  constructor(
    private readonly read: (tenantId: string, agentId: string) => Promise<FrequentLexemes>,
    private readonly onError: (err: Error) => void,
    private readonly options: FrequentLexemesCacheOptions = FREQUENT_LEXEMES_CACHE_DEFAULTS,
  ) {
    this.now = options.now ?? Date.now;
  }

  async get(tenantId: string, agentId: string): Promise<string[]> {
    const key = `${tenantId}/${agentId}`;
    const entry = this.entries.get(key);
    if (entry) {
      // Most recently used last: Map keeps insertion order, so the first key is the one to evict.
      this.entries.delete(key);
      this.entries.set(key, entry);
      if (entry.lexemes && this.now() < entry.expiresAt) return entry.lexemes;
      const loading = entry.loading ?? this.load(entry, tenantId, agentId);
      return entry.lexemes ?? loading;
    }
    const created: Entry = { lexemes: null, expiresAt: 0, loading: null };
    this.entries.set(key, created);
    while (this.entries.size > this.options.maxAgents) this.entries.delete(this.entries.keys().next().value as string);
    return this.load(created, tenantId, agentId);
  }

  private load(entry: Entry, tenantId: string, agentId: string): Promise<string[]> {
    const loading = this.read(tenantId, agentId).then(
      ({ lexemes, sampled }) => {
        entry.lexemes = lexemes;
        entry.expiresAt = this.now() + (sampled < this.options.smallSample ? this.options.smallTtlMs : this.options.ttlMs);
        return lexemes;
      },
      (err: Error) => {
        this.onError(err);
        entry.lexemes ??= [];
        entry.expiresAt = this.now() + this.options.errorTtlMs;
        return entry.lexemes;
      },
    );
    entry.loading = loading.finally(() => {
      entry.loading = null;
    });
    return loading;
  }
}
