import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { type RunningService, type TestTenant, TestTenants, request, startService } from '@chatbot/testing';
import { agentsApiDefinition } from '../src/app.definition';

type Wire = Record<string, unknown> & { ID: string };
interface Env<T> {
  success: boolean;
  message: string;
  data: T;
  statusCode?: number;
}

describe('agents-api: workspaces, orgs and clients (real Postgres + Redis)', () => {
  let api: RunningService;
  let tenants: TestTenants;

  beforeAll(async () => {
    tenants = await TestTenants.open();
    api = await startService(agentsApiDefinition);
  });

  afterAll(async () => {
    await api?.close();
    await tenants?.close();
  });

  const call = <T = Wire>(method: string, path: string, key: string, body?: unknown) =>
    request<Env<T>>(method, `${api.baseUrl}/v3${path}`, { key, ...(body !== undefined ? { body } : {}) });
  const agent = async (t: TestTenant, title: string) => (await call('POST', '/agents', t.apiKey, { agent: { title } })).body.data;

  it('reads and renames the workspace of the key, with counts', async () => {
    const t = await tenants.create('team', 'Acme');
    await agent(t, 'Bot');
    const res = await call('GET', `/workspaces/${t.tenantId}`, t.apiKey);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, data: { ID: t.tenantId, name: 'Acme', plan: 'team', status: 'active', agentsCount: 1, orgsCount: 0, clientsCount: 0 } });
    const renamed = await call('POST', `/workspaces/${t.tenantId}`, t.apiKey, { workspace: { name: 'Acme Support' } });
    expect(renamed.body.data['name']).toBe('Acme Support');
    expect((await call('GET', `/workspaces/${t.tenantId}`, t.apiKey)).body.data['name']).toBe('Acme Support');
  });

  it('orgs: create with agents, list, edit (agentIds replaces), delete', async () => {
    const t = await tenants.create();
    const a1 = await agent(t, 'A1');
    const a2 = await agent(t, 'A2');
    const created = await call('POST', `/workspaces/${t.tenantId}/orgs`, t.apiKey, { org: { name: 'EMEA', agentIds: [a1.ID] } });
    expect(created.status).toBe(200);
    expect(created.body.data).toMatchObject({ name: 'EMEA', agentIds: [a1.ID] });
    const orgId = created.body.data.ID;
    const edited = await call('PATCH', `/workspaces/${t.tenantId}/orgs/${orgId}`, t.apiKey, { org: { agentIds: [a2.ID, a2.ID] } });
    expect(edited.body.data).toMatchObject({ name: 'EMEA', agentIds: [a2.ID] });
    const listed = await call<Wire[]>('GET', `/workspaces/${t.tenantId}/orgs`, t.apiKey);
    expect(listed.body.data.map((o) => o.ID)).toEqual([orgId]);
    // Deleting an agent removes it from its orgs.
    await call('DELETE', `/agents/${a2.ID}`, t.apiKey);
    expect((await call('GET', `/workspaces/${t.tenantId}/orgs/${orgId}`, t.apiKey)).body.data['agentIds']).toEqual([]);
    expect((await call('DELETE', `/workspaces/${t.tenantId}/orgs/${orgId}`, t.apiKey)).body).toMatchObject({ success: true, data: null });
    expect((await call('GET', `/workspaces/${t.tenantId}/orgs/${orgId}`, t.apiKey)).status).toBe(404);
  });

  it('clients: create, unique email per workspace (409), online status, org link cleared when the org goes', async () => {
    const t = await tenants.create();
    const org = (await call('POST', `/workspaces/${t.tenantId}/orgs`, t.apiKey, { org: { name: 'Support' } })).body.data;
    const created = await call('POST', `/workspaces/${t.tenantId}/clients`, t.apiKey, {
      client: { name: 'Ana', email: 'Ana@Example.com', role: 'admin', orgId: org.ID },
    });
    expect(created.status).toBe(200);
    expect(created.body.data).toMatchObject({ name: 'Ana', email: 'ana@example.com', role: 'admin', online: false, orgId: org.ID, lastSeenUNIX: null });
    const dup = await call('POST', `/workspaces/${t.tenantId}/clients`, t.apiKey, { client: { name: 'Ana 2', email: 'ana@example.com' } });
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ success: false, statusCode: 409 });

    const online = await call('POST', `/workspaces/${t.tenantId}/clients/${created.body.data.ID}`, t.apiKey, { client: { online: true } });
    expect(online.body.data).toMatchObject({ online: true, lastSeenUNIX: expect.any(Number) });
    await call('DELETE', `/workspaces/${t.tenantId}/orgs/${org.ID}`, t.apiKey);
    expect((await call('GET', `/workspaces/${t.tenantId}/clients/${created.body.data.ID}`, t.apiKey)).body.data['orgId']).toBeNull();
    expect((await call<Wire[]>('GET', `/workspaces/${t.tenantId}/clients`, t.apiKey)).body.data).toHaveLength(1);
    expect((await call('DELETE', `/workspaces/${t.tenantId}/clients/${created.body.data.ID}`, t.apiKey)).status).toBe(200);
    expect((await call('GET', `/workspaces/${t.tenantId}/clients/${created.body.data.ID}`, t.apiKey)).status).toBe(404);
  });

  it("another workspace (and an agent key) is 404 on every route; another workspace's agents cannot join an org", async () => {
    const owner = await tenants.create();
    const stranger = await tenants.create();
    const mine = await agent(owner, 'Mine');
    const org = (await call('POST', `/workspaces/${owner.tenantId}/orgs`, owner.apiKey, { org: { name: 'O' } })).body.data;
    const client = (await call('POST', `/workspaces/${owner.tenantId}/clients`, owner.apiKey, { client: { name: 'C', email: 'c@example.com' } })).body.data;
    const agentKey = String(mine['SECRET_API_KEY']);
    const ws = owner.tenantId;
    const routes: [string, string, unknown?][] = [
      ['GET', `/workspaces/${ws}`],
      ['POST', `/workspaces/${ws}`, { workspace: { name: 'x' } }],
      ['GET', `/workspaces/${ws}/orgs`],
      ['POST', `/workspaces/${ws}/orgs`, { org: { name: 'x' } }],
      ['GET', `/workspaces/${ws}/orgs/${org.ID}`],
      ['POST', `/workspaces/${ws}/orgs/${org.ID}`, { org: { name: 'x' } }],
      ['PATCH', `/workspaces/${ws}/orgs/${org.ID}`, { org: { name: 'x' } }],
      ['DELETE', `/workspaces/${ws}/orgs/${org.ID}`],
      ['GET', `/workspaces/${ws}/clients`],
      ['POST', `/workspaces/${ws}/clients`, { client: { name: 'x', email: 'x@example.com' } }],
      ['GET', `/workspaces/${ws}/clients/${client.ID}`],
      ['POST', `/workspaces/${ws}/clients/${client.ID}`, { client: { name: 'x' } }],
      ['PATCH', `/workspaces/${ws}/clients/${client.ID}`, { client: { name: 'x' } }],
      ['DELETE', `/workspaces/${ws}/clients/${client.ID}`],
    ];
    for (const [method, path, body] of routes) {
      for (const key of [stranger.apiKey, agentKey]) {
        const res = await call(method, path, key, body);
        expect([method, path, res.status]).toEqual([method, path, 404]);
      }
    }
    // Own workspace, but ids from elsewhere or unknown.
    for (const path of [`/workspaces/${stranger.tenantId}/orgs/${org.ID}`, `/workspaces/${stranger.tenantId}/clients/${randomUUID()}`, `/workspaces/${stranger.tenantId}/orgs/nope`]) {
      expect((await call('GET', path, stranger.apiKey)).status).toBe(404);
    }
    const foreign = await call('POST', `/workspaces/${stranger.tenantId}/orgs`, stranger.apiKey, { org: { name: 'x', agentIds: [mine.ID] } });
    expect(foreign.status).toBe(400);
    expect(foreign.body.message).toContain(mine.ID);
    const foreignOrg = await call('POST', `/workspaces/${stranger.tenantId}/clients`, stranger.apiKey, { client: { name: 'x', email: 'x@example.com', orgId: org.ID } });
    expect(foreignOrg.status).toBe(400);
    // Nothing changed for the owner.
    expect((await call('GET', `/workspaces/${ws}/orgs/${org.ID}`, owner.apiKey)).body.data['name']).toBe('O');
  });

  describe('bad input: 400 in the envelope', () => {
    let t: TestTenant;
    beforeAll(async () => {
      t = await tenants.create();
    });
    it.each<[string, string, unknown, RegExp]>([
      ['workspace without wrapper', '', { name: 'x' }, /workspace is required/],
      ['workspace empty name', '', { workspace: { name: '' } }, /name/],
      ['org without wrapper', '/orgs', { name: 'x' }, /org is required/],
      ['org missing name', '/orgs', { org: {} }, /name is required/],
      ['org bad agent ids', '/orgs', { org: { name: 'x', agentIds: ['nope'] } }, /agentIds must be agent IDs/],
      ['org unknown agent', '/orgs', { org: { name: 'x', agentIds: [randomUUID()] } }, /unknown agent/],
      ['org unknown field', '/orgs', { org: { name: 'x', colour: 1 } }, /colour should not exist/],
      ['client missing email', '/clients', { client: { name: 'x' } }, /email is required/],
      ['client bad email', '/clients', { client: { name: 'x', email: 'nope' } }, /email must be an email/],
      ['client bad role', '/clients', { client: { name: 'x', email: 'a@b.co', role: 'owner' } }, /role must be one of/],
      ['client online string', '/clients', { client: { name: 'x', email: 'a@b.co', online: 'yes' } }, /online must be a boolean/],
      ['client bad org id', '/clients', { client: { name: 'x', email: 'a@b.co', orgId: 'x' } }, /orgId must be an org ID/],
    ])('%s', async (_label, path, body, pattern) => {
      const res = await call('POST', `/workspaces/${t.tenantId}${path}`, t.apiKey, body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ success: false, data: null, statusCode: 400 });
      expect(res.body.message).toMatch(pattern);
    });
  });

  it('DELETE removes the workspace: agents, orgs, clients gone, agent_deleted raised, every key revoked (401 after)', async () => {
    const t = await tenants.create();
    const other = await tenants.create();
    const a = await agent(t, 'Doomed');
    const agentKey = String(a['SECRET_API_KEY']);
    await call('POST', `/workspaces/${t.tenantId}/orgs`, t.apiKey, { org: { name: 'Org', agentIds: [a.ID] } });
    await call('POST', `/workspaces/${t.tenantId}/clients`, t.apiKey, { client: { name: 'Op', email: 'op@example.com' } });
    expect((await call('DELETE', `/workspaces/${t.tenantId}`, agentKey)).status).toBe(404);
    expect((await call('DELETE', `/workspaces/${t.tenantId}`, other.apiKey)).status).toBe(404);

    const res = await call('DELETE', `/workspaces/${t.tenantId}`, t.apiKey);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, data: { deletedAgents: 1, revokedKeys: 2 } });
    expect((await call('GET', `/workspaces/${t.tenantId}`, t.apiKey)).status).toBe(401);
    expect((await call('GET', `/agents/${a.ID}`, agentKey)).status).toBe(401);
    expect((await call('GET', `/workspaces/${other.tenantId}`, other.apiKey)).status).toBe(200);

    const db = new Client({ connectionString: process.env['DATABASE_URL'] });
    await db.connect();
    try {
      const counts = await db.query<{ agents: string; orgs: string; clients: string; status: string; deleted: string }>(
        `SELECT (SELECT count(*) FROM agents.agents WHERE tenant_id = $1) AS agents,
                (SELECT count(*) FROM agents.orgs WHERE tenant_id = $1) AS orgs,
                (SELECT count(*) FROM agents.clients WHERE tenant_id = $1) AS clients,
                (SELECT status FROM tenancy.tenants WHERE id = $1) AS status,
                (SELECT count(*) FROM events.outbox WHERE tenant_id = $1 AND event_type = 'agent_deleted') AS deleted`,
        [t.tenantId],
      );
      expect(counts.rows[0]).toEqual({ agents: '0', orgs: '0', clients: '0', status: 'deleted', deleted: '1' });
    } finally {
      await db.end();
    }
  });
});
