import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Agents (TIXAE V3 "agents", ChatVix "chatbots"). Queried fields are columns; the rest of the non-secret wire fields
 * live in `settings`; channel credentials and keys only in `secrets_encrypted` (SecretBox envelope of a JSON object).
 */
export class CreateAgents1763700007000 implements MigrationInterface {
  name = 'CreateAgents1763700007000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE agents.agents (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        platform text NOT NULL DEFAULT 'vg' CHECK (platform IN ('vf', 'vg')),
        title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
        disabled boolean NOT NULL DEFAULT false,
        settings jsonb NOT NULL DEFAULT '{}',
        secrets_encrypted text,
        api_key_id uuid,
        api_key_prefix text,
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX agents_tenant_id_idx ON agents.agents (tenant_id, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE agents.agents`);
  }
}
