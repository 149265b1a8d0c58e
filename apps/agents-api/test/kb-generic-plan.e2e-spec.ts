import { randomUUID } from 'node:crypto';
import { genericPlanPool } from '@chatbot/database';
import { isolatedDatabase } from '@chatbot/testing';
import type { Pool } from 'pg';
import { SEARCH_SQL, SEARCH_STATEMENT } from '../src/kb/kb-search.service';
import { insertChunks } from './kb-chunks-fixture';

/**
 * agents-api plans the knowledge-base search once per connection (its generic-plan pool, KbSearchService.run). A
 * generic plan may be made while the tables are empty and never analyzed (a fresh deployment's first search), and is
 * kept as they fill: it must reach every table through an index, or it would scan them whole at every search later.
 */
describe('kb search: the generic plan on empty, then filled and analyzed tables (real Postgres, own database)', () => {
  const database = isolatedDatabase();
  const open = async (): Promise<Pool> => genericPlanPool(await database.open({ poolSize: 1, genericPlanPoolSize: 1 }))!;
  const search = async (pool: Pool, tenantId: string, agentId: string, question: string) =>
    (await pool.query<{ id: string | null }>({ name: SEARCH_STATEMENT, text: SEARCH_SQL, values: [tenantId, agentId, question, [], null, 5, 1000] })).rows
      .map((r) => r.id)
      .filter((id) => id !== null);
  /** The cached plan's scans (EXPLAIN EXECUTE shows the plan the next call uses). */
  const scans = async (pool: Pool): Promise<string[]> => {
    const args = `'${randomUUID()}', '${randomUUID()}', 'refund payment', '{}', NULL, 5, 1000`;
    const plan = await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN (COSTS OFF) EXECUTE ${SEARCH_STATEMENT}(${args})`);
    return plan.rows.map((r) => r['QUERY PLAN'].trim().replace(/^->\s*/, '')).filter((line) => /\bScan\b/.test(line));
  };
  const fill = async (pool: Pool, chunks: number) => {
    const tenantId = randomUUID();
    const agent = await pool.query<{ id: string }>(`INSERT INTO agents.agents (tenant_id, title) VALUES ($1, 'Bot') RETURNING id`, [tenantId]);
    const agentId = agent.rows[0]!.id;
    const doc = await pool.query<{ id: string }>(
      `INSERT INTO agents.kb_documents (tenant_id, agent_id, name, source_type, status, ts_config, chunk_count)
       VALUES ($1, $2, 'FAQ', 'text', 'ready', 'english', $3) RETURNING id`,
      [tenantId, agentId, chunks],
    );
    await insertChunks(pool, doc.rows[0]!.id, chunks, 'Refund #: the payment returns within five days');
    return { tenantId, agentId };
  };

  it('planned on empty tables: every table through an index, and the plan keeps answering as rows arrive', async () => {
    const pool = await open();
    const tuples = await pool.query<{ reltuples: number }>(`SELECT reltuples FROM pg_class WHERE oid = 'agents.kb_chunks'::regclass`);
    expect(Number(tuples.rows[0]!.reltuples)).toBe(-1); // never vacuumed or analyzed
    expect(await search(pool, randomUUID(), randomUUID(), 'refund payment')).toEqual([]);
    const empty = await scans(pool);
    expect(empty.some((line) => line.includes('kb_chunks_agent_search_idx'))).toBe(true);
    expect(empty.filter((line) => /Seq Scan/.test(line))).toEqual([]);

    const { tenantId, agentId } = await fill(pool, 300);
    expect(await search(pool, tenantId, agentId, 'refund payment')).toHaveLength(5);
    expect(await search(pool, randomUUID(), agentId, 'refund payment')).toEqual([]); // another tenant: nothing
    const prepared = await pool.query<{ custom_plans: string }>(`SELECT custom_plans::text FROM pg_prepared_statements WHERE name = $1`, [SEARCH_STATEMENT]);
    expect(prepared.rows).toEqual([{ custom_plans: '0' }]);
  });

  it('planned again after ANALYZE of a filled table: still index scans', async () => {
    const setup = await open();
    await fill(setup, 2000);
    await setup.query('ANALYZE agents.agents, agents.kb_documents, agents.kb_chunks');
    const pool = await open();
    await search(pool, randomUUID(), randomUUID(), 'refund');
    const analyzed = await scans(pool);
    expect(analyzed.some((line) => line.includes('kb_chunks_agent_search_idx'))).toBe(true);
    expect(analyzed.filter((line) => /Seq Scan/.test(line))).toEqual([]);
  });
});
