import { createIndexConcurrently } from '@chatbot/database';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Knowledge-base search is scoped to one agent by the index itself, not by a filter after it.
 *
 * The GIN index on `tsv` alone returned every chunk of every tenant that matches a term, and the agent was filtered
 * on the heap rows: a small agent's search cost as much as its neighbours' matching chunks (40 ms for a 300-chunk
 * agent beside a 200,000-chunk one sharing a common word, against 0.5 ms alone; bench/RESULTS.md, seventeenth
 * session). The new index adds one lexeme per row, `@<agent id>`, to what it indexes (the row's `tsv` concatenated
 * with that lexeme; the table itself is unchanged), and search ANDs the agent's lexeme into every query: GIN
 * intersects the term's posting list with the agent's and reads only the agent's matching chunks, whatever the
 * neighbours hold (0.5 ms in the case above). A search for a term rare in a huge knowledge base pays for the
 * intersection with that agent's own posting tree (0.4 → 1.1 ms at 200,000 chunks).
 *
 * (`btree_gin` on `(agent_id, tsv)`, measured before, answers `agent_id = $1` by a partial match over the whole key
 * range, which reads the agent's whole posting list on every query; the lexeme is an ordinary entry, and GIN skips
 * through it.)
 *
 * `up` runs outside a transaction so that the index builds CONCURRENTLY (ingestion goes on writing); the old index
 * is dropped only once the new one is valid. `down` puts the old index back (not concurrently: it may run in a
 * transaction).
 */
export class KbChunksAgentSearchIndex1763700019000 implements MigrationInterface {
  name = 'KbChunksAgentSearchIndex1763700019000';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await createIndexConcurrently(
      q,
      'agents',
      'kb_chunks_agent_search_idx',
      `agents.kb_chunks USING gin ((tsv || array_to_tsvector(ARRAY['@' || agent_id::text]))) WITH (fastupdate = off)`,
    );
    await q.query(`DROP INDEX CONCURRENTLY IF EXISTS agents.kb_chunks_tsv_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX IF NOT EXISTS kb_chunks_tsv_idx ON agents.kb_chunks USING gin (tsv) WITH (fastupdate = off)`);
    await q.query(`DROP INDEX IF EXISTS agents.kb_chunks_agent_search_idx`);
  }
}
