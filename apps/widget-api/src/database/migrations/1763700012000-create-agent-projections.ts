import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * widget-api's own read model of agents, built from `agent_updated` / `agent_deleted` / `kb_status_changed` events
 * (widget-api never reads the agents schema). `version` only grows: an older event never overwrites a newer one.
 */
export class CreateAgentProjections1763700012000 implements MigrationInterface {
  name = 'CreateAgentProjections1763700012000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE widget.agent_projections (
        agent_id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL,
        version integer NOT NULL,
        agent jsonb NOT NULL,
        kb_status text NOT NULL DEFAULT 'empty' CHECK (kb_status IN ('empty', 'indexing', 'ready', 'failed')),
        deleted boolean NOT NULL DEFAULT false,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX agent_projections_tenant_idx ON widget.agent_projections (tenant_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE widget.agent_projections`);
  }
}
