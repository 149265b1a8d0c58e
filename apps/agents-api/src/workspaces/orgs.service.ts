import { Injectable, NotFoundException } from '@nestjs/common';
import type { TenantContext } from '@chatbot/tenant-auth';
import type { OrgInputDto } from './dto/workspace.dto';
import type { OrgEntity } from './org.entity';
import { fieldError } from '../tixae/field-error';
import { requireWorkspace } from './workspace-access';
import { WorkspaceRepository } from './workspace.repository';

/** Orgs: groups of a workspace's agents (and clients). */
@Injectable()
export class OrgsService {
  constructor(private readonly repo: WorkspaceRepository) {}

  async listOrgs(tenant: TenantContext, workspaceId: string): Promise<Record<string, unknown>[]> {
    const id = requireWorkspace(tenant, workspaceId);
    const orgs = await this.repo.orgs.find({ where: { tenantId: id }, order: { createdAt: 'ASC' } });
    const agents = await this.repo.orgAgentIds(orgs.map((o) => o.id));
    return orgs.map((o) => this.orgWire(o, agents.get(o.id) ?? []));
  }

  async getOrg(tenant: TenantContext, workspaceId: string, orgId: string): Promise<Record<string, unknown>> {
    const org = await this.requireOrg(tenant, workspaceId, orgId);
    return this.orgWire(org, (await this.repo.orgAgentIds([org.id])).get(org.id) ?? []);
  }

  async createOrg(tenant: TenantContext, workspaceId: string, input: OrgInputDto): Promise<Record<string, unknown>> {
    const id = requireWorkspace(tenant, workspaceId);
    if (!input.name) throw fieldError('org.name', 'name is required');
    await this.checkAgents(tenant, input.agentIds);
    const org = await this.repo.orgs.save(this.repo.orgs.create({ tenantId: id, name: input.name }));
    if (input.agentIds) await this.repo.setOrgAgents(org.id, input.agentIds);
    return this.getOrg(tenant, workspaceId, org.id);
  }

  async editOrg(tenant: TenantContext, workspaceId: string, orgId: string, input: OrgInputDto): Promise<Record<string, unknown>> {
    const org = await this.requireOrg(tenant, workspaceId, orgId);
    await this.checkAgents(tenant, input.agentIds);
    if (input.name !== undefined) await this.repo.orgs.update({ tenantId: org.tenantId, id: org.id }, { name: input.name });
    if (input.agentIds) await this.repo.setOrgAgents(org.id, input.agentIds);
    return this.getOrg(tenant, workspaceId, org.id);
  }

  async deleteOrg(tenant: TenantContext, workspaceId: string, orgId: string): Promise<void> {
    const org = await this.requireOrg(tenant, workspaceId, orgId);
    await this.repo.orgs.delete({ tenantId: org.tenantId, id: org.id });
  }

  private async requireOrg(tenant: TenantContext, workspaceId: string, orgId: string): Promise<OrgEntity> {
    const org = await this.repo.findOrg(requireWorkspace(tenant, workspaceId), orgId);
    if (!org) throw new NotFoundException(`Org ${orgId} not found`);
    return org;
  }

  private async checkAgents(tenant: TenantContext, agentIds: string[] | undefined): Promise<void> {
    if (!agentIds) return;
    const unknown = await this.repo.unknownAgents(tenant.tenantId, agentIds);
    if (unknown.length > 0) throw fieldError('org.agentIds', `unknown agent(s) in this workspace: ${unknown.join(', ')}`);
  }

  private orgWire(org: OrgEntity, agentIds: string[]): Record<string, unknown> {
    return { ID: org.id, name: org.name, agentIds, createdAtUNIX: org.createdAt.getTime(), lastModified: org.updatedAt.getTime() };
  }
}
