import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import type { TenantContext } from '@chatbot/tenant-auth';
import type { ClientEntity } from './client.entity';
import type { ClientInputDto } from './dto/workspace.dto';
import { fieldError } from '../tixae/field-error';
import { requireWorkspace } from './workspace-access';
import { WorkspaceRepository } from './workspace.repository';

/** Clients: the workspace's human operators (handoff targets). */
@Injectable()
export class ClientsService {
  constructor(private readonly repo: WorkspaceRepository) {}

  async listClients(tenant: TenantContext, workspaceId: string): Promise<Record<string, unknown>[]> {
    const id = requireWorkspace(tenant, workspaceId);
    const clients = await this.repo.clients.find({ where: { tenantId: id }, order: { createdAt: 'ASC' } });
    return clients.map((c) => this.clientWire(c));
  }

  async getClient(tenant: TenantContext, workspaceId: string, clientId: string): Promise<Record<string, unknown>> {
    return this.clientWire(await this.requireClient(tenant, workspaceId, clientId));
  }

  async createClient(tenant: TenantContext, workspaceId: string, input: ClientInputDto): Promise<Record<string, unknown>> {
    const id = requireWorkspace(tenant, workspaceId);
    if (!input.name) throw fieldError('client.name', 'name is required');
    if (!input.email) throw fieldError('client.email', 'email is required');
    await this.checkOrg(tenant, workspaceId, input.orgId);
    const client = this.repo.clients.create({
      tenantId: id,
      name: input.name,
      email: input.email.toLowerCase(),
      role: input.role ?? 'agent',
      online: input.online ?? false,
      orgId: input.orgId ?? null,
      lastSeenAt: input.online ? new Date() : null,
    });
    return this.clientWire(await this.saveClient(client));
  }

  async editClient(tenant: TenantContext, workspaceId: string, clientId: string, input: ClientInputDto): Promise<Record<string, unknown>> {
    const client = await this.requireClient(tenant, workspaceId, clientId);
    await this.checkOrg(tenant, workspaceId, input.orgId);
    if (input.name !== undefined) client.name = input.name;
    if (input.email !== undefined) client.email = input.email.toLowerCase();
    if (input.role !== undefined) client.role = input.role;
    if (input.orgId !== undefined) client.orgId = input.orgId;
    if (input.online !== undefined) {
      client.online = input.online;
      client.lastSeenAt = new Date();
    }
    return this.clientWire(await this.saveClient(client));
  }

  async deleteClient(tenant: TenantContext, workspaceId: string, clientId: string): Promise<void> {
    const client = await this.requireClient(tenant, workspaceId, clientId);
    await this.repo.clients.delete({ tenantId: client.tenantId, id: client.id });
  }

  private async saveClient(client: ClientEntity): Promise<ClientEntity> {
    try {
      return await this.repo.clients.save(client);
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw new ConflictException(`A client with email ${client.email} already exists in this workspace`);
      throw err;
    }
  }

  private async requireClient(tenant: TenantContext, workspaceId: string, clientId: string): Promise<ClientEntity> {
    const client = await this.repo.findClient(requireWorkspace(tenant, workspaceId), clientId);
    if (!client) throw new NotFoundException(`Client ${clientId} not found`);
    return client;
  }

  private async checkOrg(tenant: TenantContext, workspaceId: string, orgId: string | null | undefined): Promise<void> {
    if (!orgId) return;
    if (!(await this.repo.findOrg(requireWorkspace(tenant, workspaceId), orgId))) throw fieldError('client.orgId', `unknown org ${orgId} in this workspace`);
  }

  private clientWire(client: ClientEntity): Record<string, unknown> {
    return {
      ID: client.id,
      name: client.name,
      email: client.email,
      role: client.role,
      online: client.online,
      orgId: client.orgId,
      lastSeenUNIX: client.lastSeenAt?.getTime() ?? null,
      createdAtUNIX: client.createdAt.getTime(),
      lastModified: client.updatedAt.getTime(),
    };
  }
}
