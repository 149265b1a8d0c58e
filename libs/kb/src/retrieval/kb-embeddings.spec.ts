import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EmbeddingError, GeminiEmbeddingProvider, KB_EMBEDDING_DIMENSIONS, toVectorLiteral } from './kb-embeddings';

interface Captured {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: { requests: { model: string; content: { parts: { text: string }[] }; taskType: string; outputDimensionality: number }[] };
}

/** A fake Gemini API on loopback: records each request, answers what `reply` returns. */
async function fakeGemini(reply: (body: Captured['body']) => { status: number; json: unknown }): Promise<{ server: Server; baseUrl: string; seen: Captured[] }> {
  const seen: Captured[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const body = JSON.parse(raw) as Captured['body'];
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const { status, json } = reply(body);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const vector = (seed: number) => Array.from({ length: KB_EMBEDDING_DIMENSIONS }, (_, i) => (i === seed ? 3 : 0));

describe('GeminiEmbeddingProvider (real @google/genai client against a local fake)', () => {
  let fake: Awaited<ReturnType<typeof fakeGemini>>;
  let status = 200;
  let dims = KB_EMBEDDING_DIMENSIONS;

  beforeAll(async () => {
    fake = await fakeGemini((body) =>
      status === 200
        ? { status, json: { embeddings: body.requests.map((_, i) => ({ values: vector(i).slice(0, dims) })) } }
        : { status, json: { error: { code: status, message: 'quota exhausted', status: 'RESOURCE_EXHAUSTED' } } },
    );
  });
  afterAll(() => new Promise((resolve) => fake.server.close(resolve)));
  beforeEach(() => {
    fake.seen.length = 0;
    status = 200;
    dims = KB_EMBEDDING_DIMENSIONS;
  });

  const provider = () => new GeminiEmbeddingProvider({ apiKey: 'k-123', baseUrl: fake.baseUrl, model: 'gemini-embedding-001', timeoutMs: 5000 });

  it('sends batchEmbedContents with the task type and 768 dimensions, and maps the vectors (unit length) in order', async () => {
    const p = provider();
    const out = await p.embed(['first chunk', 'second chunk'], 'document');
    await p.close();
    expect(fake.seen).toHaveLength(1);
    const [req] = fake.seen;
    expect(req?.method).toBe('POST');
    // The SDK's default API version for the Gemini Developer API (the path the real service serves too).
    expect(req?.url).toMatch(/^\/v1(beta)?\/models\/gemini-embedding-001:batchEmbedContents$/);
    expect(req?.headers['x-goog-api-key']).toBe('k-123');
    expect(req?.body.requests).toEqual([
      { model: 'models/gemini-embedding-001', content: { role: 'user', parts: [{ text: 'first chunk' }] }, taskType: 'RETRIEVAL_DOCUMENT', outputDimensionality: 768 },
      { model: 'models/gemini-embedding-001', content: { role: 'user', parts: [{ text: 'second chunk' }] }, taskType: 'RETRIEVAL_DOCUMENT', outputDimensionality: 768 },
    ]);
    expect(out).toHaveLength(2);
    expect(out[0]?.[0]).toBe(1);
    expect(out[1]?.[1]).toBe(1);
    expect(out[1]?.filter((v) => v !== 0)).toEqual([1]);
  });

  it('questions use RETRIEVAL_QUERY; more than 100 texts go in several requests', async () => {
    const p = provider();
    await p.embed(['how long do refunds take?'], 'query');
    expect(fake.seen[0]?.body.requests[0]?.taskType).toBe('RETRIEVAL_QUERY');
    const many = await p.embed(Array.from({ length: 150 }, (_, i) => `text ${i}`), 'document');
    await p.close();
    expect(many).toHaveLength(150);
    expect(fake.seen.slice(1).map((r) => r.body.requests.length)).toEqual([100, 50]);
  });

  it('an HTTP error or a wrong-sized vector is an EmbeddingError', async () => {
    const p = provider();
    status = 429;
    await expect(p.embed(['x'], 'query')).rejects.toThrow(EmbeddingError);
    await expect(p.embed(['x'], 'query')).rejects.toThrow(/Gemini embedContent failed \(HTTP 429/);
    status = 200;
    dims = 3;
    await expect(p.embed(['x'], 'query')).rejects.toThrow(/vector of 3 numbers, expected 768/);
    await p.close();
  });

  it('vector literal for pgvector', () => {
    expect(toVectorLiteral([0.5, -1, 0])).toBe('[0.5,-1,0]');
  });
});
