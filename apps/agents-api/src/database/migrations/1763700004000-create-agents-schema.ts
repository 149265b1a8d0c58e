import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The `agents` schema, owned by agents-api. Its tables arrive with their features. */
export class CreateAgentsSchema1763700004000 implements MigrationInterface {
  name = 'CreateAgentsSchema1763700004000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE SCHEMA IF NOT EXISTS agents');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP SCHEMA IF EXISTS agents CASCADE');
  }
}
