import { Injectable } from '@nestjs/common';
import { isUuid } from '@chatbot/tenant-auth';
import { DataSource } from 'typeorm';
import { AgentProjectionEntity, type KbStatus } from './agent-projection.entity';

/** Reads and writes widget-api's agent projection. Writes are idempotent and ordered by `version`. */
@Injectable()
export class AgentProjectionRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The live agent of this tenant; null when unknown, deleted, or another tenant's. */
  async find(tenantId: string, agentId: string): Promise<AgentProjectionEntity | null> {
    if (!isUuid(tenantId) || !isUuid(agentId)) return null;
    return this.dataSource.getRepository(AgentProjectionEntity).findOne({ where: { tenantId, agentId, deleted: false } });
  }

  /**
   * The row as stored, whatever its tenant or state (tombstones and KB-status-only rows too): what the config cache
   * renders from, so a deletion is cached as a "gone" entry. Callers compare the tenant themselves.
   */
  async findAny(agentId: string): Promise<AgentProjectionEntity | null> {
    if (!isUuid(agentId)) return null;
    return this.dataSource.getRepository(AgentProjectionEntity).findOne({ where: { agentId } });
  }

  /** Applies `agent_updated`: inserts, or replaces an older version (a stale or replayed event changes nothing). */
  async upsert(tenantId: string, agentId: string, version: number, agent: Record<string, unknown>): Promise<boolean> {
    const rows = await this.dataSource.query<unknown[]>(
      `INSERT INTO widget.agent_projections (agent_id, tenant_id, version, agent)
       VALUES ($1, $2, $3, $4::jsonb)
       ON CONFLICT (agent_id) DO UPDATE SET version = excluded.version, agent = excluded.agent, updated_at = now()
       WHERE widget.agent_projections.version < excluded.version AND NOT widget.agent_projections.deleted
       RETURNING agent_id`,
      [agentId, tenantId, version, JSON.stringify(agent)],
    );
    return rows.length > 0;
  }

  /** Applies `agent_deleted` (a tombstone: later updates of the same agent are ignored). */
  async markDeleted(tenantId: string, agentId: string): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO widget.agent_projections (agent_id, tenant_id, version, agent, deleted)
       VALUES ($1, $2, 2147483647, '{}'::jsonb, true)
       ON CONFLICT (agent_id) DO UPDATE SET deleted = true, agent = '{}'::jsonb, updated_at = now()`,
      [agentId, tenantId],
    );
  }

  /** Applies `kb_status_changed` (before the agent's first update arrives too: the row waits with version 0). */
  async setKbStatus(tenantId: string, agentId: string, status: KbStatus): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO widget.agent_projections (agent_id, tenant_id, version, agent, kb_status)
       VALUES ($1, $2, 0, '{}'::jsonb, $3)
       ON CONFLICT (agent_id) DO UPDATE SET kb_status = excluded.kb_status, updated_at = now()`,
      [agentId, tenantId, status],
    );
  }
}
