import { randomUUID } from 'node:crypto';
import { ForbiddenException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { APP_CONFIG } from '@chatbot/platform';
import type { TenantContext } from '@chatbot/tenant-auth';
import type { WidgetApiConfig } from '../config/widget-api.config';
import { AgentProjectionRepository } from '../projection/agent-projection.repository';
import { type CreateLiveSessionDto, DEFAULT_SESSION_TIMEOUT_SECONDS } from './dto/create-live-session.dto';
import type { LiveSessionDto } from './dto/live-session.dto';
import { GeminiLiveTokenProvider } from './gemini-live-token.provider';
import { LIVE_LANGUAGES, type LiveLanguageCode, resolveLiveLanguage } from './live-languages';
import { type LiveSessionRecord, LiveSessionStore } from './live-session.store';

/** Where the browser reaches this service, for the platform endpoint's websocketUrl. */
export interface RequestOrigin {
  protocol: string;
  host: string;
}

export const LIVE_WS_PATH = '/api/live/ws';

/**
 * Creates Live sessions. With a Gemini key: a single-use ephemeral Gemini Live token locked to the agent's prompt,
 * voice and language. Without: a session on the platform's own endpoint (`/api/live/ws`), authenticated by a
 * single-use session token. Either way the session is recorded in Redis for its lifetime.
 */
@Injectable()
export class LiveSessionService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: WidgetApiConfig,
    private readonly agents: AgentProjectionRepository,
    private readonly store: LiveSessionStore,
    private readonly gemini: GeminiLiveTokenProvider,
  ) {}

  async create(tenant: TenantContext, input: CreateLiveSessionDto, origin: RequestOrigin): Promise<LiveSessionDto> {
    if (input.tenantId !== tenant.tenantId) throw new ForbiddenException("tenantId does not match the API key's tenant");
    const projection =
      tenant.agentId && tenant.agentId !== input.chatbotId ? null : await this.agents.find(tenant.tenantId, input.chatbotId);
    if (!projection) throw new NotFoundException(`Chatbot ${input.chatbotId} not found`);
    const agent = projection.agent;
    if (agent['disabled'] === true) throw new ForbiddenException(`Chatbot ${input.chatbotId} is disabled`);

    const languageCode = resolveLiveLanguage(input.languageCode, agent['lang']);
    const timeoutSeconds = input.sessionTimeoutSeconds ?? DEFAULT_SESSION_TIMEOUT_SECONDS;
    const now = new Date();
    const expiresAt = new Date(now.getTime() + timeoutSeconds * 1000);
    const record: LiveSessionRecord = {
      sessionId: randomUUID(),
      tenantId: tenant.tenantId,
      agentId: projection.agentId,
      provider: this.gemini.enabled ? 'gemini' : 'platform',
      languageCode,
      createdAt: now.toISOString(),
      expiresAt: expiresAt.toISOString(),
    };
    const base = { sessionId: record.sessionId, expiresAt: record.expiresAt, provider: record.provider, languageCode };

    if (this.gemini.enabled) {
      const live = await this.gemini.create({ systemInstruction: systemInstruction(agent, languageCode), languageCode, expiresAt });
      await this.store.save(record, timeoutSeconds, false);
      return { ...base, websocketUrl: live.websocketUrl, ephemeralToken: live.token, model: live.model };
    }
    const token = await this.store.save(record, timeoutSeconds, true);
    if (!token) throw new Error('no session token minted');
    const url = new URL(`${this.publicBase(origin)}${LIVE_WS_PATH}`);
    url.searchParams.set('session', token);
    return { ...base, websocketUrl: url.toString() };
  }

  private publicBase(origin: RequestOrigin): string {
    const base = this.config.PUBLIC_BASE_URL ?? `${origin.protocol}://${origin.host}`;
    const url = new URL(base);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return url.toString().replace(/\/+$/, '');
  }
}

/** The agent's prompt, plus the language and the spoken medium (Gemini Live answers by voice). */
function systemInstruction(agent: Record<string, unknown>, languageCode: LiveLanguageCode): string {
  const prompt = typeof agent['vg_prompt'] === 'string' ? agent['vg_prompt'].trim() : '';
  const title = typeof agent['title'] === 'string' && agent['title'].trim() ? agent['title'].trim() : 'the assistant';
  const base = prompt || `You are ${title}, a helpful assistant for this business. Answer briefly and accurately.`;
  return `${base}\n\nThis is a live voice conversation: answer in ${LIVE_LANGUAGES[languageCode].name} (${languageCode}), in short spoken sentences.`;
}
