import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A workspace can be deleted: its row stays (status `deleted`, when) so ids are never reused; its keys are revoked. */
export class TenantDeletion1763700011000 implements MigrationInterface {
  name = 'TenantDeletion1763700011000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tenancy.tenants DROP CONSTRAINT IF EXISTS tenants_status_check`);
    await q.query(`ALTER TABLE tenancy.tenants ADD CONSTRAINT tenants_status_check CHECK (status IN ('active', 'suspended', 'deleted'))`);
    await q.query(`ALTER TABLE tenancy.tenants ADD COLUMN deleted_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tenancy.tenants DROP COLUMN deleted_at`);
    await q.query(`ALTER TABLE tenancy.tenants DROP CONSTRAINT tenants_status_check`);
    await q.query(`ALTER TABLE tenancy.tenants ADD CONSTRAINT tenants_status_check CHECK (status IN ('active', 'suspended'))`);
  }
}
