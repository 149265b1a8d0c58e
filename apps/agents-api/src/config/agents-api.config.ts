import { kbSharedEnvSchema } from '@chatbot/kb';
import { type ConfigOf, commonEnvSchema, envVar, intSchema, portSchema } from '@chatbot/platform';
import { z } from 'zod';

const httpUrl = z
  .string()
  .refine((value) => /^https?:\/\/[^\s/]+/i.test(value), 'must be an http:// or https:// URL')
  .optional();

export const agentsApiEnvSchema = {
  ...commonEnvSchema,
  AGENTS_API_PORT: envVar(portSchema('AGENTS_API_PORT'), {
    default: '3003',
    description: 'HTTP port of agents-api.',
  }),
  AGENT_CACHE_TTL_MS: envVar(intSchema(0, 300000), {
    default: '10000',
    description:
      'How long an agent read by Chat Interact stays in memory. Edits and deletes drop it at once on every replica ' +
      '(Redis pub/sub; while the subscription is down nothing is served from memory). 0 = no cache.',
  }),
  CHAT_ENGINE: envVar(z.enum(['auto', 'offline', 'gemini', 'openai'], { message: 'must be auto, offline, gemini or openai' }), {
    default: 'auto',
    description:
      'Reply engine for Chat Interact: offline (built-in retrieval answerer, no network), gemini, openai (an ' +
      'OpenAI-compatible server), or auto (gemini if GEMINI_API_KEY is set, else openai if OPENAI_COMPAT_BASE_URL is ' +
      'set, else offline).',
  }),
  ENGINE_TIMEOUT_MS: envVar(intSchema(1000, 600000), {
    default: '30000',
    description: 'Timeout of one reply request to a remote engine (Gemini, OpenAI-compatible), streaming included.',
  }),
  GEMINI_API_KEY: envVar(z.string().min(1).optional(), {
    description: 'Gemini API key (global; tenants may bring their own). With CHAT_ENGINE=auto, setting it makes Gemini the reply engine.',
    secret: true,
  }),
  GEMINI_BASE_URL: envVar(httpUrl, {
    description: 'Overrides the Gemini API base URL (the SDK httpOptions.baseUrl), e.g. a proxy. Unset = Google default.',
  }),
  GEMINI_MODEL: envVar(z.string().min(1, 'must not be empty'), {
    default: 'gemini-2.5-flash',
    description: 'Gemini model used when the agent model (vg_defaultModel) is not a Gemini model id.',
  }),
  OPENAI_COMPAT_BASE_URL: envVar(httpUrl, {
    description: 'Base URL of an OpenAI-compatible chat-completions server (llama.cpp, Ollama, vLLM...), e.g. http://127.0.0.1:8080/v1.',
  }),
  OPENAI_COMPAT_API_KEY: envVar(z.string().min(1).optional(), {
    description: 'API key sent as a bearer token to OPENAI_COMPAT_BASE_URL (optional; local servers usually need none).',
    secret: true,
  }),
  OPENAI_COMPAT_MODEL: envVar(z.string().min(1, 'must not be empty'), {
    default: 'local-model',
    description: 'Model name sent to the OpenAI-compatible server (llama.cpp ignores it; Ollama needs a pulled model).',
  }),
  ...kbSharedEnvSchema,
  KB_MAX_UPLOAD_BYTES: envVar(intSchema(1024, 209715200), {
    default: '20971520',
    description: 'Largest knowledge-base file upload (multipart POST /v3/agents/:agentId/kb) in bytes; larger uploads answer 413.',
  }),
} as const;

export type AgentsApiConfig = ConfigOf<typeof agentsApiEnvSchema>;
