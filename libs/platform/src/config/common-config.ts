import { z } from 'zod';
import { type ConfigCheck, envVar, type ConfigOf } from './config-definition';

const port = (name: string) =>
  z.coerce
    .number({ message: `${name} must be a number` })
    .int('must be an integer')
    .min(0, 'must be between 0 and 65535')
    .max(65535, 'must be between 0 and 65535');

/** An integer variable within bounds, with messages that say the bounds. */
export const intSchema = (min: number, max: number) =>
  z.coerce.number({ message: 'must be a number' }).int('must be an integer').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);

const postgresUrl = z
  .string({ message: 'is required' })
  .refine((value) => /^postgres(ql)?:\/\/.+/.test(value), 'must be a postgres:// or postgresql:// URL');

const redisUrl = z
  .string({ message: 'is required' })
  .refine((value) => /^rediss?:\/\/.+/.test(value), 'must be a redis:// or rediss:// URL');

const booleanString = z
  .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1');

/** Variables every service reads. App schemas spread this and add their own. */
export const commonEnvSchema = {
  NODE_ENV: envVar(z.enum(['development', 'test', 'production'], { message: 'must be development, test or production' }), {
    default: 'development',
    description: 'Runtime mode. production enforces HTTPS webhooks, the SSRF guard and real secrets.',
  }),
  LOG_LEVEL: envVar(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { message: 'must be a pino level' }), {
    default: 'info',
    description: 'Structured JSON log level (fatal, error, warn, info, debug, trace, silent).',
  }),
  HOST: envVar(z.string().min(1, 'must not be empty'), {
    default: '0.0.0.0',
    description: 'Interface the HTTP server binds to.',
  }),
  DATABASE_URL: envVar(postgresUrl, {
    default: 'postgres://postgres@127.0.0.1:5432/chatbot',
    description: 'PostgreSQL connection URL. The database is created by `npm start` / `npm run migrate` if missing.',
    secret: true,
  }),
  DATABASE_POOL_SIZE: envVar(z.coerce.number().int('must be an integer').min(1, 'must be at least 1').max(200, 'must be at most 200'), {
    default: '10',
    description: 'Maximum PostgreSQL connections per process (the worker and agents-api open up to 4 more, for statements planned once per connection).',
  }),
  REDIS_URL: envVar(redisUrl, {
    default: 'redis://127.0.0.1:6379',
    description: 'Redis connection URL (queues, caches, pub/sub). Redis must use maxmemory-policy noeviction.',
    secret: true,
  }),
  REDIS_PREFIX: envVar(z.string().regex(/^[a-zA-Z0-9:_-]*$/, 'may only contain letters, digits, ":", "_" and "-"'), {
    default: 'cb',
    description: 'Prefix for every Redis key, queue and pub/sub channel (lets several deployments share one Redis).',
  }),
  SECRETS_MASTER_KEYS: envVar(
    z
      .string()
      .regex(
        /^([a-zA-Z0-9_-]{1,32}:[A-Za-z0-9+/]{43}=)(,[a-zA-Z0-9_-]{1,32}:[A-Za-z0-9+/]{43}=)*$/,
        'must be a comma-separated list of keyId:base64(32 bytes)',
      )
      .optional(),
    {
      description:
        'AES-256-GCM master keys for secrets at rest, "keyId:base64key[,keyId:base64key]". The first one encrypts; ' +
        'all decrypt (rotation). Required in production; development/test use a built-in, insecure key.',
      secret: true,
    },
  ),
  BODY_LIMIT_BYTES: envVar(z.coerce.number().int('must be an integer').min(1024, 'must be at least 1024'), {
    default: '1048576',
    description: 'Largest accepted request body in bytes; larger bodies answer 413.',
  }),
  SHUTDOWN_TIMEOUT_MS: envVar(z.coerce.number().int('must be an integer').min(100, 'must be at least 100'), {
    default: '10000',
    description: 'On SIGTERM, how long in-flight work may take before the process exits anyway.',
  }),
  API_KEY_CACHE_TTL_MS: envVar(z.coerce.number().int('must be an integer').min(0, 'must be >= 0').max(300000, 'must be <= 300000'), {
    default: '30000',
    description: 'How long a verified API key is cached in-process. Revocations are pushed over Redis pub/sub at once.',
  }),
  ENABLE_DOCS: envVar(booleanString, {
    default: 'true',
    description: 'Serve Swagger UI at /docs and OpenAPI JSON at /docs-json.',
  }),
  TRUST_PROXY: envVar(
    z
      .string()
      .min(1, 'must not be empty')
      .refine(
        (value) => value === 'true' || value === 'false' || value.split(',').every((part) => /^(loopback|linklocal|uniquelocal|[0-9a-fA-F.:]+(\/\d{1,3})?)$/.test(part.trim())),
        'must be true, false, or a comma-separated list of IPs, CIDRs and loopback|linklocal|uniquelocal',
      ),
    {
      default: 'loopback,linklocal,uniquelocal',
      description:
        'Which peers may set X-Forwarded-For (the client IP used by rate limits and logs): a comma-separated list of ' +
        'IPs, CIDRs and the presets loopback, linklocal, uniquelocal (private networks: ingress controllers, sidecars); ' +
        'true trusts every peer (only behind a proxy that overwrites the header), false none.',
    },
  ),
} as const;

export type CommonConfig = ConfigOf<typeof commonEnvSchema>;

/** Rules across variables, applied after each variable is valid on its own. */
export const commonConfigChecks: readonly ConfigCheck[] = [
  (config) =>
    config['NODE_ENV'] === 'production' && !config['SECRETS_MASTER_KEYS']
      ? 'SECRETS_MASTER_KEYS: is required when NODE_ENV=production (the built-in development key is public)'
      : undefined,
];

export { port as portSchema };
