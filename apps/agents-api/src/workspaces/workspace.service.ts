import { Injectable, NotFoundException } from '@nestjs/common';
import { TenancyAdminService, type TenantContext } from '@chatbot/tenant-auth';
import { requireWorkspace } from './workspace-access';
import { WorkspaceRepository } from './workspace.repository';

/** The workspace (= the key's tenant): read with counts, rename. */
@Injectable()
export class WorkspaceService {
  constructor(
    private readonly repo: WorkspaceRepository,
    private readonly tenancy: TenancyAdminService,
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
}
