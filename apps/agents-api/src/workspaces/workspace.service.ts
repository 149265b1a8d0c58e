import { Injectable, NotFoundException } from '@nestjs/common';
import { writeOutboxEvent } from '@chatbot/events';
import { TenancyAdminService, type TenantContext } from '@chatbot/tenant-auth';
import { DataSource } from 'typeorm';
import { AgentCache } from '../agents/agent-cache';
import { requireWorkspace } from './workspace-access';
import { WorkspaceRepository } from './workspace.repository';

/** The workspace (= the key's tenant): read with counts, rename. */
@Injectable()
export class WorkspaceService {
  constructor(
    private readonly repo: WorkspaceRepository,
    private readonly tenancy: TenancyAdminService,
    private readonly dataSource: DataSource,
    private readonly agentCache: AgentCache,
  ) {}

  async get(tenant: TenantContext, workspaceId: string): Promise<Record<string, unknown>> {
    const id = requireWorkspace(tenant, workspaceId);
    const row = await this.tenancy.findTenant(id);
    if (!row) throw new NotFoundException(`Workspace ${workspaceId} not found`);
    const counts = await this.repo.counts(id);
    return {
      ID: row.id,
      name: row.name,
      plan: row.planTier,
      status: row.status,
      agentsCount: counts.agents,
      orgsCount: counts.orgs,
      clientsCount: counts.clients,
      createdAtUNIX: row.createdAt.getTime(),
      lastModified: row.updatedAt.getTime(),
    };
  }

  async edit(tenant: TenantContext, workspaceId: string, name: string): Promise<Record<string, unknown>> {
    const id = requireWorkspace(tenant, workspaceId);
    await this.tenancy.rename(id, name);
    return this.get(tenant, workspaceId);
  }

  /**
   * Deletes the workspace's data in the agents schema (agents cascade to conversations, turns and knowledge base) with
   * an `agent_deleted` event per agent in the same transaction, then marks the tenant deleted and revokes every key.
   * Safe to retry: a second call finds no agents and revokes nothing new.
   */
  async remove(tenant: TenantContext, workspaceId: string): Promise<{ deletedAgents: number; revokedKeys: number }> {
    const id = requireWorkspace(tenant, workspaceId);
    const agentIds = await this.dataSource.transaction(async (m) => {
      // TypeORM answers [rows, affected] for DELETE ... RETURNING on Postgres.
      const [rows] = await m.query<[{ id: string }[], number]>(`DELETE FROM agents.agents WHERE tenant_id = $1 RETURNING id`, [id]);
      await m.query(`DELETE FROM agents.clients WHERE tenant_id = $1`, [id]);
      await m.query(`DELETE FROM agents.orgs WHERE tenant_id = $1`, [id]);
      for (const row of rows) {
        await writeOutboxEvent(m, { tenantId: id, type: 'agent_deleted', aggregateId: row.id, data: { agent_id: row.id } });
      }
      return rows.map((r) => r.id);
    });
    await this.agentCache.invalidateTenant(id);
    const { revokedKeys } = await this.tenancy.deleteTenant(id);
    return { deletedAgents: agentIds.length, revokedKeys };
  }
}
