import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Knowledge-base ingestion (issue 5).
 *
 * - `kb_document_files`: the bytes of an uploaded file, kept beside its document (deleted with it) so the ingestion job
 *   can extract it outside the request, and so it can be re-indexed later.
 * - Vectors for hybrid retrieval, only where the `vector` extension (pgvector) can be had: the extension, a
 *   `kb_chunks.embedding vector(768)` column and an HNSW index (cosine). Where it cannot (not installed, no privilege),
 *   nothing is created and retrieval stays full-text only; installing pgvector later and re-running this block by hand
 *   (or a later migration) enables it.
 */
export class KbIngestion1763700010500 implements MigrationInterface {
  name = 'KbIngestion1763700010500';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE agents.kb_document_files (
        document_id uuid PRIMARY KEY REFERENCES agents.kb_documents(id) ON DELETE CASCADE,
        tenant_id uuid NOT NULL,
        file_name text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('txt', 'md', 'html', 'pdf', 'docx', 'csv')),
        content bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Large files stay out of the heap page (TOAST, no compression attempt on already-compressed PDF/DOCX bytes).
    await q.query(`ALTER TABLE agents.kb_document_files ALTER COLUMN content SET STORAGE EXTERNAL`);
    // The scheduler's sweep for documents left pending without a job.
    await q.query(`CREATE INDEX kb_documents_pending_idx ON agents.kb_documents (updated_at) WHERE status = 'pending'`);
    await q.query(`
      DO $$
      BEGIN
        IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') THEN
          BEGIN
            CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA public;
          EXCEPTION WHEN others THEN
            RAISE NOTICE 'vector extension not created (%); knowledge-base retrieval stays full-text only', SQLERRM;
          END;
        END IF;
        IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector') THEN
          ALTER TABLE agents.kb_chunks ADD COLUMN embedding public.vector(768);
          CREATE INDEX kb_chunks_embedding_idx ON agents.kb_chunks USING hnsw (embedding public.vector_cosine_ops);
        END IF;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS agents.kb_chunks_embedding_idx`);
    await q.query(`ALTER TABLE agents.kb_chunks DROP COLUMN IF EXISTS embedding`);
    await q.query(`DROP INDEX agents.kb_documents_pending_idx`);
    await q.query(`DROP TABLE agents.kb_document_files`);
  }
}
