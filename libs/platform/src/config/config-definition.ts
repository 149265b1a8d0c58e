import { z } from 'zod';

/**
 * One environment variable: its schema, its default (as the string you would put in `.env`) and what it means.
 * The schema is the single source of truth: `.env.example` and the README table are checked against it.
 */
export interface EnvVarDefinition<T> {
  readonly schema: z.ZodType<T>;
  readonly default?: string;
  readonly description: string;
  /** Marks values that must not be logged or echoed in error messages. */
  readonly secret?: boolean;
}

export type EnvSchema = Record<string, EnvVarDefinition<unknown>>;

export type ConfigOf<S extends EnvSchema> = {
  readonly [K in keyof S]: S[K] extends EnvVarDefinition<infer T> ? T : never;
};

export function envVar<T>(
  schema: z.ZodType<T>,
  options: { default?: string; description: string; secret?: boolean },
): EnvVarDefinition<T> {
  return { schema, ...options };
}

export class ConfigValidationError extends Error {
  constructor(
    readonly appName: string,
    readonly problems: readonly string[],
  ) {
    super(
      `${appName}: invalid configuration, refusing to start:\n` +
        problems.map((problem) => `  - ${problem}`).join('\n') +
        '\nSee .env.example for every variable, its default and its meaning.',
    );
    this.name = 'ConfigValidationError';
  }
}

type EnvSource = Readonly<Record<string, string | undefined>>;

/**
 * Reads and validates every variable of `schema` from `env` at once, so that the error names every bad variable,
 * not just the first one.
 */
export type ConfigCheck = (config: Readonly<Record<string, unknown>>) => string | undefined;

export function loadConfig<S extends EnvSchema>(
  appName: string,
  schema: S,
  env: EnvSource,
  checks: readonly ConfigCheck[] = [],
): ConfigOf<S> {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(schema)) {
    const raw = env[name] === undefined || env[name] === '' ? def.default : env[name];
    const result = def.schema.safeParse(raw);
    if (result.success) {
      out[name] = result.data;
      continue;
    }
    const reason = result.error.issues.map((issue) => issue.message).join('; ');
    const shown = raw === undefined ? 'not set' : def.secret ? 'a hidden value' : JSON.stringify(raw);
    problems.push(`${name}: ${reason} (got ${shown}) — ${def.description}`);
  }
  if (problems.length === 0) {
    for (const check of checks) {
      const problem = check(out);
      if (problem) problems.push(problem);
    }
  }
  if (problems.length > 0) throw new ConfigValidationError(appName, problems);
  return out as ConfigOf<S>;
}

/** Rows for documentation (the `.env.example` file and the README table). */
export function describeSchema(schema: EnvSchema): { name: string; default: string; description: string }[] {
  return Object.entries(schema).map(([name, def]) => ({
    name,
    default: def.default ?? '',
    description: def.description,
  }));
}

export interface ServiceEnvSchema {
  service: string;
  schema: EnvSchema;
}

function mergeSchemas(services: readonly ServiceEnvSchema[]): { name: string; def: EnvVarDefinition<unknown>; services: string[] }[] {
  const rows = new Map<string, { name: string; def: EnvVarDefinition<unknown>; services: string[] }>();
  for (const { service, schema } of services) {
    for (const [name, def] of Object.entries(schema)) {
      const row = rows.get(name) ?? { name, def, services: [] };
      row.services.push(service);
      rows.set(name, row);
    }
  }
  return [...rows.values()];
}

/** `.env.example`: every variable of every service, its default and meaning. Generated, and checked by a test. */
export function renderEnvExample(services: readonly ServiceEnvSchema[]): string {
  const all = services.map((s) => s.service);
  const lines = ['# Generated from the config schemas by `node scripts/env-docs.js > .env.example`. Do not edit by hand.', ''];
  for (const row of mergeSchemas(services)) {
    lines.push(`# ${row.def.description}`);
    if (row.services.length !== all.length) lines.push(`# Used by: ${row.services.join(', ')}`);
    lines.push(row.def.default === undefined ? `# ${row.name}=` : `${row.name}=${row.def.default}`, '');
  }
  return lines.join('\n');
}

/** The README's environment table. */
export function renderEnvMarkdown(services: readonly ServiceEnvSchema[]): string {
  const all = services.map((s) => s.service);
  const lines = ['| Variable | Default | Used by | Meaning |', '|---|---|---|---|'];
  for (const row of mergeSchemas(services)) {
    const used = row.services.length === all.length ? 'all' : row.services.join(', ');
    const value = row.def.default === undefined ? '(unset)' : `\`${row.def.default}\``;
    lines.push(`| \`${row.name}\` | ${value} | ${used} | ${row.def.description.replace(/\|/g, '\\|')} |`);
  }
  return lines.join('\n');
}
