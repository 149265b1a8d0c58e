import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Knowledge base: documents (sources) and their chunks.
 *
 * - `kb_documents`: one row per source (raw text, uploaded file, URL, sitemap). A sitemap's pages are child documents
 *   (`parent_id`, source_type `url`) so each page keeps its own URL, title, content hash and refresh schedule.
 *   `version` increases on every (re-)ingestion so queue job ids stay deterministic (`jobIds.ingestion`).
 *   `ts_config` records the text-search configuration its chunks were indexed with (from the agent's `lang`), so a
 *   language change can be detected and the chunks re-indexed.
 * - `kb_chunks`: the retrievable passages, with the heading path and position inside their document, and a weighted
 *   `tsv` (document title C, heading path B, content D) built with the document's `ts_config`.
 *
 * Retrieval matches `tsv` through a GIN index on `tsv` alone and filters the agent on the few matching rows (replaced
 * by an index scoped by agent in migration 1763700019000: the rows matching a term are few only in a small table). (A
 * `btree_gin` index on `(agent_id, tsv)` was measured slower: the agent key's posting list is as long as the agent's
 * whole knowledge base and GIN intersects it on every query — 9 ms against 0.1 ms for the index scan at 10k chunks;
 * without usable statistics the planner then preferred a sequential scan, 20–40 ms.)
 */
export class CreateKnowledgeBase1763700010000 implements MigrationInterface {
  name = 'CreateKnowledgeBase1763700010000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE agents.kb_documents (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        agent_id uuid NOT NULL REFERENCES agents.agents(id) ON DELETE CASCADE,
        parent_id uuid REFERENCES agents.kb_documents(id) ON DELETE CASCADE,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
        title text,
        source_type text NOT NULL CHECK (source_type IN ('text', 'file', 'url', 'sitemap')),
        tags text[] NOT NULL DEFAULT '{}',
        url text,
        sitemap_url text,
        max_pages integer CHECK (max_pages BETWEEN 1 AND 10000),
        refresh_rate text NOT NULL DEFAULT 'never' CHECK (refresh_rate IN ('6h', '12h', '24h', 'never')),
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processing', 'ready', 'failed')),
        error text,
        mime_type text,
        byte_size bigint,
        content_hash text,
        char_count integer NOT NULL DEFAULT 0 CHECK (char_count >= 0),
        chunk_count integer NOT NULL DEFAULT 0 CHECK (chunk_count >= 0),
        ts_config text NOT NULL DEFAULT 'simple',
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        last_ingested_at timestamptz,
        next_refresh_at timestamptz,
        CHECK (source_type <> 'url' OR url IS NOT NULL),
        CHECK (source_type <> 'sitemap' OR sitemap_url IS NOT NULL)
      )`);
    // Listing (oldest first), per-agent stats and the tag filter (a scan of one agent's documents).
    await q.query(`CREATE INDEX kb_documents_list_idx ON agents.kb_documents (tenant_id, agent_id, created_at, id)`);
    // Search checks for documents indexed with another text-search configuration than the agent's language selects.
    await q.query(`CREATE INDEX kb_documents_agent_ts_config_idx ON agents.kb_documents (agent_id, ts_config)`);
    await q.query(`CREATE INDEX kb_documents_parent_idx ON agents.kb_documents (parent_id) WHERE parent_id IS NOT NULL`);
    // The refresh scheduler (issue 5) picks due URL/sitemap sources.
    await q.query(`
      CREATE INDEX kb_documents_refresh_due_idx ON agents.kb_documents (next_refresh_at)
      WHERE refresh_rate <> 'never' AND next_refresh_at IS NOT NULL`);
    // One row per page URL of a sitemap (re-crawls update in place).
    await q.query(`CREATE UNIQUE INDEX kb_documents_page_url_uq ON agents.kb_documents (parent_id, url) WHERE parent_id IS NOT NULL`);

    await q.query(`
      CREATE TABLE agents.kb_chunks (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        agent_id uuid NOT NULL,
        document_id uuid NOT NULL REFERENCES agents.kb_documents(id) ON DELETE CASCADE,
        position integer NOT NULL CHECK (position >= 0),
        heading_path text[] NOT NULL DEFAULT '{}',
        content text NOT NULL,
        char_count integer NOT NULL CHECK (char_count >= 0),
        tsv tsvector NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (document_id, position)
      )`);
    // Ranking reads every candidate's tsv: keep it in the heap row (compressed) and let the content go to TOAST first,
    // so ranking never fetches from the TOAST table (the content is read for the top-k only).
    await q.query(`ALTER TABLE agents.kb_chunks ALTER COLUMN tsv SET STORAGE MAIN`);
    // No btree on (tenant_id, agent_id): with one it, a planner without fresh statistics (right after a bulk ingest)
    // read every chunk of the agent and filtered tsv (15 ms at 10k chunks) instead of using the GIN index (< 1 ms).
    // Chunks are reached by document (the unique (document_id, position) index) or through tsv.
    // fastupdate off: ingestion writes chunks in bulk, and with the pending list on, every search scanned the not yet
    // merged entries linearly until the next vacuum (4 ms per query at 10k fresh chunks, instead of 0.1 ms).
    await q.query(`CREATE INDEX kb_chunks_tsv_idx ON agents.kb_chunks USING gin (tsv) WITH (fastupdate = off)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE agents.kb_chunks`);
    await q.query(`DROP TABLE agents.kb_documents`);
  }
}
