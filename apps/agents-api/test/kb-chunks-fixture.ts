/**
 * Writes `count` chunks into a knowledge-base document straight into the table, as ingestion would (tenant and agent
 * from the document, `tsv` with its text-search configuration), at positions 1000 + n: `#` in `text` becomes n.
 */
export async function insertChunks(
  db: { query(text: string, values: unknown[]): Promise<unknown> },
  documentId: string,
  count: number,
  text: string,
): Promise<void> {
  await db.query(
    `INSERT INTO agents.kb_chunks (tenant_id, agent_id, document_id, position, content, char_count, tsv)
     SELECT d.tenant_id, d.agent_id, d.id, 1000 + g, x.t, length(x.t), to_tsvector(d.ts_config::regconfig, x.t)
       FROM agents.kb_documents d, generate_series(1, $2::int) g,
            LATERAL (SELECT replace($3::text, '#', g::text) AS t) x
      WHERE d.id = $1`,
    [documentId, count, text],
  );
}
