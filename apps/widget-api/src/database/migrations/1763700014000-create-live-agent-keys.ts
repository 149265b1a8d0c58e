import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Platform Live sessions carry text turns to the agent's engine in agents-api over internal HTTP. widget-api calls it
 * with an agent-scoped API key of that agent (minted through the tenancy library on first use), kept here encrypted
 * (AES-256-GCM, bound to tenant and agent) so it survives restarts and is shared by every instance.
 */
export class CreateLiveAgentKeys1763700014000 implements MigrationInterface {
  name = 'CreateLiveAgentKeys1763700014000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE widget.live_agent_keys (
        tenant_id uuid NOT NULL,
        agent_id uuid NOT NULL,
        key_id uuid NOT NULL,
        key_ciphertext text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, agent_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE widget.live_agent_keys`);
  }
}
