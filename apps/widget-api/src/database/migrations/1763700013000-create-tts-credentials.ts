import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A tenant's own Google Cloud service account for text-to-speech (at most one per tenant). The private key is only
 * stored inside `secret` (AES-256-GCM envelope, bound to the tenant id); `client_email` / `project_id` are kept in
 * clear for display. `credentials_id` changes on every replacement: per-tenant clients and cached audio key on it.
 */
export class CreateTtsCredentials1763700013000 implements MigrationInterface {
  name = 'CreateTtsCredentials1763700013000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE widget.tts_credentials (
        tenant_id uuid PRIMARY KEY,
        credentials_id uuid NOT NULL,
        client_email text NOT NULL,
        project_id text NOT NULL,
        private_key_id text,
        secret text NOT NULL,
        key_id text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE widget.tts_credentials`);
  }
}
