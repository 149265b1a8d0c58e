import { ApiError, type Content, type Fetch, type GenerateContentParameters, type GenerateContentResponse, GoogleGenAI } from '@google/genai';
import { Agent, fetch as undiciFetch } from 'undici';
import { type ChatEngine, EngineError, type EngineReply, type EngineRequest } from './chat-engine';
import { buildSystemInstruction, deadline, isGeminiModel, mergeHistory, passageSources } from './prompt';

export interface GeminiEngineOptions {
  apiKey: string;
  /** The SDK's `httpOptions.baseUrl` (a proxy, or a fake server in tests). Unset = Google's endpoint. */
  baseUrl?: string;
  /** Model used when the agent's model is not a Gemini model id. */
  defaultModel: string;
  /** Per request, streaming included. */
  timeoutMs: number;
}

/**
 * Replies through Gemini with the real `@google/genai` client (`models.generateContent`, and
 * `models.generateContentStream` when streaming). System instruction = agent prompt + numbered passages; history is
 * sent as contents. One client per engine instance. Every failure (HTTP error, bad key, timeout, abort, empty reply)
 * rejects with `EngineError`.
 */
export class GeminiEngine implements ChatEngine {
  readonly name = 'gemini' as const;
  private readonly ai: GoogleGenAI;
  /** The engine's own connection pool (keep-alive to the provider), closed by `close()`. */
  private readonly dispatcher: Agent;

  constructor(private readonly options: GeminiEngineOptions) {
    this.dispatcher = new Agent({ headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs, connections: 64 });
    const dispatcher = this.dispatcher;
    this.ai = new GoogleGenAI({
      apiKey: options.apiKey,
      vertexai: false,
      httpOptions: {
        // No SDK retries (none configured): a failed reply falls back (offline engine) rather than keeping the user waiting.
        // Our own deadline (see reply) fires first; this is a backstop.
        timeout: options.timeoutMs + 1000,
        ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
        // undici's fetch with our own dispatcher, instead of the SDK reaching for Node's internal global dispatcher.
        fetch: ((input: string | URL, init?: object) => undiciFetch(input, { ...init, dispatcher })) as unknown as Fetch,
      },
    });
  }

  /** Closes the engine's connections (module shutdown). */
  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  /** The model a request for this agent uses. */
  modelFor(request: Pick<EngineRequest, 'agent'>): string {
    const model = request.agent.model;
    return isGeminiModel(model) ? model.trim().replace(/^models\//, '') : this.options.defaultModel;
  }

  async reply(request: EngineRequest, onDelta?: (text: string) => void): Promise<EngineReply> {
    const limit = deadline(this.options.timeoutMs, request.signal);
    const params = this.params(request, limit.signal);
    let text = '';
    try {
      if (onDelta) {
        const stream = await this.ai.models.generateContentStream(params);
        let finishReason: string | undefined;
        for await (const chunk of stream) {
          const delta = chunkText(chunk);
          finishReason = chunk.candidates?.[0]?.finishReason ?? finishReason;
          if (!delta) continue;
          text += delta;
          onDelta(delta);
        }
        if (!text.trim()) throw new EngineError('gemini', `Gemini returned no text${finishReason ? ` (finishReason ${finishReason})` : ''}`);
      } else {
        const response = await this.ai.models.generateContent(params);
        text = chunkText(response);
        if (!text.trim()) {
          const reason = response.candidates?.[0]?.finishReason ?? response.promptFeedback?.blockReason;
          throw new EngineError('gemini', `Gemini returned no text${reason ? ` (${reason})` : ''}`);
        }
      }
    } catch (error) {
      throw toEngineError(error, limit.timedOut(), request.signal);
    }
    // Streaming: the text is exactly the concatenation of the deltas already sent.
    return { text: onDelta ? text : text.trim(), sources: passageSources(request.passages), unanswered: false, intents: [] };
  }

  private params(request: EngineRequest, abortSignal: AbortSignal): GenerateContentParameters {
    const model = this.modelFor(request);
    const contents: Content[] = mergeHistory(request.history).map((entry) => ({
      role: entry.from === 'human' ? 'user' : 'model',
      parts: [{ text: entry.text }],
    }));
    const last = contents[contents.length - 1];
    if (last?.role === 'user') last.parts = [...(last.parts ?? []), { text: request.question }];
    else contents.push({ role: 'user', parts: [{ text: request.question }] });
    const { temperature, maxTokens } = request.agent;
    return {
      model,
      contents,
      config: {
        systemInstruction: buildSystemInstruction(request.agent, request.passages),
        ...(temperature !== null && Number.isFinite(temperature) ? { temperature } : {}),
        ...(maxTokens !== null && maxTokens > 0 ? { maxOutputTokens: Math.floor(maxTokens) } : {}),
        // 2.5 Flash thinks by default, which costs latency and eats maxOutputTokens: a chat reply does not need it.
        ...(/^gemini-2\.5-flash/.test(model) ? { thinkingConfig: { thinkingBudget: 0 } } : {}),
        abortSignal,
      },
    };
  }
}

/** Text parts of the first candidate (thoughts excluded), without the SDK's warning about non-text parts. */
function chunkText(response: GenerateContentResponse): string {
  const parts = response.candidates?.[0]?.content?.parts;
  if (!parts) return '';
  let text = '';
  for (const part of parts) if (typeof part.text === 'string' && !part.thought) text += part.text;
  return text;
}

function toEngineError(error: unknown, timedOut: boolean, callerSignal: AbortSignal | undefined): EngineError {
  if (error instanceof EngineError) return error;
  if (timedOut) return new EngineError('gemini', 'Gemini request timed out', error);
  if (callerSignal?.aborted) return new EngineError('gemini', 'Gemini request aborted', error);
  if (error instanceof ApiError) {
    const hint = error.status === 401 || error.status === 403 ? ' (check GEMINI_API_KEY)' : '';
    return new EngineError('gemini', `Gemini request failed with HTTP ${error.status}${hint}: ${shorten(error.message)}`, error);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new EngineError('gemini', `Gemini request failed: ${shorten(message)}`, error);
}

function shorten(message: string): string {
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}
