import { type ConfigOf, commonEnvSchema, envVar, intSchema, portSchema } from '@chatbot/platform';
import { z } from 'zod';

export const widgetApiEnvSchema = {
  ...commonEnvSchema,
  WIDGET_API_PORT: envVar(portSchema('WIDGET_API_PORT'), {
    default: '3001',
    description: 'HTTP port of widget-api.',
  }),
  // Text-to-speech (apps/widget-api/src/tts).
  TTS_GOOGLE_BASE_URL: envVar(
    z.string().refine((value) => /^https?:\/\/[^\s/?#:]+(:\d{1,5})?\/?$/i.test(value), 'must be an http:// or https:// origin (scheme, host, optional port)'),
    {
      default: 'https://texttospeech.googleapis.com',
      description:
        'Google Cloud Text-to-Speech endpoint (REST transport) used with a tenant service account; tests point it at a local fake.',
    },
  ),
  TTS_SYNTHESIS_TIMEOUT_MS: envVar(intSchema(1000, 300_000), {
    default: '30000',
    description: 'Timeout of one speech synthesis (a Google Cloud TTS call, or one eSpeak NG run in a worker thread).',
  }),
  TTS_ESPEAK_WORKERS: envVar(intSchema(1, 16), {
    default: '1',
    description: 'Worker threads running the embedded eSpeak NG (WebAssembly) synthesizer; each run takes ~0.2 s of CPU per 200 characters.',
  }),
  TTS_CACHE_TTL_SECONDS: envVar(intSchema(1, 2_592_000), {
    default: '86400',
    description: 'How long generated speech stays in the Redis content-hash cache (identical requests are not re-synthesised).',
  }),
  TTS_CACHE_MAX_BYTES: envVar(intSchema(0, 17_179_869_184), {
    default: '268435456',
    description: 'Total size cap of the Redis TTS cache, in bytes (the oldest entries are evicted first); 0 disables the cache.',
  }),
  // Live sessions (apps/widget-api/src/live).
  GEMINI_API_KEY: envVar(z.string().min(1).optional(), {
    description:
      'Gemini API key (global; never sent to browsers). agents-api: with CHAT_ENGINE=auto / KB_EMBEDDINGS=auto it makes ' +
      'Gemini the reply engine and the KB question embedder; worker: with KB_EMBEDDINGS=auto it embeds KB chunks. ' +
      'widget-api: Live sessions get a single-use Gemini Live ephemeral token; unset = the platform serves Live itself.',
    secret: true,
  }),
  GEMINI_BASE_URL: envVar(
    z
      .string()
      .refine((value) => /^https?:\/\/[^\s/]+/i.test(value), 'must be an http:// or https:// URL')
      .optional(),
    { description: 'Overrides the Gemini API base URL (the SDK httpOptions.baseUrl), e.g. a proxy. Unset = Google default.' },
  ),
  GEMINI_LIVE_MODEL: envVar(z.string().min(1, 'must not be empty'), {
    default: 'gemini-live-2.5-flash-preview',
    description: 'Gemini Live model an ephemeral Live token is locked to (widget-api, when GEMINI_API_KEY is set).',
  }),
  GEMINI_LIVE_VOICE: envVar(z.string().regex(/^[A-Za-z]{2,40}$/, 'must be a Gemini prebuilt voice name, e.g. Kore'), {
    default: 'Kore',
    description: 'Gemini Live prebuilt voice an ephemeral Live token is locked to (e.g. Kore, Puck, Charon, Aoede).',
  }),
  PUBLIC_BASE_URL: envVar(
    z
      .string()
      .refine((value) => /^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/i.test(value), 'must be an http:// or https:// URL without query')
      .optional(),
    {
      description:
        'Public base URL of widget-api as browsers reach it (e.g. https://widget.example.com), for the platform Live ' +
        'websocketUrl (ws/wss). Unset = derived from the request (Host, X-Forwarded-Proto).',
    },
  ),
  AGENTS_API_INTERNAL_URL: envVar(
    z.string().refine((value) => /^https?:\/\/[^\s/]+/i.test(value), 'must be an http:// or https:// URL'),
    {
      default: 'http://127.0.0.1:3003',
      description: 'agents-api as widget-api reaches it over the internal network (platform Live sessions send text turns to Chat Interact).',
    },
  ),
  WIDGET_CONFIG_RATE_LIMIT: envVar(intSchema(0, 1_000_000_000), {
    default: '120',
    description:
      'GET /api/widget/config requests allowed per client IP per minute (fixed window shared through Redis, counted ' +
      'in-process and synced every 200 ms); over it: 429 with Retry-After. 0 disables the limit.',
  }),
  WIDGET_CONFIG_MAX_AGE_SECONDS: envVar(intSchema(0, 86_400), {
    default: '60',
    description: 'Cache-Control max-age of the widget config (browsers and CDNs revalidate with If-None-Match after it).',
  }),
  WIDGET_CONFIG_STALE_WHILE_REVALIDATE_SECONDS: envVar(intSchema(0, 604_800), {
    default: '300',
    description: 'Cache-Control stale-while-revalidate of the widget config (a stale copy may be shown while refetching).',
  }),
  WIDGET_CONFIG_CACHE_TTL_MS: envVar(intSchema(0, 3_600_000), {
    default: '10000',
    description:
      'How long a rendered widget config stays in the in-process cache (changes are pushed over Redis pub/sub at ' +
      'once; this bounds staleness if a message is lost). 0 disables the in-process cache.',
  }),
  WIDGET_CONFIG_CACHE_MAX_ENTRIES: envVar(intSchema(1, 1_000_000), {
    default: '10000',
    description: 'Most chatbots kept in the in-process widget config cache (least recently used ones are dropped).',
  }),
  WIDGET_CONFIG_REDIS_TTL_SECONDS: envVar(intSchema(1, 604_800), {
    default: '3600',
    description: 'How long a rendered widget config is kept in the shared Redis cache (refreshed on every projection change).',
  }),
} as const;

export type WidgetApiConfig = ConfigOf<typeof widgetApiEnvSchema>;
