import { type EngineAgent, EngineError, type EnginePassage, type EngineRequest } from './chat-engine';
import { GeminiEngine } from './gemini-engine';
import { FakeLlmServer } from './testing/fake-llm-server';

const agent: EngineAgent = {
  id: 'agent-1',
  title: 'Acme helper',
  prompt: 'You are Acme support. Be brief.',
  temperature: 0.3,
  model: 'gemini-2.0-flash',
  maxTokens: 256,
  lang: 'de',
};

const passages: EnginePassage[] = [
  {
    chunkId: 'c1',
    documentId: 'd1',
    title: 'Shipping',
    headingPath: ['Help', 'Delivery'],
    text: 'Shipping within Germany costs €4.90.',
    score: 0.9,
    source: 'https://acme.test/shipping',
  },
  { chunkId: 'c2', documentId: 'd2', title: 'Returns.pdf', headingPath: [], text: 'Returns are free for 30 days.', score: 0.5, source: 'Returns.pdf' },
];

const request = (overrides: Partial<EngineRequest> = {}): EngineRequest => ({
  agent,
  history: [
    { from: 'bot', text: 'Hallo! Wie kann ich helfen?' },
    { from: 'human', text: 'Hi' },
    { from: 'bot', text: 'Hello!' },
  ],
  question: 'How much is shipping?',
  passages,
  ...overrides,
});

const candidate = (text: string, finishReason?: string) => ({
  candidates: [{ content: { role: 'model', parts: [{ text }] }, ...(finishReason ? { finishReason } : {}), index: 0 }],
});

interface GeminiBody {
  contents: { role: string; parts: { text: string }[] }[];
  systemInstruction: { parts: { text: string }[] };
  generationConfig: { temperature?: number; maxOutputTokens?: number; thinkingConfig?: unknown };
}

describe('GeminiEngine (real @google/genai client against a fake server)', () => {
  let server: FakeLlmServer;
  let engine: GeminiEngine;

  beforeAll(async () => {
    server = await FakeLlmServer.start();
    engine = new GeminiEngine({ apiKey: 'test-key-123', baseUrl: server.url, defaultModel: 'gemini-2.5-flash', timeoutMs: 2000 });
  });
  afterAll(async () => {
    await engine.close();
    await server.close();
  });
  beforeEach(() => server.requests.splice(0));

  it('sends the prompt, passages, history, temperature and max tokens; maps the reply', async () => {
    server.respond(() => ({ status: 200, json: candidate('Shipping costs €4.90.', 'STOP') }));
    const reply = await engine.reply(request());

    expect(reply).toEqual({
      text: 'Shipping costs €4.90.',
      sources: [
        { documentId: 'd1', chunkId: 'c1', title: 'Shipping', source: 'https://acme.test/shipping' },
        { documentId: 'd2', chunkId: 'c2', title: 'Returns.pdf', source: 'Returns.pdf' },
      ],
      unanswered: false,
      intents: [],
    });
    expect(server.requests).toHaveLength(1);
    const [sent] = server.requests;
    expect(sent!.method).toBe('POST');
    expect(sent!.url).toMatch(/^\/v1(beta)?\/models\/gemini-2\.0-flash:generateContent$/);
    expect(sent!.headers['x-goog-api-key']).toBe('test-key-123');

    const body = sent!.body as GeminiBody;
    const system = body.systemInstruction.parts.map((p) => p.text).join('');
    expect(system).toContain('You are Acme support. Be brief.');
    expect(system).toContain('[1] Shipping › Help › Delivery (source: https://acme.test/shipping)\nShipping within Germany costs €4.90.');
    expect(system).toContain('[2] Returns.pdf (source: Returns.pdf)\nReturns are free for 30 days.');
    expect(system).toContain('Reply in German');
    expect(body.generationConfig).toMatchObject({ temperature: 0.3, maxOutputTokens: 256 });
    expect(body.generationConfig.thinkingConfig).toBeUndefined();
    expect(body.contents).toEqual([
      { role: 'model', parts: [{ text: 'Hallo! Wie kann ich helfen?' }] },
      { role: 'user', parts: [{ text: 'Hi' }] },
      { role: 'model', parts: [{ text: 'Hello!' }] },
      { role: 'user', parts: [{ text: 'How much is shipping?' }] },
    ]);
  });

  it('uses the configured model when the agent model is not a Gemini model, and leaves unset settings out', async () => {
    server.respond(() => ({ status: 200, json: candidate('Hi there') }));
    await engine.reply(request({ agent: { ...agent, model: 'gpt-4-1106-preview', temperature: null, maxTokens: null, prompt: null }, history: [] }));
    const [sent] = server.requests;
    expect(sent!.url).toMatch(/\/models\/gemini-2\.5-flash:generateContent$/);
    const body = sent!.body as GeminiBody;
    expect(body.generationConfig.temperature).toBeUndefined();
    expect(body.generationConfig.maxOutputTokens).toBeUndefined();
    expect(body.generationConfig.thinkingConfig).toEqual({ thinkingBudget: 0 });
    expect(body.systemInstruction.parts[0]!.text).toContain('You are Acme helper');
    expect(body.contents).toEqual([{ role: 'user', parts: [{ text: 'How much is shipping?' }] }]);
  });

  it('streams deltas in order through generateContentStream (SSE)', async () => {
    server.respond(() => ({
      sse: [JSON.stringify(candidate('Shipping ')), JSON.stringify(candidate('costs ')), JSON.stringify(candidate('€4.90.', 'STOP'))],
      gapMs: 10,
    }));
    const deltas: string[] = [];
    const reply = await engine.reply(request(), (d) => deltas.push(d));
    expect(deltas).toEqual(['Shipping ', 'costs ', '€4.90.']);
    expect(reply.text).toBe('Shipping costs €4.90.');
    const [sent] = server.requests;
    expect(sent!.url).toMatch(/^\/v1(beta)?\/models\/gemini-2\.0-flash:streamGenerateContent\?alt=sse$/);
    expect(sent!.headers['x-goog-api-key']).toBe('test-key-123');
    expect((sent!.body as GeminiBody).generationConfig).toMatchObject({ temperature: 0.3, maxOutputTokens: 256 });
  });

  it.each([
    [500, /HTTP 500/],
    [401, /HTTP 401 \(check GEMINI_API_KEY\)/],
  ])('turns HTTP %d into an EngineError', async (status, message) => {
    server.respond(() => ({ status, json: { error: { code: status, message: 'nope', status: status === 401 ? 'UNAUTHENTICATED' : 'INTERNAL' } } }));
    const error = await engine.reply(request()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).engine).toBe('gemini');
    expect((error as EngineError).message).toMatch(message);
    expect((error as EngineError).message).not.toContain('test-key-123');

    const streamed = await engine.reply(request(), () => undefined).catch((e: unknown) => e);
    expect(streamed).toBeInstanceOf(EngineError);
  });

  it('treats an empty (blocked) reply as an EngineError', async () => {
    server.respond(() => ({ status: 200, json: { candidates: [{ finishReason: 'SAFETY', index: 0 }] } }));
    await expect(engine.reply(request())).rejects.toThrow(/no text \(SAFETY\)/);
  });

  it('times out and honours the caller abort signal', async () => {
    server.respond(() => ({ hang: true }));
    const fast = new GeminiEngine({ apiKey: 'k', baseUrl: server.url, defaultModel: 'gemini-2.5-flash', timeoutMs: 150 });
    await expect(fast.reply(request())).rejects.toThrow(/Gemini request timed out/);
    await fast.close();

    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await engine.reply(request({ signal: controller.signal })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).message).toMatch(/aborted/);
  });

  it('fails with an EngineError when the server is unreachable', async () => {
    const down = new GeminiEngine({ apiKey: 'k', baseUrl: 'http://127.0.0.1:1', defaultModel: 'gemini-2.5-flash', timeoutMs: 1000 });
    await expect(down.reply(request())).rejects.toBeInstanceOf(EngineError);
    await down.close();
  });
});
