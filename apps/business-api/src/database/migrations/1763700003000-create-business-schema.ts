import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The `business` schema, owned by business-api. Its tables arrive with their features. */
export class CreateBusinessSchema1763700003000 implements MigrationInterface {
  name = 'CreateBusinessSchema1763700003000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE SCHEMA IF NOT EXISTS business');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP SCHEMA IF EXISTS business CASCADE');
  }
}
