import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Vectors for hybrid knowledge-base retrieval, for databases migrated before the server had pgvector (1763700010500
 * creates them only where the extension could be had at that time; on a fresh database this one finds everything in
 * place and changes nothing). Where pgvector is available (scripts/install-pgvector.sh on Debian, or an image that
 * ships it): the extension, `kb_chunks.embedding vector(768)` (the dimensions the embeddings are asked for) and an HNSW
 * index with cosine distance (what retrieval orders by). Where it is not, nothing is created and retrieval stays
 * full-text only. Idempotent.
 */
export class KbEmbeddings1763700011000 implements MigrationInterface {
  name = 'KbEmbeddings1763700011000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      DO $$
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector')
           AND EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') THEN
          BEGIN
            CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA public;
          EXCEPTION WHEN others THEN
            RAISE NOTICE 'vector extension not created (%); knowledge-base retrieval stays full-text only', SQLERRM;
          END;
        END IF;
        IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector') THEN
          ALTER TABLE agents.kb_chunks ADD COLUMN IF NOT EXISTS embedding public.vector(768);
          CREATE INDEX IF NOT EXISTS kb_chunks_embedding_idx ON agents.kb_chunks USING hnsw (embedding public.vector_cosine_ops);
        END IF;
      END $$`);
  }

  async down(): Promise<void> {
    // 1763700010500's down drops the column and the index; this migration only fills in what that one could not.
  }
}
