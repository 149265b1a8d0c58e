import { randomUUID } from 'node:crypto';
import { BadRequestException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { writeOutboxEvent } from '@chatbot/events';
import { TenancyAdminService, type TenantContext } from '@chatbot/tenant-auth';
import { DataSource } from 'typeorm';
import { type AgentSecrets, type AgentSettings, DEFAULT_SETTINGS, ISO_639_1, SECRET_FIELDS } from './agent-fields';
import { AgentEntity } from './agent.entity';
import { AgentCache } from './agent-cache';
import { AgentRepository } from './agent.repository';
import { AgentSecretsBox } from './agent-secrets';
import { toWidgetProjection, toWireAgent } from './agent-wire';
import { parseCustomTheme } from './custom-theme';
import type { AgentInputDto } from './dto/agent-input.dto';
import { fieldError } from '../tixae/field-error';

const READ_ONLY = new Set(['ID', 'SECRET_API_KEY', 'createdAtUNIX', 'lastModified']);
const COLUMN_FIELDS = new Set(['agentPlatform', 'title', 'disabled', 'customThemeJSONString', 'customTheme', 'discord']);

@Injectable()
export class AgentsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly agents: AgentRepository,
    private readonly secrets: AgentSecretsBox,
    private readonly tenancy: TenancyAdminService,
    private readonly cache: AgentCache,
  ) {}

  async create(tenant: TenantContext, input: AgentInputDto): Promise<Record<string, unknown>> {
    if (tenant.agentId) throw new ForbiddenException('Agent keys cannot create agents; use a workspace key');
    if (!input.title) throw fieldError('agent.title', 'title is required');
    const { settings, secrets } = this.split(input);
    const id = randomUUID();
    // The agent's own key (SECRET_API_KEY): confined to this agent, shown once.
    const key = await this.tenancy.createKey({ tenantId: tenant.tenantId, agentId: id, name: 'agent SECRET_API_KEY' });
    const agent = Object.assign(new AgentEntity(), {
      id,
      tenantId: tenant.tenantId,
      platform: input.agentPlatform ?? 'vg',
      title: input.title,
      disabled: input.disabled ?? false,
      settings: { ...DEFAULT_SETTINGS, ...settings },
      secretsEncrypted: this.secrets.seal(tenant.tenantId, id, secrets),
      apiKeyId: key.keyId,
      apiKeyPrefix: key.prefix,
      version: 1,
    });
    try {
      return toWireAgent(await this.saveWithEvent(agent), secrets, key.apiKey);
    } catch (err) {
      await this.tenancy.revokeKey(key.keyId).catch(() => undefined);
      throw err;
    }
  }

  async get(tenant: TenantContext, id: string): Promise<Record<string, unknown>> {
    const agent = await this.require(tenant, id);
    return toWireAgent(agent, this.secrets.open(agent.tenantId, agent.id, agent.secretsEncrypted));
  }

  async list(tenant: TenantContext, page: number, limit: number): Promise<{ agents: Record<string, unknown>[]; total: number }> {
    const [rows, total] = await this.agents.list(tenant.tenantId, tenant.agentId, (page - 1) * limit, limit);
    return { agents: rows.map((a) => toWireAgent(a, this.secrets.open(a.tenantId, a.id, a.secretsEncrypted))), total };
  }

  async edit(tenant: TenantContext, id: string, input: AgentInputDto): Promise<Record<string, unknown>> {
    const agent = await this.require(tenant, id);
    const { settings, secrets } = this.split(input);
    const current = this.secrets.open(agent.tenantId, agent.id, agent.secretsEncrypted);
    // An empty string clears a secret; an absent field keeps it.
    const merged: AgentSecrets = { ...current, ...secrets };
    for (const field of SECRET_FIELDS) if (merged[field] === '') delete merged[field];
    if (input.agentPlatform !== undefined) agent.platform = input.agentPlatform;
    if (input.title !== undefined) agent.title = input.title;
    if (input.disabled !== undefined) agent.disabled = input.disabled;
    agent.settings = { ...agent.settings, ...settings };
    agent.secretsEncrypted = this.secrets.seal(tenant.tenantId, agent.id, merged);
    agent.version += 1;
    return toWireAgent(await this.saveWithEvent(agent), merged);
  }

  async remove(tenant: TenantContext, id: string): Promise<void> {
    const agent = await this.require(tenant, id);
    await this.dataSource.transaction(async (manager) => {
      await this.agents.delete(manager, tenant.tenantId, id);
      await writeOutboxEvent(manager, { tenantId: tenant.tenantId, type: 'agent_deleted', aggregateId: id, data: { agent_id: id } });
    });
    await this.cache.invalidate(tenant.tenantId, id);
    if (agent.apiKeyId) await this.tenancy.revokeKey(agent.apiKeyId).catch(() => undefined);
  }

  /** Saves the agent and raises `agent_updated` (the widget projection) in the same transaction. */
  private async saveWithEvent(agent: AgentEntity): Promise<AgentEntity> {
    const saved = await this.dataSource.transaction(async (manager) => {
      const row = await this.agents.save(manager, agent);
      await writeOutboxEvent(manager, {
        tenantId: row.tenantId,
        type: 'agent_updated',
        aggregateId: row.id,
        data: { agent_id: row.id, version: row.version, agent: toWidgetProjection(row) },
      });
      return row;
    });
    await this.cache.invalidate(saved.tenantId, saved.id);
    return saved;
  }

  /** 404 for another tenant's agent, and for any agent but its own when the key is agent-scoped. */
  private async require(tenant: TenantContext, id: string): Promise<AgentEntity> {
    const agent = tenant.agentId && tenant.agentId !== id ? null : await this.agents.find(tenant.tenantId, id);
    if (!agent) throw new NotFoundException(`Agent ${id} not found`);
    return agent;
  }

  /** Validates what class-validator cannot and splits the input into settings and secrets. */
  private split(input: AgentInputDto): { settings: AgentSettings; secrets: AgentSecrets } {
    const problems: { field: string; problems: string[] }[] = [];
    const settings: Record<string, unknown> = {};
    const secrets: AgentSecrets = {};
    for (const [key, value] of Object.entries(input)) {
      if (value === undefined || READ_ONLY.has(key) || COLUMN_FIELDS.has(key)) continue;
      if ((SECRET_FIELDS as readonly string[]).includes(key)) secrets[key as keyof AgentSecrets] = value as string;
      else settings[key] = value;
    }
    if (input.discord) secrets.discordWebhookUrl = input.discord.webhookUrl;
    if (input.lang !== undefined && !ISO_639_1.has(input.lang)) {
      problems.push({ field: 'agent.lang', problems: [`lang must be an ISO 639-1 code such as en, es, de (got "${input.lang}")`] });
    }
    const themeSource = input.customThemeJSONString ?? input.customTheme;
    if (themeSource !== undefined) {
      const parsed = parseCustomTheme(themeSource);
      if (parsed.error) problems.push({ field: 'agent.customThemeJSONString', problems: [parsed.error] });
      else settings['customTheme'] = parsed.theme;
    }
    if (problems.length > 0) {
      throw new BadRequestException({ message: `Validation failed: ${problems.flatMap((p) => p.problems).join('; ')}`, details: problems });
    }
    return { settings: settings, secrets };
  }
}
