/**
 * The deployment files agree with the services and with each other:
 * - docker-compose.yml is valid per the official compose-spec schema and wires every service as the platform needs;
 * - every k8s/*.yaml object is valid per kubernetes-models (the Kubernetes OpenAPI schemas), and kustomization.yaml
 *   lists files that exist;
 * - the nginx gateway (compose) and the Ingress (k8s) route every public prefix to the service that owns it;
 * - health probes point at /health/ready (readiness) and /health/live (liveness);
 * - broken copies are rejected, so the validators above are shown to bite.
 */
import { existsSync } from 'node:fs';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment' with { 'resolution-mode': 'import' };
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler' with {
  'resolution-mode': 'import',
};
import type { IJob } from 'kubernetes-models/batch/v1/Job' with { 'resolution-mode': 'import' };
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress' with { 'resolution-mode': 'import' };
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget' with {
  'resolution-mode': 'import',
};
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap' with { 'resolution-mode': 'import' };
import type { IContainer } from 'kubernetes-models/v1/Container' with { 'resolution-mode': 'import' };
import type { ISecret } from 'kubernetes-models/v1/Secret' with { 'resolution-mode': 'import' };
import type { IService } from 'kubernetes-models/v1/Service' with { 'resolution-mode': 'import' };
import {
  type Dict,
  type K8sManifestFile,
  type NginxGateway,
  type Validator,
  clone,
  createComposeValidator,
  dict,
  ingressPaths,
  list,
  nginxGateway,
  parseDockerfile,
  parseNginx,
  readK8sManifestFiles,
  readRepoFile,
  readYamlFile,
  repoPath,
  routeIngress,
  routeNginx,
  text,
  validateK8sObjects,
} from './manifests';

// ---------------------------------------------------------------------------------------------------------------------
// What the platform expects (DESIGN.md "Services").

interface AppSpec {
  app: string;
  port: number;
  portEnv: string;
  api: boolean;
}

const APPS: readonly AppSpec[] = [
  { app: 'widget-api', port: 3001, portEnv: 'WIDGET_API_PORT', api: true },
  { app: 'business-api', port: 3002, portEnv: 'BUSINESS_API_PORT', api: true },
  { app: 'agents-api', port: 3003, portEnv: 'AGENTS_API_PORT', api: true },
  { app: 'worker', port: 3004, portEnv: 'WORKER_PORT', api: false },
];
const API_APPS = APPS.filter((app) => app.api);

const ROUTES: readonly { prefix: string; app: string; port: number }[] = [
  ...['/api/widget', '/api/plan', '/api/tts', '/api/live'].map((prefix) => ({ prefix, app: 'widget-api', port: 3001 })),
  ...[
    '/api/chatbot-webhooks',
    '/api/hubspot',
    '/api/salesforce',
    '/api/gmail',
    '/api/slack',
    '/api/teams',
    '/api/outlook',
    '/api/zapier',
  ].map((prefix) => ({ prefix, app: 'business-api', port: 3002 })),
  { prefix: '/v3', app: 'agents-api', port: 3003 },
];

/** Real paths under each prefix (from the API references), plus the bare prefix and prefix + "/". */
const SAMPLE_PATHS: Readonly<Record<string, readonly string[]>> = {
  '/api/widget': ['/api/widget/config'],
  '/api/plan': ['/api/plan/overview'],
  '/api/tts': ['/api/tts/voices', '/api/tts/generate'],
  '/api/live': ['/api/live/session'],
  '/api/chatbot-webhooks': ['/api/chatbot-webhooks/wh_1/test', '/api/chatbot-webhooks/wh_1/logs'],
  '/api/hubspot': ['/api/hubspot/status'],
  '/api/salesforce': ['/api/salesforce/status'],
  '/api/gmail': ['/api/gmail/status'],
  '/api/slack': ['/api/slack/status'],
  '/api/teams': ['/api/teams/status'],
  '/api/outlook': ['/api/outlook/status'],
  '/api/zapier': ['/api/zapier/test'],
  '/v3': ['/v3/agents', '/v3/agents/a1/interact/u1/state', '/v3/workspaces/w1/clients', '/v3/agents/a1/convos/export'],
};

const pathsUnder = (prefix: string): string[] => [prefix, `${prefix}/`, ...(SAMPLE_PATHS[prefix] ?? [])];

/** Look-alikes and internal endpoints that must not be reachable through the gateway or the Ingress. */
const UNROUTED_PATHS = [
  ...ROUTES.map((route) => `${route.prefix}x`),
  '/',
  '/api',
  '/api/unknown',
  '/v1/agents',
  '/health/live',
  '/health/ready',
  '/metrics',
  '/docs',
  '/docs-json',
];

const SECRET_KEYS = ['DATABASE_URL', 'REDIS_URL', 'SECRETS_MASTER_KEYS'];

// ---------------------------------------------------------------------------------------------------------------------

describe('docker-compose.yml', () => {
  let validateCompose: Validator;
  let compose: Dict;
  let services: Dict;

  beforeAll(() => {
    validateCompose = createComposeValidator();
    const documents = readYamlFile('docker-compose.yml');
    expect(documents).toHaveLength(1);
    compose = dict(documents[0], 'compose file');
    services = dict(compose.services, 'services');
  });

  const service = (name: string): Dict => dict(services[name], `service ${name}`);
  const environment = (name: string): Dict => dict(service(name).environment, `${name}.environment`);

  it('is valid per the official compose-spec schema', () => {
    expect(validateCompose(compose)).toEqual([]);
  });

  it('rejects broken copies (the schema validator bites)', () => {
    const badCondition = clone(compose);
    dict(dict(dict(dict(badCondition.services, 's').worker, 'w').depends_on, 'd').migrate, 'm').condition =
      'service_finished';
    expect(validateCompose(badCondition).join('\n')).toMatch(/condition must be equal to one of the allowed values/);

    const unknownKey = clone(compose);
    dict(dict(dict(unknownKey.services, 's')['widget-api'], 'w').healthcheck, 'h').intervall = '5s';
    expect(validateCompose(unknownKey).join('\n')).toMatch(/healthcheck must NOT have additional properties/);

    const badType = clone(compose);
    dict(dict(badType.services, 's').redis, 'r').ports = 6379;
    expect(validateCompose(badType)).not.toEqual([]);

    const noServicesMap = clone(compose);
    noServicesMap.services = ['postgres', 'redis'];
    expect(validateCompose(noServicesMap)).not.toEqual([]);
  });

  it('runs postgres 16 with pgvector and redis 7 (noeviction, AOF) with health checks and volumes', () => {
    const postgres = service('postgres');
    expect(postgres.image).toBe('pgvector/pgvector:pg16'); // hybrid KB retrieval needs the vector extension
    expect(JSON.stringify(dict(postgres.healthcheck, 'postgres.healthcheck').test)).toContain('pg_isready');
    expect(list(postgres.volumes, 'postgres.volumes').join(' ')).toContain('/var/lib/postgresql/data');

    const redis = service('redis');
    expect(redis.image).toBe('redis:7');
    const command = list(redis.command, 'redis.command').map((part) => text(part, 'redis.command'));
    expect(command.join(' ')).toContain('--maxmemory-policy noeviction');
    expect(command.join(' ')).toContain('--appendonly yes');
    expect(list(dict(redis.healthcheck, 'redis.healthcheck').test, 'redis test')).toEqual(['CMD', 'redis-cli', 'ping']);
  });

  it('runs the migrations once, from the image that holds every app, after postgres is healthy', () => {
    const migrate = service('migrate');
    expect(dict(dict(migrate.build, 'migrate.build').args, 'migrate.build.args').APP).toBe('all');
    expect(migrate.command).toEqual(['node', 'scripts/migrate.js']);
    expect(migrate.restart).toBe('no');
    expect(dict(migrate.depends_on, 'migrate.depends_on')).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(environment('migrate').DATABASE_URL).toMatch(/^postgres:\/\/[^@]+@postgres:5432\/chatbot$/);
  });

  it.each(APPS)('builds and wires $app (APP build arg, env, readiness health check, start order)', (spec) => {
    const app = service(spec.app);
    const build = dict(app.build, `${spec.app}.build`);
    expect(build.context).toBe('.');
    expect(build.dockerfile).toBe('Dockerfile');
    expect(dict(build.args, `${spec.app}.build.args`).APP).toBe(spec.app);

    const env = environment(spec.app);
    expect(env[spec.portEnv]).toBe(String(spec.port));
    expect(env.NODE_ENV).toBe('production');
    expect(env.DATABASE_URL).toMatch(/^postgres:\/\/[^@]+@postgres:5432\/chatbot$/);
    expect(env.REDIS_URL).toBe('redis://redis:6379');
    expect(text(env.SECRETS_MASTER_KEYS, 'SECRETS_MASTER_KEYS')).toMatch(/^\$\{SECRETS_MASTER_KEYS:\?.+\}$/);

    // The image is node:*-slim (no curl): the check is node's own fetch against /health/ready on the app's port.
    const test = list(dict(app.healthcheck, `${spec.app}.healthcheck`).test, 'healthcheck.test').map((part) =>
      text(part, 'healthcheck.test'),
    );
    expect(test.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
    const urls = test.join(' ').match(/https?:\/\/[^'"\s)]+/g) ?? [];
    expect(urls).toEqual([`http://127.0.0.1:${spec.port}/health/ready`]);

    expect(dict(app.depends_on, `${spec.app}.depends_on`)).toEqual({
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
      migrate: { condition: 'service_completed_successfully' },
    });
  });

  it('puts the nginx gateway on :8080 in front of the healthy APIs', () => {
    const gateway = service('gateway');
    expect(gateway.image).toBe('nginx:1.27-alpine');
    expect(list(gateway.ports, 'gateway.ports')).toEqual(['8080:8080']);
    expect(list(gateway.volumes, 'gateway.volumes')).toContain('./docker/nginx.conf:/etc/nginx/nginx.conf:ro');
    const dependsOn = dict(gateway.depends_on, 'gateway.depends_on');
    for (const spec of API_APPS) expect(dependsOn[spec.app]).toEqual({ condition: 'service_healthy' });
  });

  it('publishes nothing but the gateway to other hosts (API ports only on loopback)', () => {
    for (const [name, raw] of Object.entries(services)) {
      const ports = dict(raw, name).ports;
      if (ports === undefined || name === 'gateway') continue;
      for (const port of list(ports, `${name}.ports`)) expect(text(port, `${name}.ports`)).toMatch(/^127\.0\.0\.1:/);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------------

describe('docker/nginx.conf (compose gateway)', () => {
  let gateway: NginxGateway;
  let composeServices: Dict;

  beforeAll(() => {
    gateway = nginxGateway(parseNginx(readRepoFile('docker/nginx.conf')), 8080);
    composeServices = dict(dict(readYamlFile('docker-compose.yml')[0], 'compose').services, 'services');
  });

  it.each(ROUTES)('routes $prefix to $app:$port', (route) => {
    // The compose service of that name listens on that port.
    const env = dict(dict(composeServices[route.app], route.app).environment, `${route.app}.environment`);
    const portEnv = APPS.find((app) => app.app === route.app)?.portEnv ?? '';
    expect(env[portEnv]).toBe(String(route.port));

    for (const uri of pathsUnder(route.prefix)) {
      const target = routeNginx(gateway, uri);
      expect({ uri, servers: target?.servers }).toEqual({ uri, servers: [`${route.app}:${route.port}`] });
    }
  });

  it('routes nothing else: look-alike prefixes and internal endpoints get the gateway 404', () => {
    for (const uri of UNROUTED_PATHS) {
      const target = routeNginx(gateway, uri);
      expect({ uri, proxyPass: target?.proxyPass, status: target?.returnStatus }).toEqual({
        uri,
        proxyPass: undefined,
        status: 404,
      });
    }
  });

  it('forwards X-Request-ID and X-Forwarded-* on every proxied route, and upgrades WebSockets on /api/live', () => {
    for (const route of ROUTES) {
      for (const uri of pathsUnder(route.prefix)) {
        const target = routeNginx(gateway, uri);
        const headers = target?.headers ?? new Map<string, string>();
        expect({ uri, requestId: headers.get('x-request-id') }).toEqual({
          uri,
          requestId: expect.stringMatching(/^\$/),
        });
        expect(headers.get('x-forwarded-for')).toBe('$proxy_add_x_forwarded_for');
        expect(headers.get('x-forwarded-proto')).toBe('$scheme');
        expect(headers.has('x-forwarded-host')).toBe(true);
      }
    }
    for (const uri of pathsUnder('/api/live')) {
      const live = routeNginx(gateway, uri);
      expect(live?.directive('proxy_http_version')).toEqual(['1.1']);
      expect(live?.headers.get('upgrade')).toBe('$http_upgrade');
      expect(live?.headers.get('connection')).toBe('$connection_upgrade');
      const readTimeout = live?.directive('proxy_read_timeout')?.[0] ?? '';
      expect(readTimeout).toMatch(/^\d+[hm]$/);
    }
  });

  it('is caught when a route goes missing or a location drops the forwarded headers', () => {
    const source = readRepoFile('docker/nginx.conf');

    const withoutAgents = nginxGateway(
      parseNginx(source.replace('location ~ ^/v3(/|$)', 'location ~ ^/v4(/|$)')),
      8080,
    );
    expect(routeNginx(withoutAgents, '/v3/agents')?.servers).toEqual([]);

    const swapped = nginxGateway(
      parseNginx(source.replace('proxy_pass http://agents_api;', 'proxy_pass http://widget_api;')),
      8080,
    );
    expect(routeNginx(swapped, '/v3/agents')?.servers).toEqual(['widget-api:3001']);

    // A location-level proxy_set_header silently discards every one inherited from the server block.
    const shadowed = nginxGateway(
      parseNginx(
        source.replace('proxy_buffering off;', 'proxy_buffering off;\n      proxy_set_header Upgrade $http_upgrade;'),
      ),
      8080,
    );
    expect(routeNginx(shadowed, '/api/live/session')?.headers.has('x-request-id')).toBe(false);

    expect(() => parseNginx('http { server { listen 8080; }')).toThrow(/missing "}"/);
  });
});

// ---------------------------------------------------------------------------------------------------------------------

describe('Dockerfile', () => {
  const dockerfile = parseDockerfile(readRepoFile('Dockerfile'));
  const stage = (name: string) => {
    const found = dockerfile.stages.find((candidate) => candidate.name === name);
    if (!found) throw new Error(`no stage ${name}`);
    return found;
  };
  const runs = (name: string): string =>
    stage(name)
      .instructions.filter((instruction) => instruction.keyword === 'RUN')
      .map((instruction) => instruction.args)
      .join('\n');

  it('prunes, installs, builds and assembles one app per APP build arg', () => {
    expect(runs('prune')).toMatch(/turbo@\$\{TURBO_VERSION\}/);
    expect(stage('prune').instructions).toContainEqual({ keyword: 'ARG', args: 'TURBO_VERSION=2.11.9' });
    expect(runs('prune')).toMatch(/turbo prune \$targets --docker/);
    expect(runs('prune')).toContain('targets="@chatbot/${APP}"');
    expect(runs('deps')).toMatch(/npm ci\b/);
    expect(runs('deps')).not.toContain('--omit=dev');
    expect(runs('build')).toMatch(/npx turbo run build\b[^\n]*--filter="@chatbot\/\$\{APP\}\.\.\."/);
    expect(runs('prod-deps')).toMatch(/npm ci --omit=dev/);
  });

  it('runs as the non-root node user in production mode on a slim Node 24 image, with the migrations available', () => {
    const nodeImage = dockerfile.globalArgs.find((arg) => arg.startsWith('NODE_IMAGE='));
    expect(nodeImage).toMatch(/^NODE_IMAGE=node:24(-bookworm)?-slim$/);
    const runtime = dockerfile.stages[dockerfile.stages.length - 1];
    expect(runtime?.name).toBe('runtime');
    const instructions = runtime?.instructions ?? [];
    const args = (keyword: string) => instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
    expect(args('USER')).toEqual(['node']);
    expect(args('ENV').join(' ')).toMatch(/NODE_ENV=production/);
    expect(args('ENV').join(' ')).toMatch(/APP=\$\{APP\}/);
    expect(args('COPY')).toContain('scripts/ ./scripts/');
    expect(args('EXPOSE')).toEqual(['${PORT}']);
    const [cmd] = args('CMD');
    const argv = list(JSON.parse(cmd ?? 'null'), 'CMD (exec form)').map((part) => text(part, 'CMD'));
    expect(argv.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(argv[2]).toContain('exec node "apps/$APP/dist/main.js"');
    expect(argv[2]).toContain('exec node scripts/migrate.js');
  });

  it('keeps the build context lean (.dockerignore)', () => {
    const ignored = readRepoFile('.dockerignore')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['**/node_modules', '**/dist', '.git', '.env']));
    expect(ignored).not.toContain('scripts');
  });
});

// ---------------------------------------------------------------------------------------------------------------------

describe('k8s/ (kustomize)', () => {
  let files: K8sManifestFile[];
  let objects: { file: string; doc: Dict }[];
  let resources: string[];

  beforeAll(() => {
    files = readK8sManifestFiles();
    objects = files
      .filter((file) => file.file !== 'kustomization.yaml')
      .flatMap((file) => file.documents.map((doc) => ({ file: file.file, doc: dict(doc, file.file) })));
    const kustomization = files.find((file) => file.file === 'kustomization.yaml');
    const [doc] = kustomization?.documents ?? [];
    resources = list(dict(doc, 'kustomization').resources, 'kustomization.resources').map((entry) =>
      text(entry, 'resource'),
    );
  });

  const ofKind = <T>(kind: string, fromFiles?: (file: string) => boolean): T[] =>
    objects
      .filter((object) => object.doc.kind === kind && (fromFiles ? fromFiles(object.file) : true))
      .map((object) => object.doc as T);
  const deployed = (file: string): boolean => resources.includes(file);
  const named = <T extends { metadata?: { name?: string } }>(items: T[], name: string): T => {
    const found = items.find((item) => item.metadata?.name === name);
    if (!found) throw new Error(`no object named ${name}`);
    return found;
  };
  const container = (deployment: IDeployment): IContainer => {
    const [first] = deployment.spec?.template.spec?.containers ?? [];
    if (!first) throw new Error(`${deployment.metadata?.name}: no container`);
    return first;
  };

  it('kustomization.yaml lists existing files: every manifest except the secret example', () => {
    const kustomization = dict(files.find((file) => file.file === 'kustomization.yaml')?.documents[0], 'kustomization');
    expect(kustomization.apiVersion).toBe('kustomize.config.k8s.io/v1beta1');
    expect(kustomization.kind).toBe('Kustomization');
    expect(kustomization.namespace).toBe('chatbot');
    for (const resource of resources)
      expect({ resource, exists: existsSync(repoPath('k8s', resource)) }).toEqual({ resource, exists: true });
    expect(new Set(resources).size).toBe(resources.length);
    const manifests = files.map((file) => file.file).filter((file) => file !== 'kustomization.yaml');
    expect([...resources].sort()).toEqual(manifests.filter((file) => file !== 'secret.example.yaml'));
    expect(resources).not.toContain('secret.example.yaml');
  });

  it('every object in k8s/*.yaml (secret.example.yaml included) is valid per kubernetes-models', () => {
    const results = validateK8sObjects(objects.map((object) => object.doc));
    const failures = results
      .map((result, index) => ({ ...result, file: objects[index]?.file }))
      .filter((result) => !result.ok);
    expect(failures).toEqual([]);
    const kinds = new Set(results.map((result) => `${result.apiVersion} ${result.kind}`));
    for (const kind of [
      'v1 Namespace',
      'v1 ConfigMap',
      'v1 Secret',
      'v1 Service',
      'apps/v1 Deployment',
      'batch/v1 Job',
      'autoscaling/v2 HorizontalPodAutoscaler',
      'policy/v1 PodDisruptionBudget',
      'networking.k8s.io/v1 Ingress',
    ]) {
      expect(kinds).toContain(kind);
    }
  });

  it('rejects broken copies (kubernetes-models bites)', () => {
    const deployment = clone(named(ofKind<IDeployment>('Deployment'), 'widget-api'));
    const noSelector = clone(deployment) as unknown as Dict;
    delete dict(noSelector.spec, 'spec').selector;
    const stringPort = clone(deployment);
    const ports = container(stringPort).ports ?? [];
    (ports[0] as unknown as Dict).containerPort = 'http';
    const badProbe = clone(deployment);
    const probe = container(badProbe).readinessProbe?.httpGet;
    if (probe) delete (probe as unknown as Dict).port;
    const ingress = clone(named(ofKind<IIngress>('Ingress'), 'chatbot')) as unknown as Dict;
    const [firstPath] = list(
      dict(dict(list(dict(ingress.spec, 'spec').rules, 'rules')[0], 'rule').http, 'http').paths,
      'paths',
    );
    dict(firstPath, 'path').pathType = 'Glob';
    const hpa = clone(
      named(ofKind<IHorizontalPodAutoscaler>('HorizontalPodAutoscaler'), 'widget-api'),
    ) as unknown as Dict;
    dict(hpa.spec, 'spec').maxReplicas = 'ten';
    const unknownApi = { ...clone(deployment), apiVersion: 'apps/v1beta0' };
    const unknownKind = { apiVersion: 'v1', kind: 'Servce', metadata: { name: 'x' } };

    const results = validateK8sObjects([noSelector, stringPort, badProbe, ingress, hpa, unknownApi, unknownKind]);
    expect(results.map((result) => result.ok)).toEqual([false, false, false, false, false, false, false]);
    expect(results[0]?.error).toMatch(/selector/);
    expect(results[1]?.error).toMatch(/containerPort/);
    expect(results[2]?.error).toMatch(/port/);
    expect(results[3]?.error).toMatch(/pathType/);
    expect(results[4]?.error).toMatch(/maxReplicas/);
    expect(results[5]?.error).toMatch(/no API apps\/v1beta0/);
    expect(results[6]?.error).toMatch(/no Servce/);
  });

  it('the ConfigMap carries the common non-secret settings and the Secret example only placeholders', () => {
    const config = named(ofKind<IConfigMap>('ConfigMap'), 'chatbot-config').data ?? {};
    for (const key of [
      'NODE_ENV',
      'LOG_LEVEL',
      'HOST',
      'DATABASE_POOL_SIZE',
      'REDIS_PREFIX',
      'BODY_LIMIT_BYTES',
      'SHUTDOWN_TIMEOUT_MS',
      'API_KEY_CACHE_TTL_MS',
      'ENABLE_DOCS',
    ]) {
      expect(config).toHaveProperty(key);
    }
    expect(config.NODE_ENV).toBe('production');
    for (const spec of APPS) expect(config[spec.portEnv]).toBe(String(spec.port));
    for (const key of SECRET_KEYS) expect(config).not.toHaveProperty(key);

    const secrets = ofKind<ISecret>('Secret');
    expect(secrets).toHaveLength(1);
    const secret = named(secrets, 'chatbot-secrets');
    expect(objects.find((object) => object.doc.kind === 'Secret')?.file).toBe('secret.example.yaml');
    expect(Object.keys(secret.stringData ?? {}).sort()).toEqual([...SECRET_KEYS].sort());
    for (const value of Object.values(secret.stringData ?? {})) expect(value).toMatch(/CHANGE_ME|REPLACE/);
    expect(secret.data).toBeUndefined();
  });

  it.each(APPS)('$app: Deployment with probes, resources, hardening and secrets from chatbot-secrets', (spec) => {
    const deployment = named(ofKind<IDeployment>('Deployment', deployed), spec.app);
    const pod = deployment.spec?.template.spec;
    expect(deployment.spec?.replicas).toBeUndefined(); // owned by the HPA
    expect(deployment.spec?.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': spec.app });
    expect(deployment.spec?.template.metadata?.labels).toMatchObject({ 'app.kubernetes.io/name': spec.app });
    expect(pod?.securityContext?.runAsNonRoot).toBe(true);
    expect(pod?.securityContext?.runAsUser).toBe(1000);
    expect(pod?.automountServiceAccountToken).toBe(false);

    const main = container(deployment);
    expect(main.image).toBe(`chatbot/${spec.app}`);
    expect(main.ports).toEqual([{ name: 'http', containerPort: spec.port, protocol: 'TCP' }]);
    expect(main.readinessProbe?.httpGet).toEqual({ path: '/health/ready', port: 'http' });
    expect(main.livenessProbe?.httpGet).toEqual({ path: '/health/live', port: 'http' });
    expect(main.startupProbe?.httpGet).toEqual({ path: '/health/live', port: 'http' });
    expect(main.resources?.requests).toEqual({ cpu: expect.anything(), memory: expect.anything() });
    expect(main.resources?.limits).toEqual({ cpu: expect.anything(), memory: expect.anything() });
    expect(main.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(main.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    expect(main.envFrom).toEqual([{ configMapRef: { name: 'chatbot-config' } }]);
    for (const key of SECRET_KEYS) {
      expect(main.env).toContainEqual({ name: key, valueFrom: { secretKeyRef: { name: 'chatbot-secrets', key } } });
    }
  });

  it.each(APPS)('$app: Service on its port and HorizontalPodAutoscaler (autoscaling/v2)', (spec) => {
    const service = named(ofKind<IService>('Service', deployed), spec.app);
    expect(service.spec?.selector).toEqual({ 'app.kubernetes.io/name': spec.app });
    expect(service.spec?.ports).toEqual([{ name: 'http', port: spec.port, targetPort: 'http', protocol: 'TCP' }]);

    const hpa = named(ofKind<IHorizontalPodAutoscaler>('HorizontalPodAutoscaler', deployed), spec.app);
    expect(hpa.spec?.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: spec.app });
    expect(hpa.spec?.minReplicas).toBeGreaterThanOrEqual(spec.api ? 2 : 1);
    expect(hpa.spec?.maxReplicas).toBeGreaterThan(hpa.spec?.minReplicas ?? 0);
    expect(hpa.spec?.metrics?.some((metric) => metric.resource?.name === 'cpu')).toBe(true);
  });

  it.each(API_APPS)('$app: PodDisruptionBudget (policy/v1) over its pods', (spec) => {
    const pdb = named(ofKind<IPodDisruptionBudget>('PodDisruptionBudget', deployed), spec.app);
    expect(pdb.spec?.selector?.matchLabels).toEqual({ 'app.kubernetes.io/name': spec.app });
    expect(pdb.spec?.maxUnavailable ?? pdb.spec?.minAvailable).toBeDefined();
  });

  it('the migrations Job runs scripts/migrate.js from the all-apps image with the same config and secrets', () => {
    const [job, ...others] = ofKind<IJob>('Job', deployed);
    expect(others).toEqual([]);
    const pod = job?.spec?.template.spec;
    const [migrate] = pod?.containers ?? [];
    expect(pod?.restartPolicy).toBe('Never');
    expect(pod?.securityContext?.runAsNonRoot).toBe(true);
    expect(migrate?.image).toBe('chatbot/platform');
    expect(migrate?.command).toEqual(['node', 'scripts/migrate.js']);
    expect(migrate?.envFrom).toEqual([{ configMapRef: { name: 'chatbot-config' } }]);
    expect(migrate?.securityContext?.readOnlyRootFilesystem).toBe(true);
    expect(migrate?.resources?.limits).toBeDefined();
    for (const key of SECRET_KEYS) {
      expect(migrate?.env).toContainEqual({ name: key, valueFrom: { secretKeyRef: { name: 'chatbot-secrets', key } } });
    }
  });

  describe('Ingress', () => {
    const routeOf = (uri: string) => routeIngress(ingressPaths(ofKind<IIngress>('Ingress', deployed)), uri);

    it('uses the nginx ingress class, and every backend is an existing Service port', () => {
      const ingresses = ofKind<IIngress>('Ingress', deployed);
      expect(ingresses.length).toBeGreaterThan(0);
      for (const ingress of ingresses) expect(ingress.spec?.ingressClassName).toBe('nginx');
      const services = ofKind<IService>('Service', deployed);
      for (const entry of ingressPaths(ingresses)) {
        const ports = named(services, entry.service).spec?.ports ?? [];
        expect(ports.some((port) => port.port === entry.port || port.name === entry.port)).toBe(true);
      }
    });

    it.each(ROUTES)('routes $prefix to $app:$port', (route) => {
      for (const uri of pathsUnder(route.prefix)) {
        const backend = routeOf(uri);
        expect({ uri, service: backend?.service, port: backend?.port }).toEqual({
          uri,
          service: route.app,
          port: route.port,
        });
      }
    });

    it('routes nothing else: look-alike prefixes and internal endpoints match no path', () => {
      for (const uri of UNROUTED_PATHS) expect({ uri, backend: routeOf(uri) }).toEqual({ uri, backend: undefined });
    });

    it('keeps WebSocket sessions on /api/live open (long proxy timeouts)', () => {
      const live = routeOf('/api/live/session');
      const ingress = named(ofKind<IIngress>('Ingress', deployed), live?.ingress ?? '');
      const annotations = ingress.metadata?.annotations ?? {};
      expect(Number(annotations['nginx.ingress.kubernetes.io/proxy-read-timeout'])).toBeGreaterThanOrEqual(3600);
      expect(Number(annotations['nginx.ingress.kubernetes.io/proxy-send-timeout'])).toBeGreaterThanOrEqual(3600);
    });

    it('agrees with the compose gateway on every public and unrouted path', () => {
      const gateway = nginxGateway(parseNginx(readRepoFile('docker/nginx.conf')), 8080);
      const composeHost = (servers: string[] | undefined): string | undefined => servers?.[0];
      for (const uri of [...ROUTES.flatMap((route) => pathsUnder(route.prefix)), ...UNROUTED_PATHS]) {
        const viaIngress = routeOf(uri);
        const viaGateway = routeNginx(gateway, uri);
        expect({ uri, target: viaIngress ? `${viaIngress.service}:${viaIngress.port}` : undefined }).toEqual({
          uri,
          target: composeHost(viaGateway?.servers),
        });
      }
    });

    it('is caught when a prefix is dropped or points at the wrong service', () => {
      const ingresses = clone(ofKind<IIngress>('Ingress', deployed));
      const paths = ingressPaths(ingresses);
      const withoutZapier = paths.filter((entry) => entry.path !== '/api/zapier');
      expect(routeIngress(withoutZapier, '/api/zapier/test')).toBeUndefined();
      const misrouted = paths.map((entry) =>
        entry.path === '/v3' ? { ...entry, service: 'widget-api', port: 3001 } : entry,
      );
      expect(routeIngress(misrouted, '/v3/agents')?.service).toBe('widget-api');
    });
  });
});
