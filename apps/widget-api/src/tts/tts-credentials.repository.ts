import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { TenantId } from '@chatbot/tenant-auth';
import { DataSource } from 'typeorm';
import { TtsCredentialsEntity } from './tts-credentials.entity';

export interface StoredCredentialsInput {
  clientEmail: string;
  projectId: string;
  privateKeyId: string | null;
  secret: string;
  keyId: string;
}

/** widget.tts_credentials, always scoped by tenant id. */
@Injectable()
export class TtsCredentialsRepository {
  constructor(private readonly dataSource: DataSource) {}

  find(tenantId: TenantId): Promise<TtsCredentialsEntity | null> {
    return this.dataSource.getRepository(TtsCredentialsEntity).findOne({ where: { tenantId } });
  }

  /** Inserts or replaces the tenant's service account, with a new credentials id. */
  async upsert(tenantId: TenantId, input: StoredCredentialsInput): Promise<TtsCredentialsEntity> {
    const rows = await this.dataSource.query<Record<string, unknown>[]>(
      `INSERT INTO widget.tts_credentials (tenant_id, credentials_id, client_email, project_id, private_key_id, secret, key_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (tenant_id) DO UPDATE SET credentials_id = excluded.credentials_id, client_email = excluded.client_email,
         project_id = excluded.project_id, private_key_id = excluded.private_key_id, secret = excluded.secret,
         key_id = excluded.key_id, updated_at = now()
       RETURNING tenant_id`,
      [tenantId, randomUUID(), input.clientEmail, input.projectId, input.privateKeyId, input.secret, input.keyId],
    );
    if (rows.length !== 1) throw new Error('tts credentials upsert returned no row');
    return (await this.find(tenantId))!;
  }

  async delete(tenantId: TenantId): Promise<boolean> {
    const result = await this.dataSource.getRepository(TtsCredentialsEntity).delete({ tenantId });
    return (result.affected ?? 0) > 0;
  }
}
