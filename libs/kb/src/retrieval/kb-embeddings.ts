import { ApiError, type Fetch, GoogleGenAI } from '@google/genai';
import { Agent, fetch as undiciFetch } from 'undici';

/** Size of `agents.kb_chunks.embedding` (the migration's `vector(768)`); every provider is asked for this many. */
export const KB_EMBEDDING_DIMENSIONS = 768;

export type EmbeddingTask = 'document' | 'query';

/** Turns texts into vectors of KB_EMBEDDING_DIMENSIONS numbers, one per text, in order. */
export interface KbEmbeddingProvider {
  readonly name: string;
  embed(texts: readonly string[], task: EmbeddingTask): Promise<number[][]>;
  close(): Promise<void>;
}

export class EmbeddingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmbeddingError';
  }
}

export interface GeminiEmbeddingOptions {
  apiKey: string;
  /** The SDK's `httpOptions.baseUrl` (a proxy, or a fake server in tests). */
  baseUrl?: string;
  model: string;
  timeoutMs: number;
}

/** Gemini's limit of texts per batchEmbedContents request. */
const MAX_BATCH = 100;

/**
 * Gemini embeddings through the real `@google/genai` client (`models.embedContent`, which the Gemini Developer API
 * serves as `models/{model}:batchEmbedContents`): RETRIEVAL_DOCUMENT for chunks, RETRIEVAL_QUERY for questions, 768
 * dimensions, batches of up to 100 texts.
 */
export class GeminiEmbeddingProvider implements KbEmbeddingProvider {
  readonly name = 'gemini';
  private readonly ai: GoogleGenAI;
  private readonly dispatcher: Agent;

  constructor(private readonly options: GeminiEmbeddingOptions) {
    this.dispatcher = new Agent({ headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs, connections: 16 });
    const dispatcher = this.dispatcher;
    this.ai = new GoogleGenAI({
      apiKey: options.apiKey,
      vertexai: false,
      httpOptions: {
        timeout: options.timeoutMs,
        ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
        fetch: ((input: string | URL, init?: object) => undiciFetch(input, { ...init, dispatcher })) as unknown as Fetch,
      },
    });
  }

  async embed(texts: readonly string[], task: EmbeddingTask): Promise<number[][]> {
    const out: number[][] = [];
    for (let start = 0; start < texts.length; start += MAX_BATCH) {
      const batch = texts.slice(start, start + MAX_BATCH);
      let embeddings: { values?: number[] }[] | undefined;
      try {
        const response = await this.ai.models.embedContent({
          model: this.options.model,
          contents: batch.map((text) => ({ role: 'user', parts: [{ text }] })),
          config: { taskType: task === 'query' ? 'RETRIEVAL_QUERY' : 'RETRIEVAL_DOCUMENT', outputDimensionality: KB_EMBEDDING_DIMENSIONS },
        });
        embeddings = response.embeddings;
      } catch (err) {
        const detail = err instanceof ApiError ? `HTTP ${err.status}: ${err.message}` : (err as Error).message;
        throw new EmbeddingError(`Gemini embedContent failed (${detail})`);
      }
      if (!embeddings || embeddings.length !== batch.length) {
        throw new EmbeddingError(`Gemini embedContent returned ${embeddings?.length ?? 0} embeddings for ${batch.length} texts`);
      }
      for (const embedding of embeddings) {
        const values = embedding.values;
        if (!values || values.length !== KB_EMBEDDING_DIMENSIONS || !values.every(Number.isFinite)) {
          throw new EmbeddingError(`Gemini embedContent returned a vector of ${values?.length ?? 0} numbers, expected ${KB_EMBEDDING_DIMENSIONS}`);
        }
        out.push(normalize(values));
      }
    }
    return out;
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

/** Unit length (Gemini's reduced-dimension vectors are not normalised); cosine distance then ranks the same. */
export function normalize(values: readonly number[]): number[] {
  const norm = Math.sqrt(values.reduce((sum, v) => sum + v * v, 0));
  return norm > 0 ? values.map((v) => v / norm) : [...values];
}

/** pgvector's text input form: `[0.1,0.2,...]`. */
export function toVectorLiteral(values: readonly number[]): string {
  return `[${values.join(',')}]`;
}
