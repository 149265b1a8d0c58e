import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { TestTenants, testEnv } from '@chatbot/testing';
import { hashApiKey } from '@chatbot/tenant-auth';

const CLI = path.resolve(__dirname, '../dist/cli/main.js');

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { env: testEnv(), encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function jsonLine(stdout: string): Record<string, string> {
  const lines = stdout.split('\n').filter((line) => line.trim());
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]!) as Record<string, string>;
}

describe('admin CLI (the contract later checks rely on)', () => {
  let tenants: TestTenants;
  beforeAll(async () => {
    tenants = await TestTenants.open();
  });
  afterAll(async () => {
    await tenants?.close();
  });

  it('tenant create prints one JSON line with tenantId and apiKey; only its hash is stored', async () => {
    const created = cli('tenant', 'create', '--name', 'Acme', '--plan', 'team', '--json');
    expect(created.code).toBe(0);
    const { tenantId, apiKey } = jsonLine(created.stdout);
    expect(tenantId).toMatch(/^[0-9a-f-]{36}$/);
    expect(apiKey).toMatch(/^cbk_[A-Za-z0-9]{43}$/);

    const [stored] = await tenants.admin.listKeys(tenantId!);
    expect(stored?.keyHash).toBe(hashApiKey(apiKey!));

    const shown = jsonLine(cli('tenant', 'show', '--tenant', tenantId!, '--json').stdout);
    expect(shown).toMatchObject({ tenantId, name: 'Acme', plan: 'team', status: 'active' });
  });

  it('through `npm run cli`: stdout is exactly one JSON line (no npm banner)', () => {
    const result = spawnSync('npm', ['run', 'cli', '--', 'tenant', 'create', '--name', 'ViaNpm', '--plan', 'starter', '--json'], {
      cwd: path.resolve(__dirname, '../../..'),
      env: testEnv(),
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    expect(result.stdout.endsWith('\n')).toBe(true);
    expect(Object.keys(jsonLine(result.stdout)).sort()).toEqual(['apiKey', 'tenantId']);
  });

  it('key create (workspace and --agent), key revoke, tenant plan', () => {
    const { tenantId } = jsonLine(cli('tenant', 'create', '--name', 'Beta', '--json').stdout);
    const workspaceKey = jsonLine(cli('key', 'create', '--tenant', tenantId!, '--json').stdout);
    expect(Object.keys(workspaceKey).sort()).toEqual(['apiKey', 'keyId']);
    const agentKey = jsonLine(cli('key', 'create', '--tenant', tenantId!, '--agent', 'agent_1', '--json').stdout);
    expect(agentKey['apiKey']).not.toBe(workspaceKey['apiKey']);

    const listed = cli('key', 'list', '--tenant', tenantId!, '--json')
      .stdout.split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { keyId: string; scopes: string[]; agentId: string | null; revokedAt: string | null });
    expect(listed).toHaveLength(3);
    expect(listed.find((k) => k.keyId === agentKey['keyId'])).toMatchObject({ scopes: ['agent'], agentId: 'agent_1' });

    const revoked = cli('key', 'revoke', '--key', agentKey['keyId']!);
    expect(revoked.code).toBe(0);
    const after = cli('key', 'list', '--tenant', tenantId!, '--json')
      .stdout.split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { keyId: string; revokedAt: string | null });
    expect(after.find((k) => k.keyId === agentKey['keyId'])?.revokedAt).toEqual(expect.any(String));

    expect(cli('tenant', 'plan', '--tenant', tenantId!, '--plan', 'business').code).toBe(0);
    expect(jsonLine(cli('tenant', 'show', '--tenant', tenantId!, '--json').stdout)['plan']).toBe('business');
  });

  it.each([
    [[]],
    [['tenant']],
    [['tenant', 'create']],
    [['tenant', 'create', '--name']],
    [['tenant', 'create', '--name', 'X', '--plan', 'gold']],
    [['tenant', 'create', '--name', 'X', '--colour', 'red']],
    [['key', 'create']],
    [['key', 'create', '--tenant', '00000000-0000-0000-0000-000000000000', '--scope', 'root']],
    [['tenant', 'plan', '--tenant', 'x']],
    [['frobnicate', 'now']],
  ])('bad arguments %j print usage and exit non-zero', (args) => {
    const result = cli(...args);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('Usage: npm run cli');
    expect(result.stdout).toBe('');
  });

  it('unknown ids exit non-zero with a message', () => {
    const missingTenant = cli('key', 'create', '--tenant', '00000000-0000-0000-0000-000000000000');
    expect(missingTenant.code).toBe(1);
    expect(missingTenant.stderr).toContain('not found');
    expect(cli('key', 'revoke', '--key', 'not-a-key-id').code).toBe(1);
    expect(cli('tenant', 'plan', '--tenant', '00000000-0000-0000-0000-000000000000', '--plan', 'team').code).toBe(1);
  });
});
