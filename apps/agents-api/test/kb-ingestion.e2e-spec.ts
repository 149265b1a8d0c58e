import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { type IsolatedEnvironment, type RunningService, type TestTenant, TestTenants, isolatedEnvironment, request, startService, waitFor } from '@chatbot/testing';
import { workerDefinition } from '../../worker/src/app.definition';
import { agentsApiDefinition } from '../src/app.definition';
import { makeDocx, makePdf } from './fixtures/kb/files';

interface Env<T> {
  success: boolean;
  message: string;
  data: T;
  statusCode?: number;
}
interface Doc {
  ID: string;
  name: string;
  title: string | null;
  sourceType: string;
  sourceKind: string;
  status: string;
  error: string | null;
  url: string | null;
  tags: string[];
  chunkCount: number;
  contentHash: string | null;
  mimeType: string | null;
  nextRefreshAt: number | null;
  lastIngestedAt: number | null;
  pageCounts?: { total: number; pending: number; processing: number; ready: number; failed: number };
}
interface Hit {
  chunkId: string;
  documentId: string;
  documentName: string;
  url: string | null;
  headingPath: string[];
  text: string;
  score: number;
  tags: string[];
  source: string;
}

interface Page {
  status?: number;
  type?: string;
  body: string | Buffer;
  delayMs?: number;
}

/** A small website on 127.0.0.1 (development/test mode lets the SSRF guard through to loopback). */
class Site {
  readonly pages = new Map<string, Page | Page[]>();
  readonly hits = new Map<string, number>();
  private server!: Server;
  base = '';

  async start(host = '127.0.0.1'): Promise<void> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const path = req.url ?? '/';
      const count = (this.hits.get(path) ?? 0) + 1;
      this.hits.set(path, count);
      const entry = this.pages.get(path);
      // An array answers its pages in turn (the last one from then on).
      const page = Array.isArray(entry) ? entry[Math.min(count, entry.length) - 1] : entry;
      const send = () => {
        if (!page) {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
          return;
        }
        res.writeHead(page.status ?? 200, { 'content-type': page.type ?? 'text/html; charset=utf-8' }).end(page.body);
      };
      if (page?.delayMs) setTimeout(send, page.delayMs);
      else send();
    });
    await new Promise<void>((resolve) => this.server.listen(0, host, resolve));
    this.base = `http://${host}:${(this.server.address() as AddressInfo).port}`;
  }

  url(path: string): string {
    return `${this.base}${path}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const page = (title: string, body: string) => `<!doctype html><html><head><title>${title}</title></head><body>
<header><a href="/">Logo</a><nav><ul><li><a href="/pricing">Pricing menu link</a></li><li><a href="/about">About us menu link</a></li></ul></nav></header>
<main>${body}</main>
<aside>Sidebar newsletter signup zebracorn</aside>
<footer>Copyright footer text, imprint, privacy policy</footer>
</body></html>`;

const TEST_ENV = {
  KB_INGEST_ATTEMPTS: '3',
  KB_INGEST_BACKOFF_MS: '20',
  KB_REFRESH_SCAN_INTERVAL_MS: '200',
  KB_MAX_UPLOAD_BYTES: '65536',
  KB_FETCH_TIMEOUT_MS: '3000',
  KB_EMBEDDINGS: 'off',
};

/**
 * agents-api validates, stores the `pending` document and enqueues; the worker (apps/worker, started beside it on a
 * database and Redis prefix of their own) fetches, extracts, chunks and indexes, and publishes the status changes.
 */
describe('knowledge-base ingestion through agents-api and the worker (files, URLs, sitemaps; real Postgres + Redis)', () => {
  let isolated: IsolatedEnvironment;
  let api: RunningService;
  let worker: RunningService;
  let tenants: TestTenants;
  let db: Client;
  let site: Site;
  let t: TestTenant;
  let agentId: string;

  beforeAll(async () => {
    site = new Site();
    await site.start();
    isolated = await isolatedEnvironment();
    tenants = await TestTenants.open(isolated.env);
    api = await startService(agentsApiDefinition, { env: { ...isolated.env, ...TEST_ENV } });
    worker = await startService(workerDefinition, { env: { ...isolated.env, ...TEST_ENV } });
    db = new Client({ connectionString: isolated.env.DATABASE_URL });
    await db.connect();
    t = await tenants.create();
    agentId = (await createAgent(t)).ID;
  });

  afterAll(async () => {
    await api?.close();
    await worker?.close();
    await tenants?.close();
    await db?.end();
    await site?.close();
    await isolated?.drop();
  });

  const call = <T>(method: string, path: string, key: string, body?: unknown) =>
    request<Env<T>>(method, `${api.baseUrl}/v3/agents${path}`, { key, ...(body !== undefined ? { body } : {}) });
  async function createAgent(tenant: TestTenant): Promise<{ ID: string }> {
    const res = await call<{ ID: string }>('POST', '', tenant.apiKey, { agent: { title: 'Ingest bot', lang: 'en' } });
    expect(res.status).toBe(200);
    return res.body.data;
  }
  const upload = async (key: string, agent: string, fileName: string, bytes: Buffer | string, fields: Record<string, string> = {}) => {
    const form = new FormData();
    form.append('file', new Blob([typeof bytes === 'string' ? bytes : new Uint8Array(bytes)]), fileName);
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    const res = await fetch(`${api.baseUrl}/v3/agents/${agent}/kb`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
    return { status: res.status, body: (await res.json()) as Env<Doc> };
  };
  const getDoc = async (id: string, agent = agentId, key = t.apiKey) => (await call<Doc>('GET', `/${agent}/kb/${id}`, key)).body.data;
  const settled = async (id: string, timeoutMs = 15000): Promise<Doc> => {
    let doc: Doc | undefined;
    await waitFor(
      async () => {
        doc = await getDoc(id);
        return doc.status === 'ready' || doc.status === 'failed';
      },
      { timeoutMs, intervalMs: 50, what: `document ${id} to settle` },
    );
    return doc as Doc;
  };
  const query = async (question: string, extra: Record<string, unknown> = {}, agent = agentId): Promise<Hit[]> => {
    const res = await call<{ chunks: Hit[] }>('POST', `/${agent}/kb/query`, t.apiKey, { question, ...extra });
    expect(res.status).toBe(200);
    return res.body.data.chunks;
  };
  const chunkRows = async (documentId: string) =>
    (await db.query<{ id: string; content: string }>('SELECT id, content FROM agents.kb_chunks WHERE document_id = $1 ORDER BY position', [documentId])).rows;

  describe('file uploads (multipart)', () => {
    it.each<[string, string, () => Buffer | string, string, RegExp]>([
      ['txt', 'notes.txt', () => 'The quokka enclosure opens at nine in the morning.', 'quokka enclosure', /nine in the morning/],
      ['md', 'guide.md', () => '# Setup\n\n## Pairing\n\nHold the flumbridge button for five seconds to pair.', 'flumbridge pairing', /five seconds/],
      [
        'html',
        'page.html',
        () => page('Warranty', '<h1>Warranty</h1><p>The grintel warranty covers parts and labour for two years.</p>'),
        'grintel warranty',
        /two years/,
      ],
      ['pdf', 'manual.pdf', () => makePdf(['Battery care', 'Charge the zorbax battery to eighty percent for storage.'], 'Zorbax manual'), 'zorbax battery storage', /eighty percent/],
      ['docx', 'policy.docx', () => makeDocx([{ heading: 'Holidays' }, 'Employees get twenty-eight days of plimbo leave per year.']), 'plimbo leave', /twenty-eight days/],
      ['csv', 'plans.csv', () => 'plan,price,seats\nStarter,9 EUR,1\nQuibble Pro,49 EUR,10\n', 'Quibble Pro price', /price: 49 EUR/],
    ])('%s: pending → ready, queryable, with its source', async (kind, fileName, bytes, question, expected) => {
      const res = await upload(t.apiKey, agentId, fileName, bytes(), { tags: 'files,upload' });
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ sourceType: 'doc', sourceKind: 'file', status: 'pending', name: fileName, tags: ['files', 'upload'] });
      const doc = await settled(res.body.data.ID);
      expect(doc).toMatchObject({ status: 'ready', error: null });
      expect(doc.chunkCount).toBeGreaterThan(0);
      const hits = await query(question);
      expect(hits[0]).toMatchObject({ documentId: doc.ID, tags: ['files', 'upload'] });
      expect(hits[0]?.text).toMatch(expected);
      if (kind === 'md') expect(hits[0]?.headingPath).toEqual(['Setup', 'Pairing']);
      if (kind === 'docx') expect(hits[0]?.headingPath).toEqual(['Holidays']);
      if (kind === 'pdf') expect(doc.title).toBe('Zorbax manual');
      if (kind === 'html') expect((await chunkRows(doc.ID)).map((c) => c.content).join(' ')).not.toMatch(/menu link|footer|zebracorn/);
    });

    it('name and tags fields: name overrides the file name; tags as a JSON array', async () => {
      const res = await upload(t.apiKey, agentId, 'x.txt', 'Snorkel rental costs twelve euros per day.', { name: 'Rental prices', tags: '["rentals"]' });
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ name: 'Rental prices', tags: ['rentals'] });
      expect((await settled(res.body.data.ID)).status).toBe('ready');
    });

    it('bad uploads are 4xx: too big 413, unknown type 415, content not matching its type 415, no file 400, unknown field 400', async () => {
      const big = await upload(t.apiKey, agentId, 'big.txt', 'x'.repeat(70_000));
      expect(big.status).toBe(413);
      expect(big.body).toMatchObject({ success: false, statusCode: 413 });
      expect(big.body.message).toMatch(/65536-byte limit \(KB_MAX_UPLOAD_BYTES\)/);
      // Over the limit plus the form allowance: refused from its Content-Length, before it is read.
      const huge = await upload(t.apiKey, agentId, 'huge.txt', 'x'.repeat(200_000));
      expect(huge.status).toBe(413);
      const exe = await upload(t.apiKey, agentId, 'setup.exe', 'MZ...');
      expect(exe.status).toBe(415);
      expect(exe.body.message).toMatch(/Unsupported file type: setup\.exe; supported: \.txt, \.md, \.html, \.pdf, \.docx, \.csv/);
      const fakePdf = await upload(t.apiKey, agentId, 'fake.pdf', 'just text');
      expect(fakePdf.status).toBe(415);
      expect(fakePdf.body.message).toMatch(/not a PDF/);
      const binaryTxt = await upload(t.apiKey, agentId, 'bin.txt', Buffer.from([0x00, 0x01, 0x02, 0x41]));
      expect(binaryTxt.status).toBe(415);
      const noFile = await fetch(`${api.baseUrl}/v3/agents/${agentId}/kb`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t.apiKey}` },
        body: (() => {
          const f = new FormData();
          f.append('name', 'x');
          return f;
        })(),
      });
      expect(noFile.status).toBe(400);
      expect(((await noFile.json()) as Env<null>).message).toMatch(/file is required/);
      const unknown = await upload(t.apiKey, agentId, 'a.txt', 'text', { colour: 'red' });
      expect(unknown.status).toBe(400);
      expect(unknown.body.message).toMatch(/unknown field colour/);
      const badTags = await upload(t.apiKey, agentId, 'a.txt', 'text', { tags: '[1,2]' });
      expect(badTags.status).toBe(400);
      // multipart is only for the knowledge-base route
      const elsewhere = await fetch(`${api.baseUrl}/v3/agents/${agentId}/kb/query`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t.apiKey}` },
        body: new FormData(),
      });
      expect(elsewhere.status).toBe(415);
    });

    it("another tenant's agent is 404 for uploads, documents and queries", async () => {
      const stranger = await tenants.create();
      const res = await upload(t.apiKey, agentId, 'mine.txt', 'Private stuff about the vorpal sword.');
      const mine = res.body.data.ID;
      await settled(mine);
      expect((await upload(stranger.apiKey, agentId, 'theirs.txt', 'hello')).status).toBe(404);
      expect((await call('GET', `/${agentId}/kb/${mine}`, stranger.apiKey)).status).toBe(404);
      expect((await call('DELETE', `/${agentId}/kb/${mine}`, stranger.apiKey)).status).toBe(404);
      expect((await call('POST', `/${agentId}/kb/query`, stranger.apiKey, { question: 'vorpal sword' })).status).toBe(404);
      const strangerAgent = await createAgent(stranger);
      expect((await call('GET', `/${strangerAgent.ID}/kb/${mine}`, stranger.apiKey)).status).toBe(404);
      expect((await call<Doc>('GET', `/${agentId}/kb/${mine}`, t.apiKey)).body.data.status).toBe('ready');
    });
  });

  describe('url sources', () => {
    it('fetches the page, keeps its main content (not menus, sidebar, footer) and title, and is queryable', async () => {
      site.pages.set('/faq', { body: page('Shop FAQ', '<h1>Delivery</h1><p>Parcels with the blorptastic courier arrive within three days.</p><h2>Returns</h2><p>Send it back within thirty days.</p>') });
      const res = await call<Doc>('POST', `/${agentId}/kb`, t.apiKey, { sourceType: 'url', urls: [site.url('/faq')], tags: ['web'] });
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ sourceType: 'url', status: 'pending', url: site.url('/faq'), name: site.url('/faq') });
      const doc = await settled(res.body.data.ID);
      expect(doc).toMatchObject({ status: 'ready', title: 'Shop FAQ', mimeType: 'text/html' });
      const text = (await chunkRows(doc.ID)).map((c) => c.content).join('\n');
      expect(text).toMatch(/blorptastic courier arrive within three days/);
      expect(text).not.toMatch(/menu link|Copyright footer|zebracorn|Logo/);
      const hits = await query('blorptastic courier');
      expect(hits[0]).toMatchObject({ documentId: doc.ID, documentName: 'Shop FAQ', url: site.url('/faq'), source: site.url('/faq'), tags: ['web'] });
      expect(await query('zebracorn')).toEqual([]);
    });

    it('several urls: one document each, answered as an array', async () => {
      site.pages.set('/a', { body: page('A', '<p>Alpha page about the glimmerfen lake.</p>') });
      site.pages.set('/b', { body: page('B', '<p>Beta page about the glimmerfen forest.</p>') });
      const res = await call<Doc[]>('POST', `/${agentId}/kb`, t.apiKey, { sourceType: 'url', urls: [site.url('/a'), site.url('/b')], name: 'Glimmerfen' });
      expect(res.status).toBe(200);
      expect(res.body.data.map((d) => d.name)).toEqual(['Glimmerfen (1)', 'Glimmerfen (2)']);
      for (const d of res.body.data) expect((await settled(d.ID)).status).toBe('ready');
      expect(new Set((await query('glimmerfen')).map((h) => h.documentId))).toEqual(new Set(res.body.data.map((d) => d.ID)));
    });

    it('a 404 fails at once with the reason (no retries)', async () => {
      const res = await call<Doc>('POST', `/${agentId}/kb`, t.apiKey, { sourceType: 'url', urls: [site.url('/missing')] });
      const doc = await settled(res.body.data.ID);
      expect(doc.status).toBe('failed');
      expect(doc.error).toBe(`HTTP 404 from ${site.url('/missing')}`);
      expect(site.hits.get('/missing')).toBe(1);
    });

    it("the worker's status changes raise kb_status_changed through the outbox (pending → ready, → failed), relayed", async () => {
      const other = await tenants.create();
      const agent = (await createAgent(other)).ID;
      const events = async () =>
        (
          await db.query<{ status: string; published: boolean }>(
            `SELECT payload->>'status' AS status, published_at IS NOT NULL AS published FROM events.outbox
             WHERE tenant_id = $1 AND event_type = 'kb_status_changed' AND aggregate_id = $2 ORDER BY created_at, id`,
            [other.tenantId, agent],
          )
        ).rows;
      site.pages.set('/status', { body: page('Status', '<p>The quibbleton status page.</p>') });
      const ok = await call<Doc>('POST', `/${agent}/kb`, other.apiKey, { sourceType: 'url', urls: [site.url('/status')] });
      expect(ok.status).toBe(200);
      await waitFor(async () => (await getDoc(ok.body.data.ID, agent, other.apiKey)).status === 'ready', { timeoutMs: 15000, what: 'the url document' });
      expect((await events()).map((e) => e.status)).toEqual(['indexing', 'ready']);
      await call('DELETE', `/${agent}/kb/${ok.body.data.ID}`, other.apiKey);
      const bad = await call<Doc>('POST', `/${agent}/kb`, other.apiKey, { sourceType: 'url', urls: [site.url('/no-such-page')] });
      await waitFor(async () => (await getDoc(bad.body.data.ID, agent, other.apiKey)).status === 'failed', { timeoutMs: 15000, what: 'the failing document' });
      expect((await events()).map((e) => e.status)).toEqual(['indexing', 'ready', 'empty', 'indexing', 'failed']);
      // The worker's outbox relay publishes them (the widget projection and webhooks are fed from there).
      await waitFor(async () => (await events()).every((e) => e.published), { timeoutMs: 10000, what: 'the relay to publish the events' });
    });

    it('connection refused is retried with backoff, then fails with the reason', async () => {
      const closed = new Site();
      await closed.start();
      const url = closed.url('/gone');
      await closed.close();
      const res = await call<Doc>('POST', `/${agentId}/kb`, t.apiKey, { sourceType: 'url', urls: [url] });
      const doc = await settled(res.body.data.ID);
      expect(doc).toMatchObject({ status: 'failed', error: 'connection refused (ECONNREFUSED)' });
    });

    it('a transient 503 is retried and then succeeds', async () => {
      site.pages.set('/flaky', [{ status: 503, body: 'busy' }, { status: 429, body: 'slow down' }, { body: page('Flaky', '<p>The wobblecat finally answered.</p>') }]);
      const res = await call<Doc>('POST', `/${agentId}/kb`, t.apiKey, { sourceType: 'url', urls: [site.url('/flaky')] });
      const doc = await settled(res.body.data.ID);
      expect(doc).toMatchObject({ status: 'ready', error: null });
      expect(site.hits.get('/flaky')).toBe(3);
    });

    it('an unsupported content type fails with the reason', async () => {
      site.pages.set('/image.png', { type: 'image/png', body: Buffer.from([0x89, 0x50, 0x4e, 0x47]) });
      const res = await call<Doc>('POST', `/${agentId}/kb`, t.apiKey, { sourceType: 'url', urls: [site.url('/image.png')] });
      const doc = await settled(res.body.data.ID);
      expect(doc.status).toBe('failed');
      expect(doc.error).toMatch(/unsupported content type image\/png/);
    });

    it('refresh: re-ingests when the content changed (hash), changes nothing when it did not', async () => {
      site.pages.set('/news', { body: page('News', '<p>The kerfluffle festival is on Monday.</p>') });
      const res = await call<Doc>('POST', `/${agentId}/kb`, t.apiKey, { sourceType: 'url', urls: [site.url('/news')], refreshRate: '6h' });
      const first = await settled(res.body.data.ID);
      expect(first.status).toBe('ready');
      expect(first.nextRefreshAt).toBeGreaterThan(Date.now() + 5.9 * 3600_000);
      const firstChunks = await chunkRows(first.ID);

      // Due, unchanged: fetched again, same hash, same chunk rows (the status stays ready throughout).
      const fetches = site.hits.get('/news') ?? 0;
      await db.query(`UPDATE agents.kb_documents SET next_refresh_at = now() - interval '1 second' WHERE id = $1`, [first.ID]);
      // Done when the job wrote its result (lastIngestedAt), not merely when it fetched: a job still running would
      // otherwise push next_refresh_at ahead again after the next step made it due.
      await waitFor(
        async () => {
          const doc = await getDoc(first.ID);
          return (site.hits.get('/news') ?? 0) > fetches && doc.lastIngestedAt! > first.lastIngestedAt! && doc.nextRefreshAt! > Date.now() + 3600_000;
        },
        { timeoutMs: 10000, what: 'the unchanged refresh' },
      );
      expect((await getDoc(first.ID)).status).toBe('ready');
      expect(await chunkRows(first.ID)).toEqual(firstChunks);

      // Due, changed: new chunks, new hash; the old text is gone.
      site.pages.set('/news', { body: page('News', '<p>The kerfluffle festival moved to Friday.</p>') });
      await db.query(`UPDATE agents.kb_documents SET next_refresh_at = now() - interval '1 second' WHERE id = $1`, [first.ID]);
      await waitFor(async () => (await getDoc(first.ID)).contentHash !== first.contentHash, { timeoutMs: 10000, what: 'the changed refresh' });
      const after = await settled(first.ID);
      expect(after.status).toBe('ready');
      const hits = await query('kerfluffle festival');
      expect(hits).toHaveLength(1);
      expect(hits[0]?.text).toMatch(/moved to Friday/);
    });
  });

  describe('sitemap sources', () => {
    it('same-site pages only, up to maxPages, each a child document; queryable with their URLs', async () => {
      site.pages.set('/sitemap.xml', {
        type: 'application/xml',
        body: `<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
          <url><loc>http://localhost:1/elsewhere</loc></url>
          <url><loc>${site.url('/docs/one')}</loc></url>
          <url><loc>${site.url('/docs/two')}</loc></url>
          <url><loc>https://example.com/other-site</loc></url>
          <url><loc>${site.url('/docs/three')}</loc></url>
        </urlset>`,
      });
      site.pages.set('/docs/one', { body: page('Doc one', '<h1>Install</h1><p>Install the snozzberry agent with the installer.</p>') });
      site.pages.set('/docs/two', { body: page('Doc two', '<h1>Configure</h1><p>Configure the snozzberry agent in settings.</p>') });
      site.pages.set('/docs/three', { body: page('Doc three', '<p>Third page, over maxPages.</p>') });
      const res = await call<Doc>('POST', `/${agentId}/kb`, t.apiKey, { sourceType: 'sitemap', sitemapUrl: site.url('/sitemap.xml'), maxPages: 2, tags: ['docs'] });
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ sourceType: 'sitemap', status: 'pending', maxPages: 2 });
      const id = res.body.data.ID;
      await waitFor(async () => (await getDoc(id)).pageCounts?.ready === 2, { timeoutMs: 15000, what: 'the sitemap pages' });
      expect(await getDoc(id)).toMatchObject({ status: 'ready', pageCounts: { total: 2, ready: 2, failed: 0 } });
      expect(site.hits.get('/docs/three')).toBeUndefined();
      const hits = await query('snozzberry agent', { tags: ['docs'] });
      expect(hits.map((h) => h.url).sort()).toEqual([site.url('/docs/one'), site.url('/docs/two')]);
      expect(hits.every((h) => h.tags.includes('docs'))).toBe(true);
      // The list shows the sitemap, not its pages; deleting it removes its pages and their chunks.
      const list = await call<Doc[]>('GET', `/${agentId}/kb?limit=100`, t.apiKey);
      expect(list.body.data.filter((d) => d.sourceType === 'url' && d.url?.includes('/docs/'))).toEqual([]);
      expect((await call('DELETE', `/${agentId}/kb/${id}`, t.apiKey)).status).toBe(200);
      expect(await query('snozzberry')).toEqual([]);
      const left = await db.query('SELECT count(*)::int AS n FROM agents.kb_documents WHERE parent_id = $1', [id]);
      expect(left.rows[0]).toEqual({ n: 0 });
    });

    it('a sitemap listing no page of its own site fails with the reason', async () => {
      site.pages.set('/foreign.xml', { type: 'text/xml', body: '<urlset><url><loc>https://example.com/x</loc></url></urlset>' });
      const res = await call<Doc>('POST', `/${agentId}/kb`, t.apiKey, { sourceType: 'sitemap', sitemapUrl: site.url('/foreign.xml') });
      const doc = await settled(res.body.data.ID);
      expect(doc.status).toBe('failed');
      expect(doc.error).toMatch(/lists no pages of its own site \(1 entries/);
    });
  });

  describe('tags and delete', () => {
    it('tag filters select documents by tag', async () => {
      const red = await upload(t.apiKey, agentId, 'red.txt', 'The snarfblat colour is red.', { tags: 'red' });
      const blue = await upload(t.apiKey, agentId, 'blue.txt', 'The snarfblat colour is blue.', { tags: 'blue' });
      await settled(red.body.data.ID);
      await settled(blue.body.data.ID);
      expect((await query('snarfblat colour')).map((h) => h.documentId).sort()).toEqual([red.body.data.ID, blue.body.data.ID].sort());
      expect((await query('snarfblat colour', { tags: ['blue'] })).map((h) => h.documentId)).toEqual([blue.body.data.ID]);
      expect(await query('snarfblat colour', { tags: ['green'] })).toEqual([]);
    });

    it('delete removes the chunks at once; a queued or running job then does nothing', async () => {
      const res = await upload(t.apiKey, agentId, 'gone.txt', 'The frabjous day is a holiday.');
      const ready = await settled(res.body.data.ID);
      expect((await chunkRows(ready.ID)).length).toBeGreaterThan(0);
      expect((await call('DELETE', `/${agentId}/kb/${ready.ID}`, t.apiKey)).status).toBe(200);
      expect(await chunkRows(ready.ID)).toEqual([]);
      expect(await query('frabjous')).toEqual([]);
      expect((await call('GET', `/${agentId}/kb/${ready.ID}`, t.apiKey)).status).toBe(404);

      // Deleted while its fetch is in flight: the job finds the document gone and writes nothing.
      site.pages.set('/slow', { body: page('Slow', '<p>The jabberwock page.</p>'), delayMs: 400 });
      const slow = await call<Doc>('POST', `/${agentId}/kb`, t.apiKey, { sourceType: 'url', urls: [site.url('/slow')] });
      await waitFor(() => (site.hits.get('/slow') ?? 0) > 0, { timeoutMs: 5000, what: 'the slow fetch' });
      expect((await call('DELETE', `/${agentId}/kb/${slow.body.data.ID}`, t.apiKey)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 800));
      expect(await chunkRows(slow.body.data.ID)).toEqual([]);
      const rows = await db.query('SELECT count(*)::int AS n FROM agents.kb_documents WHERE id = $1', [slow.body.data.ID]);
      expect(rows.rows[0]).toEqual({ n: 0 });
      expect(await query('jabberwock')).toEqual([]);
    });

    it('stats count every page and file; the status is derived from them', async () => {
      const stats = await call<{ docsCount: number; chunks: number; statusCounts: Record<string, number>; knowledgeBaseStatus: string }>('GET', `/${agentId}/kb/stats`, t.apiKey);
      expect(stats.status).toBe(200);
      expect(stats.body.data.statusCounts.failed).toBeGreaterThan(0);
      expect(stats.body.data.statusCounts.ready).toBeGreaterThan(0);
      expect(stats.body.data.knowledgeBaseStatus).toBe('ready');
    });
  });
});

describe('knowledge-base sources and the SSRF guard (KB_SSRF_PROTECTION=on, as in production)', () => {
  let isolated: IsolatedEnvironment;
  let api: RunningService;
  let worker: RunningService;
  let tenants: TestTenants;
  let site: Site;
  let t: TestTenant;
  let agentId: string;

  beforeAll(async () => {
    site = new Site();
    await site.start('127.0.0.2'); // loopback too (127.0.0.0/8), but not what localhost resolves to
    isolated = await isolatedEnvironment();
    tenants = await TestTenants.open(isolated.env);
    const env = { ...isolated.env, ...TEST_ENV, KB_SSRF_PROTECTION: 'on' };
    // agents-api lets the site's address through (allowlisted); the worker does not, so the job-time check shows too.
    api = await startService(agentsApiDefinition, { env: { ...env, KB_SSRF_ALLOWLIST: '127.0.0.2' } });
    worker = await startService(workerDefinition, { env: { ...env, KB_SSRF_ALLOWLIST: '' } });
    t = await tenants.create();
    const agent = await request<Env<{ ID: string }>>('POST', `${api.baseUrl}/v3/agents`, { key: t.apiKey, body: { agent: { title: 'Guarded' } } });
    agentId = agent.body.data.ID;
  });

  afterAll(async () => {
    await api?.close();
    await worker?.close();
    await tenants?.close();
    await site?.close();
    await isolated?.drop();
  });

  const post = (body: unknown) => request<Env<Doc | Doc[]>>('POST', `${api.baseUrl}/v3/agents/${agentId}/kb`, { key: t.apiKey, body });

  it.each([
    ['a private address', { sourceType: 'url', urls: ['http://10.1.2.3/intranet'] }, 'urls', /10\.1\.2\.3 .*private/],
    ['the cloud metadata address, among good URLs', { sourceType: 'url', urls: ['https://93.184.216.34/ok', 'http://169.254.169.254/latest/meta-data/'] }, 'urls', /169\.254\.169\.254/],
    ['loopback by name (resolved)', { sourceType: 'sitemap', sitemapUrl: 'http://localhost:9/sitemap.xml' }, 'sitemapUrl', /refused to connect to (127\.0\.0\.1|::1)/],
    ['IPv6 loopback', { sourceType: 'url', urls: ['http://[::1]:9/x'] }, 'urls', /::1/],
  ])('%s: 400 at POST time naming the field, and nothing is stored', async (_name, body, field, reason) => {
    const before = await request<Env<Doc[]>>('GET', `${api.baseUrl}/v3/agents/${agentId}/kb?limit=100`, { key: t.apiKey });
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ success: false, statusCode: 400 });
    expect(res.body.message).toMatch(/not reachable for knowledge-base ingestion/);
    expect(res.body.message).toMatch(reason);
    expect((res.body as unknown as { details: { field: string }[] }).details).toEqual([expect.objectContaining({ field })]);
    const after = await request<Env<Doc[]>>('GET', `${api.baseUrl}/v3/agents/${agentId}/kb?limit=100`, { key: t.apiKey });
    expect(after.body.data).toHaveLength(before.body.data.length);
  });

  it('a public address is accepted (pending); an allowlisted private one too, and the worker still checks every fetch', async () => {
    const publicUrl = await post({ sourceType: 'url', urls: ['http://93.184.216.34/page'] });
    expect(publicUrl.status).toBe(200);
    expect(publicUrl.body.data).toMatchObject({ status: 'pending' });
    await request('DELETE', `${api.baseUrl}/v3/agents/${agentId}/kb/${(publicUrl.body.data as Doc).ID}`, { key: t.apiKey });

    site.pages.set('/inside', { body: page('Inside', '<p>Only reachable on the loopback interface.</p>') });
    const allowed = await post({ sourceType: 'url', urls: [site.url('/inside')] });
    expect(allowed.status).toBe(200);
    const id = (allowed.body.data as Doc).ID;
    let doc: Doc | undefined;
    await waitFor(
      async () => {
        doc = (await request<Env<Doc>>('GET', `${api.baseUrl}/v3/agents/${agentId}/kb/${id}`, { key: t.apiKey })).body.data;
        return doc.status === 'failed';
      },
      { timeoutMs: 15000, what: 'the job-time SSRF refusal' },
    );
    expect(doc?.error).toMatch(/blocked by the SSRF guard: refused to connect to 127\.0\.0\.2 \(loopback\)/);
    expect(site.hits.get('/inside')).toBeUndefined();
  });
});
