import { createHash } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy, Optional } from '@nestjs/common';
import { APP_CONFIG, APP_LOGGER, type AppLogger } from '@chatbot/platform';
import type { AgentsApiConfig } from '../config/agents-api.config';
import { type ChatEngine, type EngineAgent, EngineError, type EngineName, type EngineReply, type EngineRequest } from './chat-engine';
import { GeminiEngine } from './gemini-engine';
import { OfflineEngine } from './offline-engine';
import { OpenAiCompatibleEngine } from './openai-compatible-engine';
import { isGeminiModel } from './prompt';

/** The engine variables of the agents-api config. */
export type EngineConfig = Pick<
  AgentsApiConfig,
  | 'CHAT_ENGINE'
  | 'ENGINE_TIMEOUT_MS'
  | 'GEMINI_API_KEY'
  | 'GEMINI_BASE_URL'
  | 'GEMINI_MODEL'
  | 'OPENAI_COMPAT_BASE_URL'
  | 'OPENAI_COMPAT_API_KEY'
  | 'OPENAI_COMPAT_MODEL'
>;

export interface EngineChoiceOptions {
  /** A tenant's own Gemini key (decrypted); takes precedence over GEMINI_API_KEY. Ignored when CHAT_ENGINE=offline/openai. */
  geminiApiKey?: string | null;
}

export interface EngineOutcome {
  reply: EngineReply;
  /** The engine that produced `reply`. */
  engine: EngineName;
  /** Set when the chosen remote engine failed and the offline engine answered instead. */
  fallbackFrom?: EngineError;
}

/** Clients built for tenants' own Gemini keys, kept (bounded) so that each key gets one client, not one per request. */
const MAX_TENANT_CLIENTS = 200;

/**
 * Chooses the reply engine. CHAT_ENGINE=auto picks gemini when a Gemini key is known (GEMINI_API_KEY or the tenant's),
 * else the OpenAI-compatible server when OPENAI_COMPAT_BASE_URL is set, else the offline engine; when both remote
 * engines are configured, an agent whose model is not a Gemini id goes to the OpenAI-compatible server. Engines (and
 * their HTTP clients) are built once and reused.
 */
@Injectable()
export class EngineResolver implements OnModuleDestroy {
  /** The embedded engine: always available, never fails. */
  readonly offline = new OfflineEngine();
  private readonly gemini?: GeminiEngine;
  private readonly openai?: OpenAiCompatibleEngine;
  private readonly tenantGemini = new Map<string, GeminiEngine>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: EngineConfig,
    @Optional() @Inject(APP_LOGGER) private readonly logger?: AppLogger,
  ) {
    if (config.CHAT_ENGINE === 'gemini' && !config.GEMINI_API_KEY) {
      throw new Error('CHAT_ENGINE=gemini needs GEMINI_API_KEY (or use CHAT_ENGINE=auto to fall back to the offline engine)');
    }
    if (config.CHAT_ENGINE === 'openai' && !config.OPENAI_COMPAT_BASE_URL) {
      throw new Error('CHAT_ENGINE=openai needs OPENAI_COMPAT_BASE_URL (or use CHAT_ENGINE=auto to fall back to the offline engine)');
    }
    const remote = config.CHAT_ENGINE !== 'offline';
    if (remote && config.CHAT_ENGINE !== 'openai' && config.GEMINI_API_KEY) this.gemini = this.buildGemini(config.GEMINI_API_KEY);
    if (remote && config.CHAT_ENGINE !== 'gemini' && config.OPENAI_COMPAT_BASE_URL) {
      this.openai = new OpenAiCompatibleEngine({
        baseUrl: config.OPENAI_COMPAT_BASE_URL,
        apiKey: config.OPENAI_COMPAT_API_KEY,
        model: config.OPENAI_COMPAT_MODEL,
        timeoutMs: config.ENGINE_TIMEOUT_MS,
      });
    }
  }

  /** Which engines this process can use with its own configuration (offline always; tenant Gemini keys aside). */
  available(): EngineName[] {
    const names: EngineName[] = ['offline'];
    if (this.gemini) names.push('gemini');
    if (this.openai) names.push('openai');
    return names;
  }

  /** The engine for this agent (and tenant key, if any). Cheap: no client is built per call. */
  engineFor(agent: Pick<EngineAgent, 'model'>, options: EngineChoiceOptions = {}): ChatEngine {
    const mode = this.config.CHAT_ENGINE;
    if (mode === 'offline') return this.offline;
    if (mode === 'openai') return this.openai ?? this.offline;
    const gemini = this.geminiFor(options.geminiApiKey);
    if (mode === 'gemini') return gemini ?? this.offline;
    if (gemini && (isGeminiModel(agent.model) || !this.openai)) return gemini;
    return this.openai ?? gemini ?? this.offline;
  }

  /**
   * Replies with the engine for `request.agent`; when a remote engine fails (EngineError) before it streamed
   * anything, answers with the offline engine instead and says so in `fallbackFrom`. An engine failure after some
   * deltas were already passed to `onDelta`, or after `request.signal` aborted, is rethrown (as EngineError).
   */
  async replyWithFallback(request: EngineRequest, onDelta?: (text: string) => void, options: EngineChoiceOptions = {}): Promise<EngineOutcome> {
    const engine = this.engineFor(request.agent, options);
    let streamed = false;
    const forward = onDelta
      ? (text: string) => {
          streamed = true;
          onDelta(text);
        }
      : undefined;
    try {
      return { reply: await engine.reply(request, forward), engine: engine.name };
    } catch (error) {
      const engineError = error instanceof EngineError ? error : new EngineError(engine.name, errorMessage(error), error);
      if (engine === this.offline || streamed || request.signal?.aborted) throw engineError;
      this.logger?.warn({ engine: engine.name, agentId: request.agent.id, err: { message: engineError.message } }, 'reply engine failed; answering offline');
      const reply = await this.offline.reply(request, onDelta);
      return { reply, engine: 'offline', fallbackFrom: engineError };
    }
  }

  /** Closes the remote engines' connection pools. */
  async onModuleDestroy(): Promise<void> {
    const engines = [...(this.gemini ? [this.gemini] : []), ...this.tenantGemini.values()];
    this.tenantGemini.clear();
    await Promise.all(engines.map((engine) => engine.close()));
  }

  private geminiFor(tenantKey: string | null | undefined): GeminiEngine | undefined {
    if (!tenantKey || tenantKey === this.config.GEMINI_API_KEY) return this.gemini;
    const id = createHash('sha256').update(tenantKey).digest('base64url');
    let engine = this.tenantGemini.get(id);
    if (engine) {
      // Most recently used last: the oldest entry is the one evicted.
      this.tenantGemini.delete(id);
    } else {
      engine = this.buildGemini(tenantKey);
      if (this.tenantGemini.size >= MAX_TENANT_CLIENTS) {
        const oldest = this.tenantGemini.keys().next().value!;
        void this.tenantGemini.get(oldest)?.close();
        this.tenantGemini.delete(oldest);
      }
    }
    this.tenantGemini.set(id, engine);
    return engine;
  }

  private buildGemini(apiKey: string): GeminiEngine {
    return new GeminiEngine({
      apiKey,
      baseUrl: this.config.GEMINI_BASE_URL,
      defaultModel: this.config.GEMINI_MODEL,
      timeoutMs: this.config.ENGINE_TIMEOUT_MS,
    });
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
