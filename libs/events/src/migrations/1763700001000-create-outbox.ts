import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateOutbox1763700001000 implements MigrationInterface {
  name = 'CreateOutbox1763700001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS events`);
    await q.query(`
      CREATE TABLE events.outbox (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL,
        event_type text NOT NULL,
        aggregate_id text,
        payload jsonb NOT NULL,
        occurred_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz,
        attempts integer NOT NULL DEFAULT 0,
        last_error text
      )`);
    await q.query(`CREATE INDEX outbox_tenant_id_idx ON events.outbox (tenant_id)`);
    await q.query(`CREATE INDEX outbox_unpublished_idx ON events.outbox (created_at) WHERE published_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE events.outbox`);
  }
}
