/**
 * The one interface every reply engine implements: the embedded offline retrieval answerer (default, no keys),
 * Gemini through `@google/genai`, and any OpenAI-compatible chat-completions server. Engines only turn a question,
 * history and retrieved passages into reply text; intent and lead detection, persistence and events belong to the
 * interact service.
 */
export const ENGINE_NAMES = ['offline', 'gemini', 'openai'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/** A knowledge-base passage handed to the engine (best first). */
export interface EnginePassage {
  chunkId: string;
  documentId: string;
  /** Document name or page title. */
  title: string;
  /** Heading path inside the document, outermost first (may be empty). */
  headingPath: string[];
  text: string;
  score: number;
  /** Where the passage comes from: the URL for web sources, else the document name. */
  source: string;
}

/** What the engine needs to know about the agent (non-secret settings, TIXAE names mapped to plain ones). */
export interface EngineAgent {
  id: string;
  title: string;
  /** `vg_prompt`. */
  prompt: string | null;
  /** `vg_temperature`. */
  temperature: number | null;
  /** `vg_defaultModel`. */
  model: string | null;
  /** `vg_maxTokens`. */
  maxTokens: number | null;
  /** ISO 639-1 (`lang`). */
  lang: string;
}

export interface EngineHistoryEntry {
  from: 'human' | 'bot';
  text: string;
}

export interface EngineRequest {
  agent: EngineAgent;
  /** Earlier text exchanges, oldest first (already trimmed to a sensible window). */
  history: EngineHistoryEntry[];
  question: string;
  passages: EnginePassage[];
  /** Aborted when the client goes away (streaming) or the request times out. */
  signal?: AbortSignal;
}

export interface EngineSource {
  documentId: string;
  chunkId: string;
  title: string;
  source: string;
}

export interface EngineReply {
  text: string;
  /** The passages the reply is grounded on (empty when the engine did not use any). */
  sources: EngineSource[];
  /** True when the engine could not answer from what it has (the offline engine says so plainly). */
  unanswered: boolean;
  /** Intents the engine itself reports (beyond the interact service's own detection), e.g. `pricing`. */
  intents: { intent: string; confidence: number | null }[];
}

export interface ChatEngine {
  readonly name: EngineName;
  /**
   * Produces the reply. When `onDelta` is given, reply text is passed to it in order as it is produced (the
   * concatenation of all deltas equals `reply.text`); the promise resolves once the reply is complete.
   */
  reply(request: EngineRequest, onDelta?: (text: string) => void): Promise<EngineReply>;
}

/** An engine failure the caller may show to the user (provider down, bad key, timeout). */
export class EngineError extends Error {
  constructor(
    readonly engine: EngineName,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}
