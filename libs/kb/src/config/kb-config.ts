import { type ConfigOf, type CommonConfig, envVar, intSchema as int } from '@chatbot/platform';
import type { SsrfPolicy } from '@chatbot/webhooks';
import { z } from 'zod';

/**
 * Knowledge-base settings shared by agents-api (validates sources at POST time, enqueues ingestion jobs, embeds
 * questions) and the worker (runs the ingestion jobs, embeds chunks). The worker's own ingestion settings
 * (concurrency, fetch limits, refresh scan) live in its config.
 */
export const kbSharedEnvSchema = {
  KB_SSRF_PROTECTION: envVar(z.enum(['auto', 'on', 'off'], { message: 'must be auto, on or off' }), {
    default: 'auto',
    description:
      'Refuse knowledge-base url and sitemap sources on private, loopback, link-local and metadata addresses: at POST ' +
      'time (400, agents-api) and on every fetch (worker). auto = on when NODE_ENV=production.',
  }),
  KB_SSRF_ALLOWLIST: envVar(z.string(), {
    default: '',
    description: 'Comma-separated CIDRs, IPs or hostnames knowledge-base fetches may reach despite the SSRF guard (intranet sites).',
  }),
  KB_INGEST_ATTEMPTS: envVar(int(1, 20), {
    default: '4',
    description: 'Attempts of one ingestion job when fetching fails transiently (timeout, connection error, 5xx, 429); 4xx fail at once.',
  }),
  KB_INGEST_BACKOFF_MS: envVar(int(1, 3600000), {
    default: '5000',
    description: 'First retry delay of a failed ingestion attempt (exponential backoff: doubled on each retry).',
  }),
  KB_EMBEDDINGS: envVar(z.enum(['auto', 'off', 'gemini'], { message: 'must be auto, off or gemini' }), {
    default: 'auto',
    description:
      'Embeddings for hybrid knowledge-base retrieval: gemini (embedContent, needs GEMINI_API_KEY), off, or auto (gemini ' +
      'when GEMINI_API_KEY is set). The worker embeds chunks, agents-api embeds questions; used only when the Postgres ' +
      'vector extension is installed, else full-text search alone.',
  }),
  KB_EMBEDDING_MODEL: envVar(z.string().min(1, 'must not be empty'), {
    default: 'gemini-embedding-001',
    description: 'Gemini embedding model (asked for 768 dimensions, the size of the kb_chunks.embedding column).',
  }),
  KB_EMBEDDING_TIMEOUT_MS: envVar(int(100, 600000), {
    default: '30000',
    description: 'Timeout of one Gemini embedContent request (a batch of up to 100 chunks, or one question).',
  }),
} as const;

/** What the knowledge-base library reads from an app's config (agents-api's and the worker's both have it). */
export type KbSharedConfig = ConfigOf<typeof kbSharedEnvSchema> &
  Pick<CommonConfig, 'NODE_ENV' | 'REDIS_URL' | 'REDIS_PREFIX'> & {
    /** Gemini key and base URL (declared by each app: agents-api also uses them for replies). */
    GEMINI_API_KEY?: string | undefined;
    GEMINI_BASE_URL?: string | undefined;
  };

/** KB_SSRF_PROTECTION: auto = on in production (development and test reach loopback sites, like webhooks do). */
export function kbSsrfPolicy(config: Pick<KbSharedConfig, 'KB_SSRF_PROTECTION' | 'KB_SSRF_ALLOWLIST' | 'NODE_ENV'>): SsrfPolicy {
  const enabled = config.KB_SSRF_PROTECTION === 'on' || (config.KB_SSRF_PROTECTION === 'auto' && config.NODE_ENV === 'production');
  return { enabled, allowlist: config.KB_SSRF_ALLOWLIST.split(',').map((e) => e.trim()).filter(Boolean) };
}
