import OpenAI, { APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { ChatCompletionCreateParamsBase, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { type ChatEngine, EngineError, type EngineReply, type EngineRequest } from './chat-engine';
import { buildSystemInstruction, deadline, mergeHistory, passageSources } from './prompt';

export interface OpenAiCompatibleEngineOptions {
  /** e.g. `http://127.0.0.1:8080/v1` (llama.cpp), `http://127.0.0.1:11434/v1` (Ollama). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer …`; local servers usually need none. */
  apiKey?: string;
  model: string;
  /** Per request, streaming included. */
  timeoutMs: number;
}

/** Local servers ignore the key, but the client insists on one. */
const NO_KEY = 'not-needed';

/**
 * Replies through any OpenAI-compatible chat-completions server with the real `openai` client
 * (`chat.completions.create`, `stream: true` when streaming). One client per engine instance, no SDK retries. Every
 * failure rejects with `EngineError`.
 */
export class OpenAiCompatibleEngine implements ChatEngine {
  readonly name = 'openai' as const;
  private readonly client: OpenAI;

  constructor(private readonly options: OpenAiCompatibleEngineOptions) {
    this.client = new OpenAI({
      baseURL: options.baseUrl,
      apiKey: options.apiKey || NO_KEY,
      // Explicit nulls: never pick up OPENAI_* variables from the environment.
      organization: null,
      project: null,
      adminAPIKey: null,
      webhookSecret: null,
      // Our own deadline (see reply) fires first; this is a backstop.
      timeout: options.timeoutMs + 1000,
      maxRetries: 0,
    });
  }

  async reply(request: EngineRequest, onDelta?: (text: string) => void): Promise<EngineReply> {
    const body = this.body(request);
    const limit = deadline(this.options.timeoutMs, request.signal);
    const requestOptions = { signal: limit.signal };
    let text = '';
    try {
      if (onDelta) {
        const stream = await this.client.chat.completions.create({ ...body, stream: true }, requestOptions);
        let finishReason: string | null = null;
        for await (const chunk of stream) {
          const choice = chunk.choices[0];
          if (!choice) continue;
          finishReason = choice.finish_reason ?? finishReason;
          const delta = choice.delta?.content;
          if (!delta) continue;
          text += delta;
          onDelta(delta);
        }
        if (!text.trim()) throw new EngineError('openai', `the model returned no text${finishReason ? ` (finish_reason ${finishReason})` : ''}`);
      } else {
        const completion = await this.client.chat.completions.create({ ...body, stream: false }, requestOptions);
        const choice = completion.choices[0];
        text = (choice?.message.content ?? '').trim();
        if (!text) throw new EngineError('openai', `the model returned no text${choice?.finish_reason ? ` (finish_reason ${choice.finish_reason})` : ''}`);
      }
    } catch (error) {
      throw toEngineError(error, limit.timedOut());
    }
    return { text, sources: passageSources(request.passages), unanswered: false, intents: [] };
  }

  private body(request: EngineRequest): Omit<ChatCompletionCreateParamsBase, 'stream'> {
    const messages: ChatCompletionMessageParam[] = [{ role: 'system', content: buildSystemInstruction(request.agent, request.passages) }];
    for (const entry of mergeHistory(request.history)) {
      messages.push(entry.from === 'human' ? { role: 'user', content: entry.text } : { role: 'assistant', content: entry.text });
    }
    const last = messages[messages.length - 1]!;
    if (last.role === 'user' && typeof last.content === 'string') last.content = `${last.content}\n${request.question}`;
    else messages.push({ role: 'user', content: request.question });
    const { temperature, maxTokens } = request.agent;
    return {
      model: this.options.model,
      messages,
      ...(temperature !== null && Number.isFinite(temperature) ? { temperature } : {}),
      // `max_tokens` rather than `max_completion_tokens`: it is what local servers understand.
      ...(maxTokens !== null && maxTokens > 0 ? { max_tokens: Math.floor(maxTokens) } : {}),
    };
  }
}

function toEngineError(error: unknown, timedOut: boolean): EngineError {
  if (error instanceof EngineError) return error;
  if (timedOut || error instanceof APIConnectionTimeoutError) return new EngineError('openai', 'OpenAI-compatible request timed out', error);
  if (error instanceof APIUserAbortError) return new EngineError('openai', 'OpenAI-compatible request aborted', error);
  if (error instanceof APIError) {
    const status = error.status === undefined ? '' : ` with HTTP ${error.status}`;
    const hint = error.status === 401 || error.status === 403 ? ' (check OPENAI_COMPAT_API_KEY)' : '';
    return new EngineError('openai', `OpenAI-compatible request failed${status}${hint}: ${shorten(error.message)}`, error);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new EngineError('openai', `OpenAI-compatible request failed: ${shorten(message)}`, error);
}

function shorten(message: string): string {
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}
