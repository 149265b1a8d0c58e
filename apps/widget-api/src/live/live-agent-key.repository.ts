import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface StoredAgentKey {
  keyId: string;
  keyCiphertext: string;
}

/** `widget.live_agent_keys`: the encrypted agent-scoped key widget-api uses to call Chat Interact for one agent. */
@Injectable()
export class LiveAgentKeyRepository {
  constructor(private readonly dataSource: DataSource) {}

  async find(tenantId: string, agentId: string): Promise<StoredAgentKey | null> {
    const rows = await this.dataSource.query<{ key_id: string; key_ciphertext: string }[]>(
      'SELECT key_id, key_ciphertext FROM widget.live_agent_keys WHERE tenant_id = $1 AND agent_id = $2',
      [tenantId, agentId],
    );
    const row = rows[0];
    return row ? { keyId: row.key_id, keyCiphertext: row.key_ciphertext } : null;
  }

  /** Inserts unless another instance won the race; returns the row that is stored afterwards. */
  async insertOrGet(tenantId: string, agentId: string, key: StoredAgentKey): Promise<StoredAgentKey> {
    await this.dataSource.query(
      `INSERT INTO widget.live_agent_keys (tenant_id, agent_id, key_id, key_ciphertext) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tenant_id, agent_id) DO NOTHING`,
      [tenantId, agentId, key.keyId, key.keyCiphertext],
    );
    const stored = await this.find(tenantId, agentId);
    if (!stored) throw new Error(`agent key of ${agentId} vanished right after insert`);
    return stored;
  }

  /** Forgets a key that no longer works (revoked), only if it is still the stored one. */
  async remove(tenantId: string, agentId: string, keyId: string): Promise<void> {
    await this.dataSource.query('DELETE FROM widget.live_agent_keys WHERE tenant_id = $1 AND agent_id = $2 AND key_id = $3', [
      tenantId,
      agentId,
      keyId,
    ]);
  }
}
