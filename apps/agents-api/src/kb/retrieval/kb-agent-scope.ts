/**
 * What `kb_chunks_agent_search_idx` indexes (migration 1763700019000): the chunk's `tsv` plus one lexeme naming its
 * agent, `@<agent id>`. Written exactly as in the index, or the planner cannot use it.
 */
export const SCOPED_TSV = `(c.tsv || array_to_tsvector(ARRAY['@' || c.agent_id::text]))`;

/** The tsquery of an agent's own lexeme (`@<agent id>`), from a SQL expression holding the agent id. */
export function agentTsquery(agentIdSql: string): string {
  return `array_to_tsvector(ARRAY['@' || ${agentIdSql}::text])::text::tsquery`;
}
