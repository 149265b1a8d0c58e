import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateTenancy1763700000000 implements MigrationInterface {
  name = 'CreateTenancy1763700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS tenancy`);
    await q.query(`
      CREATE TABLE tenancy.tenants (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        plan_tier text NOT NULL CHECK (plan_tier IN ('starter', 'team', 'business')),
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE tenancy.api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenancy.tenants(id) ON DELETE CASCADE,
        name text,
        prefix text NOT NULL,
        key_hash char(64) NOT NULL UNIQUE,
        scopes text[] NOT NULL DEFAULT '{workspace}',
        agent_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz,
        CHECK (scopes <@ ARRAY['workspace', 'agent', 'widget']::text[] AND cardinality(scopes) > 0),
        CHECK (('agent' = ANY(scopes)) = (agent_id IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX api_keys_tenant_id_idx ON tenancy.api_keys (tenant_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE tenancy.api_keys`);
    await q.query(`DROP TABLE tenancy.tenants`);
  }
}
