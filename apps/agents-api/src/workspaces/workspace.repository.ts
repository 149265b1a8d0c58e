import { Injectable } from '@nestjs/common';
import { type TenantId, isUuid } from '@chatbot/tenant-auth';
import { DataSource, In, type Repository } from 'typeorm';
import { AgentEntity } from '../agents/agent.entity';
import { ClientEntity } from './client.entity';
import { OrgEntity } from './org.entity';

/** Orgs, their agents, and clients of one workspace; every query is scoped by tenant. */
@Injectable()
export class WorkspaceRepository {
  readonly orgs: Repository<OrgEntity>;
  readonly clients: Repository<ClientEntity>;
  private readonly agents: Repository<AgentEntity>;

  constructor(private readonly dataSource: DataSource) {
    this.orgs = dataSource.getRepository(OrgEntity);
    this.clients = dataSource.getRepository(ClientEntity);
    this.agents = dataSource.getRepository(AgentEntity);
  }

  findOrg(tenantId: TenantId, id: string): Promise<OrgEntity | null> {
    return isUuid(id) ? this.orgs.findOne({ where: { tenantId, id } }) : Promise.resolve(null);
  }

  findClient(tenantId: TenantId, id: string): Promise<ClientEntity | null> {
    return isUuid(id) ? this.clients.findOne({ where: { tenantId, id } }) : Promise.resolve(null);
  }

  /** The ids among `ids` that are not agents of this tenant. */
  async unknownAgents(tenantId: TenantId, ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const found = await this.agents.find({ select: { id: true }, where: { tenantId, id: In([...ids]) } });
    const known = new Set(found.map((a) => a.id));
    return ids.filter((id) => !known.has(id));
  }

  async orgAgentIds(orgIds: readonly string[]): Promise<Map<string, string[]>> {
    const map = new Map<string, string[]>(orgIds.map((id) => [id, []]));
    if (orgIds.length === 0) return map;
    const rows = await this.dataSource.query<{ org_id: string; agent_id: string }[]>(
      `SELECT org_id, agent_id FROM agents.org_agents WHERE org_id = ANY($1::uuid[]) ORDER BY agent_id`,
      [orgIds],
    );
    for (const row of rows) map.get(row.org_id)?.push(row.agent_id);
    return map;
  }

  async setOrgAgents(orgId: string, agentIds: readonly string[]): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.query(`DELETE FROM agents.org_agents WHERE org_id = $1`, [orgId]);
      if (agentIds.length > 0) {
        await manager.query(`INSERT INTO agents.org_agents (org_id, agent_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING`, [orgId, [...new Set(agentIds)]]);
      }
    });
  }

  async counts(tenantId: TenantId): Promise<{ agents: number; orgs: number; clients: number }> {
    const [agents, orgs, clients] = await Promise.all([
      this.agents.count({ where: { tenantId } }),
      this.orgs.count({ where: { tenantId } }),
      this.clients.count({ where: { tenantId } }),
    ]);
    return { agents, orgs, clients };
  }
}
