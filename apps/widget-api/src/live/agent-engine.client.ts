import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, APP_LOGGER, type AppLogger } from '@chatbot/platform';
import { SecretBox, TenancyAdminService } from '@chatbot/tenant-auth';
import type { WidgetApiConfig } from '../config/widget-api.config';
import { LiveAgentKeyRepository, type StoredAgentKey } from './live-agent-key.repository';

export interface AgentTurnResult {
  /** The bot's text messages of this turn, in order (empty when a human operator has the conversation). */
  texts: string[];
  chatState: string | null;
}

export class AgentEngineError extends Error {
  override name = 'AgentEngineError';
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
  }
}

const KEY_NAME = 'widget-api live sessions (internal)';
const TIMEOUT_MS = 60_000;

interface InteractBody {
  actionMessages?: { type?: string; item?: unknown }[];
  chatState?: string;
  message?: string;
}

/**
 * Carries a platform Live session's turns to the agent's engine: agents-api Chat Interact over internal HTTP
 * (`POST /v3/agents/:agentId/interact/:userId`, userId = the Live session id, so one session is one conversation).
 *
 * Authentication: an agent-scoped API key of that agent, minted through the tenancy library on first use and kept
 * encrypted in `widget.live_agent_keys` (shared by every instance, bound to tenant and agent by the AEAD). An agent key
 * reaches only that agent's routes, so a leak cannot touch the rest of the workspace. If the key stops working
 * (revoked), it is forgotten and a new one minted once, unless the tenant is no longer active.
 */
@Injectable()
export class AgentEngineClient {
  private readonly baseUrl: string;
  private readonly cache = new Map<string, { keyId: string; apiKey: string }>();

  constructor(
    @Inject(APP_CONFIG) config: WidgetApiConfig,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
    private readonly keys: LiveAgentKeyRepository,
    private readonly tenancy: TenancyAdminService,
    private readonly secrets: SecretBox,
  ) {
    this.baseUrl = config.AGENTS_API_INTERNAL_URL.replace(/\/+$/, '');
  }

  /** `launch` plays the agent's initial messages; `text` asks the engine. */
  async turn(tenantId: string, agentId: string, userId: string, action: { type: 'launch' } | { type: 'text'; payload: string }): Promise<AgentTurnResult> {
    let key = await this.key(tenantId, agentId);
    let response = await this.interact(agentId, userId, key.apiKey, action);
    if (response.status === 401) {
      this.logger.warn({ tenantId, agentId, keyId: key.keyId }, 'live agent key refused by agents-api; minting a new one');
      this.cache.delete(cacheKey(tenantId, agentId));
      await this.keys.remove(tenantId, agentId, key.keyId);
      const tenant = await this.tenancy.findTenant(tenantId);
      if (tenant?.status !== 'active') throw new AgentEngineError('the workspace is not active', 401);
      key = await this.key(tenantId, agentId);
      response = await this.interact(agentId, userId, key.apiKey, action);
    }
    const text = await response.text();
    let body: InteractBody = {};
    try {
      body = text ? (JSON.parse(text) as InteractBody) : {};
    } catch {
      // not JSON: reported below by status
    }
    if (!response.ok) {
      throw new AgentEngineError(body.message ?? `agents-api answered ${response.status}`, response.status);
    }
    const texts = (body.actionMessages ?? [])
      .filter((m) => m.type === 'text')
      .map((m) => itemText(m.item))
      .filter((t): t is string => t !== null && t.trim().length > 0);
    return { texts, chatState: body.chatState ?? null };
  }

  private async interact(agentId: string, userId: string, apiKey: string, action: { type: string; payload?: string }): Promise<Response> {
    const url = `${this.baseUrl}/v3/agents/${encodeURIComponent(agentId)}/interact/${encodeURIComponent(userId)}`;
    try {
      return await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ action, origin: 'web-chat' }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      throw new AgentEngineError(`agents-api unreachable: ${(err as Error).message}`, null);
    }
  }

  private async key(tenantId: string, agentId: string): Promise<{ keyId: string; apiKey: string }> {
    const id = cacheKey(tenantId, agentId);
    const cached = this.cache.get(id);
    if (cached) return cached;
    let stored: StoredAgentKey | null = await this.keys.find(tenantId, agentId);
    if (!stored) {
      const created = await this.tenancy.createKey({ tenantId, agentId, name: KEY_NAME });
      stored = await this.keys.insertOrGet(tenantId, agentId, {
        keyId: created.keyId,
        keyCiphertext: this.secrets.encrypt(created.apiKey, associatedData(tenantId, agentId)),
      });
      // Another instance stored its key first: ours is not needed.
      if (stored.keyId !== created.keyId) await this.tenancy.revokeKey(created.keyId);
    }
    const key = { keyId: stored.keyId, apiKey: this.secrets.decrypt(stored.keyCiphertext, associatedData(tenantId, agentId)) };
    if (this.cache.size >= 10_000) this.cache.clear();
    this.cache.set(id, key);
    return key;
  }
}

function cacheKey(tenantId: string, agentId: string): string {
  return `${tenantId}/${agentId}`;
}

function associatedData(tenantId: string, agentId: string): string {
  return `widget.live_agent_keys:${tenantId}:${agentId}`;
}

function itemText(item: unknown): string | null {
  if (typeof item === 'string') return item;
  if (item && typeof item === 'object') {
    const record = item as Record<string, unknown>;
    for (const field of ['message', 'text']) if (typeof record[field] === 'string') return record[field];
  }
  return null;
}
