import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { KB_EMBEDDING_DIMENSIONS, KbVectorService } from '@chatbot/kb';
import { type IsolatedEnvironment, type RunningService, type TestTenant, TestTenants, isolatedEnvironment, request, startService, waitFor } from '@chatbot/testing';
import { workerDefinition } from '../../worker/src/app.definition';
import { agentsApiDefinition } from '../src/app.definition';

interface Env<T> {
  success: boolean;
  message: string;
  data: T;
}
interface Doc {
  ID: string;
  status: string;
  chunkCount: number;
}
interface Hit {
  chunkId: string;
  documentId: string;
  text: string;
  score: number;
}
interface EmbedRequest {
  content: { parts: { text: string }[] };
  taskType: string;
  outputDimensionality: number;
}

/**
 * Concepts the fake embedding model "understands": texts about the same concept get the same direction, whatever
 * words they use. Anything else gets a direction of its own (hash of the text), far from every concept.
 */
const CONCEPTS: RegExp[] = [/refund|reimburse|money back/i, /parking|car park|where .* leave my car/i, /password|log ?in|sign ?in/i];

function fakeVector(text: string): number[] {
  const values = new Array<number>(KB_EMBEDDING_DIMENSIONS).fill(0);
  const concept = CONCEPTS.findIndex((re) => re.test(text));
  if (concept >= 0) {
    values[concept] = 1;
  } else {
    let hash = 7;
    for (const ch of text) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
    values[CONCEPTS.length + (hash % (KB_EMBEDDING_DIMENSIONS - CONCEPTS.length))] = 1;
  }
  values[KB_EMBEDDING_DIMENSIONS - 1] = 0.05; // unnormalised on purpose: the provider normalises
  return values;
}

/** A Gemini API on 127.0.0.1 answering batchEmbedContents with deterministic vectors; records every request. */
interface FakeGemini {
  server: Server;
  baseUrl: string;
  seen: { url: string; requests: EmbedRequest[] }[];
  /** The next this-many embedding calls answer 503 (counted in `failed`). */
  failNext: number;
  failed: number;
}

async function fakeGemini(): Promise<FakeGemini> {
  const seen: { url: string; requests: EmbedRequest[] }[] = [];
  const fake = { seen, failNext: 0, failed: 0 } as FakeGemini;
  const server = createServer((req: IncomingMessage, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const url = req.url ?? '';
      if (req.method !== 'POST' || !/:batchEmbedContents$/.test(url)) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":404,"message":"not found"}}');
        return;
      }
      if (fake.failNext > 0) {
        fake.failNext--;
        fake.failed++;
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":{"code":503,"message":"overloaded","status":"UNAVAILABLE"}}');
        return;
      }
      const body = JSON.parse(raw) as { requests: EmbedRequest[] };
      seen.push({ url, requests: body.requests });
      const embeddings = body.requests.map((r) => ({ values: fakeVector(r.content.parts.map((p) => p.text).join(' ')) }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ embeddings }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(fake, { server, baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
}

const REFUNDS = 'Reimbursements are issued within fourteen days after the returned parcel arrives at our warehouse.';
const QUESTION = 'How long until I get my money back?';
const ENV = { CHAT_ENGINE: 'offline', KB_INGEST_BACKOFF_MS: '20', KB_REFRESH_SCAN_INTERVAL_MS: '200', OUTBOX_POLL_INTERVAL_MS: '200' };

describe('hybrid knowledge-base retrieval with pgvector (Gemini embeddings from a local fake, real Postgres + Redis)', () => {
  let isolated: IsolatedEnvironment;
  let gemini: FakeGemini;
  let api: RunningService;
  let ftsApi: RunningService;
  let worker: RunningService;
  let tenants: TestTenants;
  let db: Client;
  let t: TestTenant;
  let agentId: string;

  beforeAll(async () => {
    gemini = await fakeGemini();
    isolated = await isolatedEnvironment();
    const embeddings = { KB_EMBEDDINGS: 'gemini', GEMINI_API_KEY: 'test-key', GEMINI_BASE_URL: gemini.baseUrl };
    api = await startService(agentsApiDefinition, { env: { ...isolated.env, ...ENV, ...embeddings } });
    // The same database, read by a replica with embeddings off: full-text search only.
    ftsApi = await startService(agentsApiDefinition, { env: { ...isolated.env, ...ENV, KB_EMBEDDINGS: 'off' } });
    worker = await startService(workerDefinition, { env: { ...isolated.env, ...ENV, ...embeddings } });
    tenants = await TestTenants.open(isolated.env);
    db = new Client({ connectionString: isolated.env.DATABASE_URL });
    await db.connect();
    t = await tenants.create();
    const agent = await request<Env<{ ID: string }>>('POST', `${api.baseUrl}/v3/agents`, { key: t.apiKey, body: { agent: { title: 'Hybrid bot', lang: 'en' } } });
    agentId = agent.body.data.ID;
  });

  afterAll(async () => {
    await api?.close();
    await ftsApi?.close();
    await worker?.close();
    await tenants?.close();
    await db?.end();
    await new Promise((resolve) => gemini?.server.close(resolve));
    await isolated?.drop();
  });

  const query = async (service: RunningService, question: string, key = t.apiKey, agent = agentId): Promise<Hit[]> => {
    const res = await request<Env<{ chunks: Hit[] }>>('POST', `${service.baseUrl}/v3/agents/${agent}/kb/query`, { key, body: { question, chunkLimit: 3 } });
    expect(res.status).toBe(200);
    return res.body.data.chunks;
  };
  const unembedded = async (documentId: string) =>
    (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM agents.kb_chunks WHERE document_id = $1 AND embedding IS NULL', [documentId])).rows[0]?.n;

  it('the migration created the extension, a vector(768) column and an HNSW cosine index', async () => {
    const column = await db.query<{ type: string }>(
      `SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = 'agents.kb_chunks'::regclass AND attname = 'embedding'`,
    );
    expect(column.rows).toEqual([{ type: `vector(${KB_EMBEDDING_DIMENSIONS})` }]);
    const index = await db.query<{ def: string }>(`SELECT indexdef AS def FROM pg_indexes WHERE schemaname = 'agents' AND indexname = 'kb_chunks_embedding_idx'`);
    expect(index.rows[0]?.def).toMatch(/USING hnsw \(embedding vector_cosine_ops\)/);
    expect(await api.app.get(KbVectorService).detect()).toMatchObject({ enabled: true });
  });

  it('raw text and uploaded files get embeddings (by the worker); a question sharing no word with the answer finds it through the vectors only', async () => {
    const post = (body: unknown) => request<Env<Doc>>('POST', `${api.baseUrl}/v3/agents/${agentId}/kb`, { key: t.apiKey, body });
    const refunds = await post({ name: 'Returns policy', content: `# Returns\n\n${REFUNDS}` });
    const hours = await post({ name: 'Opening hours', content: '# Hours\n\nThe shop opens at nine and closes at six, Monday to Saturday.' });
    expect(refunds.status).toBe(200);
    expect(refunds.body.data.status).toBe('ready');
    const form = new FormData();
    form.append('file', new Blob(['# Parking\n\nCustomers may leave vehicles in the multi-storey behind the shop for free.']), 'parking.md');
    const upload = await fetch(`${api.baseUrl}/v3/agents/${agentId}/kb`, { method: 'POST', headers: { authorization: `Bearer ${t.apiKey}` }, body: form });
    const parking = ((await upload.json()) as Env<Doc>).data;
    expect(upload.status).toBe(200);

    const docs = [refunds.body.data.ID, hours.body.data.ID, parking.ID];
    await waitFor(
      async () => {
        for (const id of docs) {
          const rows = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM agents.kb_chunks WHERE document_id = $1', [id]);
          if ((rows.rows[0]?.n ?? 0) === 0 || (await unembedded(id)) !== 0) return false;
        }
        return true;
      },
      { timeoutMs: 20000, what: 'every chunk to be embedded' },
    );
    // Document vectors were asked for with the document task type and 768 dimensions.
    const documentRequests = gemini.seen.flatMap((s) => s.requests).filter((r) => r.taskType === 'RETRIEVAL_DOCUMENT');
    expect(documentRequests.length).toBeGreaterThanOrEqual(3);
    expect(documentRequests.every((r) => r.outputDimensionality === KB_EMBEDDING_DIMENSIONS)).toBe(true);
    const stored = await db.query<{ norm: number }>(
      `SELECT (embedding OPERATOR(public.<=>) embedding) AS norm FROM agents.kb_chunks WHERE document_id = $1 LIMIT 1`,
      [refunds.body.data.ID],
    );
    expect(stored.rows[0]?.norm).toBeCloseTo(0, 6);

    // Full-text search alone cannot find it: no word in common.
    expect((await query(ftsApi, QUESTION)).map((h) => h.documentId)).not.toContain(refunds.body.data.ID);
    // Hybrid: the vector side brings it up first.
    const seenBefore = gemini.seen.length;
    const hits = await query(api, QUESTION);
    expect(hits[0]).toMatchObject({ documentId: refunds.body.data.ID });
    expect(hits[0]?.text).toContain('Reimbursements are issued');
    expect(hits[0]?.score).toBeGreaterThan(0);
    const asked = gemini.seen.slice(seenBefore).flatMap((s) => s.requests);
    expect(asked.map((r) => [r.taskType, r.content.parts[0]?.text])).toEqual([['RETRIEVAL_QUERY', QUESTION]]);
    // Another concept, words in common with nothing either; and the file (embedded by its ingestion job) is found.
    expect((await query(api, 'Where can I leave my car?'))[0]).toMatchObject({ documentId: parking.ID });
    // Words still count: a full-text match the vectors know nothing about is found.
    expect((await query(api, 'Saturday closing')).map((h) => h.documentId)).toContain(hours.body.data.ID);
  });

  it('an embedding call that fails during ingestion is retried by an embed job: the chunks get their vectors', async () => {
    gemini.failNext = 1;
    const form = new FormData();
    form.append('file', new Blob(['# Account\n\nForgot the secret word you use to sign in? Request a reset link.']), 'account.md');
    const upload = await fetch(`${api.baseUrl}/v3/agents/${agentId}/kb`, { method: 'POST', headers: { authorization: `Bearer ${t.apiKey}` }, body: form });
    expect(upload.status).toBe(200);
    const doc = ((await upload.json()) as Env<Doc>).data;
    await waitFor(
      async () => {
        const rows = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM agents.kb_chunks WHERE document_id = $1', [doc.ID]);
        return (rows.rows[0]?.n ?? 0) > 0 && (await unembedded(doc.ID)) === 0;
      },
      { timeoutMs: 20000, what: 'the chunks to be embedded after the failed call' },
    );
    expect(gemini.failed).toBe(1); // the ingestion's own call failed; the embed job's succeeded
    const status = await request<Env<Doc>>('GET', `${api.baseUrl}/v3/agents/${agentId}/kb/${doc.ID}`, { key: t.apiKey });
    expect(status.body.data.status).toBe('ready'); // the failure did not fail the document
    expect((await query(api, 'I cannot log in'))[0]).toMatchObject({ documentId: doc.ID });
  });

  it("vectors never cross tenants: another tenant's agent with the same concept finds only its own chunks", async () => {
    const other = await tenants.create();
    const agent = await request<Env<{ ID: string }>>('POST', `${api.baseUrl}/v3/agents`, { key: other.apiKey, body: { agent: { title: 'Other' } } });
    const otherAgent = agent.body.data.ID;
    const doc = await request<Env<Doc>>('POST', `${api.baseUrl}/v3/agents/${otherAgent}/kb`, { key: other.apiKey, body: { name: 'Pets', content: 'Dogs are welcome on a lead.' } });
    await waitFor(async () => (await unembedded(doc.body.data.ID)) === 0, { timeoutMs: 20000, what: 'the other tenant’s embeddings' });
    const hits = await query(api, QUESTION, other.apiKey, otherAgent);
    expect(hits.map((h) => h.documentId)).toEqual([doc.body.data.ID]);
    expect((await request('POST', `${api.baseUrl}/v3/agents/${agentId}/kb/query`, { key: other.apiKey, body: { question: QUESTION } })).status).toBe(404);
  });
});

describe('embeddings configured, but the vector extension is not in the database', () => {
  let isolated: IsolatedEnvironment;
  let api: RunningService;
  let worker: RunningService;
  let tenants: TestTenants;
  let fake: Server;
  let embedCalls = 0;

  beforeAll(async () => {
    fake = createServer((_req, res) => {
      embedCalls += 1;
      res.writeHead(500).end('{}');
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    isolated = await isolatedEnvironment();
    // As on a server without pgvector: no extension, so no embedding column and no vector index.
    const db = new Client({ connectionString: isolated.env.DATABASE_URL });
    await db.connect();
    await db.query('DROP EXTENSION IF EXISTS vector CASCADE');
    await db.end();
    const env = { ...isolated.env, KB_EMBEDDINGS: 'auto', GEMINI_API_KEY: 'test-key', GEMINI_BASE_URL: `http://127.0.0.1:${(fake.address() as AddressInfo).port}`, CHAT_ENGINE: 'offline' };
    api = await startService(agentsApiDefinition, { env });
    worker = await startService(workerDefinition, { env });
    tenants = await TestTenants.open(isolated.env);
  });

  afterAll(async () => {
    await api?.close();
    await worker?.close();
    await tenants?.close();
    await new Promise((resolve) => fake?.close(resolve));
    await isolated?.drop();
  });

  it('answers from full-text search with no error, ingests in the worker without embedding, and says so in one log line', async () => {
    const vectors = api.app.get(KbVectorService);
    const warn = jest.spyOn((vectors as unknown as { logger: { warn: (m: string) => void } }).logger, 'warn').mockImplementation(() => undefined);
    const t = await tenants.create();
    const key = t.apiKey;
    const agent = await request<Env<{ ID: string }>>('POST', `${api.baseUrl}/v3/agents`, { key, body: { agent: { title: 'Hybrid?' } } });
    const agentId = agent.body.data.ID;
    const doc = await request<Env<Doc>>('POST', `${api.baseUrl}/v3/agents/${agentId}/kb`, { key, body: { name: 'Tea', content: 'Green tea steeps for two minutes at eighty degrees.' } });
    expect(doc.status).toBe(200);
    const form = new FormData();
    form.append('file', new Blob(['Black tea steeps for four minutes.']), 'black.txt');
    const upload = await fetch(`${api.baseUrl}/v3/agents/${agentId}/kb`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
    const file = ((await upload.json()) as Env<Doc>).data;
    await waitFor(async () => (await request<Env<Doc>>('GET', `${api.baseUrl}/v3/agents/${agentId}/kb/${file.ID}`, { key })).body.data.status === 'ready', {
      timeoutMs: 15000,
      what: 'the worker to index the file',
    });
    for (let i = 0; i < 3; i += 1) {
      const res = await request<Env<{ chunks: Hit[] }>>('POST', `${api.baseUrl}/v3/agents/${agentId}/kb/query`, { key, body: { question: 'green tea steeping' } });
      expect(res.status).toBe(200);
      expect(res.body.data.chunks[0]).toMatchObject({ documentId: doc.body.data.ID });
    }
    const black = await request<Env<{ chunks: Hit[] }>>('POST', `${api.baseUrl}/v3/agents/${agentId}/kb/query`, { key, body: { question: 'black tea' } });
    expect(black.body.data.chunks[0]).toMatchObject({ documentId: file.ID });
    expect(await vectors.detect()).toEqual({ enabled: false, reason: expect.stringMatching(/vector extension/) });
    expect(await worker.app.get(KbVectorService).detect()).toEqual({ enabled: false, reason: expect.stringMatching(/vector extension/) });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[0]).toMatch(/embeddings provider gemini is configured but the Postgres vector extension .* full-text search only/);
    expect(embedCalls).toBe(0);
    warn.mockRestore();
  });
});
