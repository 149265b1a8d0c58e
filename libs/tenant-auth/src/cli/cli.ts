import { commonEnvSchema, loadConfig } from '@chatbot/platform';
import { createDataSource } from '@chatbot/database';
import { Redis } from 'ioredis';
import { ApiKeyEntity } from '../entities/api-key.entity';
import { TenantEntity } from '../entities/tenant.entity';
import { ApiKeyRepository } from '../keys/api-key.repository';
import { TenancyAdminService, TenancyInputError, TenancyNotFoundError } from '../tenants/tenancy-admin.service';
import { TenantRepository } from '../tenants/tenant.repository';
import { type ParsedArgs, UsageError, parseArgs } from './cli-args';

export const USAGE = `Usage: npm run cli -- <command> [options]

Commands:
  tenant create --name <name> [--plan starter|team|business] [--json]
      Create a tenant and its first workspace API key (printed once).
  tenant plan --tenant <tenantId> --plan starter|team|business [--json]
      Change a tenant's plan (takes effect on every service within a second).
  tenant show --tenant <tenantId> [--json]
  key create --tenant <tenantId> [--agent <agentId>] [--scope workspace|agent|widget] [--name <label>] [--json]
      Create an API key (workspace-wide, or confined to one agent with --agent). Printed once.
  key revoke --key <keyId> [--json]
      Revoke a key (refused by every service within a second).
  key list --tenant <tenantId> [--json]
  demo seed [--json]
      Create the demo workspace if missing and print a fresh key for it (used by npm start).

Environment: DATABASE_URL, REDIS_URL, REDIS_PREFIX (see .env.example).
`;

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

interface Command {
  flags: readonly string[];
  required: readonly string[];
  run: (admin: TenancyAdminService, args: ParsedArgs, io: CliIo, json: boolean) => Promise<void>;
}

const str = (args: ParsedArgs, name: string): string | undefined => {
  const value = args.flags.get(name);
  return typeof value === 'string' ? value : undefined;
};

const print = (io: CliIo, json: boolean, value: Record<string, unknown>, text: string): void =>
  io.out(json ? JSON.stringify(value) : text);

const COMMANDS: Record<string, Command> = {
  'demo seed': {
    flags: [],
    required: [],
    run: async (admin, _args, io, json) => {
      const demo = await admin.seedDemo();
      print(io, json, { tenantId: demo.tenantId, apiKey: demo.apiKey, keyId: demo.keyId }, `demo tenant ${demo.tenantId}\nAPI key: ${demo.apiKey}`);
    },
  },
  'tenant create': {
    flags: ['name', 'plan'],
    required: ['name'],
    run: async (admin, args, io, json) => {
      const tenant = await admin.createTenant({ name: str(args, 'name')!, plan: str(args, 'plan') ?? 'starter' });
      const key = await admin.createKey({ tenantId: tenant.id, name: 'initial workspace key' });
      print(
        io,
        json,
        { tenantId: tenant.id, apiKey: key.apiKey },
        `tenant ${tenant.id} (${tenant.name}, ${tenant.planTier})\nAPI key (shown once): ${key.apiKey}\nkey id: ${key.keyId}`,
      );
    },
  },
  'tenant plan': {
    flags: ['tenant', 'plan'],
    required: ['tenant', 'plan'],
    run: async (admin, args, io, json) => {
      const tenant = await admin.setPlan(str(args, 'tenant')!, str(args, 'plan')!);
      print(io, json, { tenantId: tenant.id, plan: tenant.planTier }, `tenant ${tenant.id} is now on ${tenant.planTier}`);
    },
  },
  'tenant show': {
    flags: ['tenant'],
    required: ['tenant'],
    run: async (admin, args, io, json) => {
      const tenant = await admin.findTenant(str(args, 'tenant')!);
      if (!tenant) throw new TenancyNotFoundError(`tenant ${str(args, 'tenant')} not found`);
      print(
        io,
        json,
        { tenantId: tenant.id, name: tenant.name, plan: tenant.planTier, status: tenant.status },
        `${tenant.id} ${tenant.name} ${tenant.planTier} ${tenant.status}`,
      );
    },
  },
  'key create': {
    flags: ['tenant', 'agent', 'scope', 'name'],
    required: ['tenant'],
    run: async (admin, args, io, json) => {
      const scope = str(args, 'scope');
      if (scope !== undefined && !['workspace', 'agent', 'widget'].includes(scope)) {
        throw new UsageError('--scope must be workspace, agent or widget');
      }
      const key = await admin.createKey({
        tenantId: str(args, 'tenant')!,
        agentId: str(args, 'agent') ?? null,
        scope: scope as 'workspace' | 'agent' | 'widget' | undefined,
        name: str(args, 'name') ?? null,
      });
      print(io, json, { keyId: key.keyId, apiKey: key.apiKey }, `API key (shown once): ${key.apiKey}\nkey id: ${key.keyId}`);
    },
  },
  'key revoke': {
    flags: ['key'],
    required: ['key'],
    run: async (admin, args, io, json) => {
      const key = await admin.revokeKey(str(args, 'key')!);
      print(io, json, { keyId: key.id, revokedAt: key.revokedAt?.toISOString() ?? null }, `key ${key.id} revoked`);
    },
  },
  'key list': {
    flags: ['tenant'],
    required: ['tenant'],
    run: async (admin, args, io, json) => {
      const keys = await admin.listKeys(str(args, 'tenant')!);
      for (const key of keys) {
        const row = {
          keyId: key.id,
          prefix: key.prefix,
          scopes: key.scopes,
          agentId: key.agentId,
          createdAt: key.createdAt.toISOString(),
          lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
          revokedAt: key.revokedAt?.toISOString() ?? null,
        };
        print(io, json, row, `${row.keyId} ${row.prefix}… ${row.scopes.join(',')} ${row.revokedAt ? 'revoked' : 'active'}`);
      }
    },
  },
};

/** Runs one CLI invocation; returns the exit code. Exported for tests. */
export async function runCli(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, io: CliIo): Promise<number> {
  let args: ParsedArgs;
  let command: Command | undefined;
  try {
    args = parseArgs(argv, ['json', 'help']);
    if (args.flags.has('help') || args.positionals.length === 0) {
      io.err(USAGE);
      return args.flags.has('help') ? 0 : 2;
    }
    const name = args.positionals.slice(0, 2).join(' ');
    command = COMMANDS[name];
    if (!command || args.positionals.length !== 2) throw new UsageError(`unknown command "${args.positionals.join(' ')}"`);
    for (const flag of args.flags.keys()) {
      if (flag !== 'json' && !command.flags.includes(flag)) throw new UsageError(`unknown option --${flag} for "${name}"`);
    }
    const missing = command.required.filter((flag) => !args.flags.has(flag));
    if (missing.length > 0) throw new UsageError(`missing ${missing.map((f) => `--${f}`).join(', ')} for "${name}"`);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`error: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }

  const config = loadConfig('cli', commonEnvSchema, env);
  const dataSource = createDataSource({ url: config.DATABASE_URL, entities: [TenantEntity, ApiKeyEntity], poolSize: 2, applicationName: 'cli' });
  const redis = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2000, retryStrategy: () => null });
  try {
    await dataSource.initialize();
    await redis.connect().catch(() => io.err('warning: Redis unreachable; other services will notice within API_KEY_CACHE_TTL_MS'));
    const admin = new TenancyAdminService(new TenantRepository(dataSource), new ApiKeyRepository(dataSource), redis.status === 'ready' ? redis : null, config.REDIS_PREFIX);
    await command.run(admin, args, io, args.flags.get('json') === true);
    return 0;
  } catch (err) {
    if (err instanceof UsageError || err instanceof TenancyInputError) {
      io.err(`error: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    if (err instanceof TenancyNotFoundError) {
      io.err(`error: ${err.message}`);
      return 1;
    }
    throw err;
  } finally {
    redis.disconnect();
    if (dataSource.isInitialized) await dataSource.destroy();
  }
}
