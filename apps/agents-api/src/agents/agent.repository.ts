import { Injectable } from '@nestjs/common';
import { type TenantId, isUuid } from '@chatbot/tenant-auth';
import { DataSource, type EntityManager, type Repository } from 'typeorm';
import { AgentEntity } from './agent.entity';

/** Every query is scoped by tenant: another tenant's agent is not found. */
@Injectable()
export class AgentRepository {
  private readonly repo: Repository<AgentEntity>;

  constructor(dataSource: DataSource) {
    this.repo = dataSource.getRepository(AgentEntity);
  }

  find(tenantId: TenantId, id: string): Promise<AgentEntity | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return this.repo.findOne({ where: { tenantId, id } });
  }

  /** Oldest first; `onlyId` confines an agent-scoped key to its own agent. */
  list(tenantId: TenantId, onlyId: string | null, skip: number, take: number): Promise<[AgentEntity[], number]> {
    return this.repo.findAndCount({
      where: { tenantId, ...(onlyId ? { id: onlyId } : {}) },
      order: { createdAt: 'ASC', id: 'ASC' },
      skip,
      take,
    });
  }

  save(manager: EntityManager, agent: AgentEntity): Promise<AgentEntity> {
    return manager.getRepository(AgentEntity).save(agent);
  }

  async delete(manager: EntityManager, tenantId: TenantId, id: string): Promise<boolean> {
    const result = await manager.getRepository(AgentEntity).delete({ tenantId, id });
    return (result.affected ?? 0) > 0;
  }
}
