import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Orgs (groups of agents and clients inside a workspace) and clients (human operators). */
export class CreateOrgsClients1763700008000 implements MigrationInterface {
  name = 'CreateOrgsClients1763700008000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE agents.orgs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX orgs_tenant_id_idx ON agents.orgs (tenant_id)`);
    await q.query(`
      CREATE TABLE agents.org_agents (
        org_id uuid NOT NULL REFERENCES agents.orgs(id) ON DELETE CASCADE,
        agent_id uuid NOT NULL REFERENCES agents.agents(id) ON DELETE CASCADE,
        PRIMARY KEY (org_id, agent_id)
      )`);
    await q.query(`
      CREATE TABLE agents.clients (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        org_id uuid REFERENCES agents.orgs(id) ON DELETE SET NULL,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        email text NOT NULL,
        role text NOT NULL DEFAULT 'agent' CHECK (role IN ('admin', 'agent', 'viewer')),
        online boolean NOT NULL DEFAULT false,
        last_seen_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX clients_tenant_id_idx ON agents.clients (tenant_id)`);
    await q.query(`CREATE UNIQUE INDEX clients_tenant_email_uq ON agents.clients (tenant_id, lower(email))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE agents.clients`);
    await q.query(`DROP TABLE agents.org_agents`);
    await q.query(`DROP TABLE agents.orgs`);
  }
}
