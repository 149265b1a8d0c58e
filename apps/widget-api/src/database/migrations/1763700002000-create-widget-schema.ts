import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The `widget` schema, owned by widget-api. Its tables arrive with their features. */
export class CreateWidgetSchema1763700002000 implements MigrationInterface {
  name = 'CreateWidgetSchema1763700002000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE SCHEMA IF NOT EXISTS widget');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP SCHEMA IF EXISTS widget CASCADE');
  }
}
