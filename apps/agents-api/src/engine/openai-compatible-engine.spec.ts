import { type EngineAgent, EngineError, type EngineRequest } from './chat-engine';
import { OpenAiCompatibleEngine } from './openai-compatible-engine';
import { FakeLlmServer } from './testing/fake-llm-server';

const agent: EngineAgent = {
  id: 'agent-1',
  title: 'Acme helper',
  prompt: 'You are Acme support.',
  temperature: 0.2,
  model: 'gemini-2.5-flash',
  maxTokens: 128,
  lang: 'fr',
};

const request = (overrides: Partial<EngineRequest> = {}): EngineRequest => ({
  agent,
  history: [
    { from: 'human', text: 'Bonjour' },
    { from: 'bot', text: 'Bonjour ! Comment puis-je aider ?' },
  ],
  question: 'Combien coûte la livraison ?',
  passages: [
    {
      chunkId: 'c1',
      documentId: 'd1',
      title: 'Livraison',
      headingPath: ['Aide'],
      text: 'La livraison coûte 4,90 €.',
      score: 1,
      source: 'https://acme.test/livraison',
    },
  ],
  ...overrides,
});

const completion = (content: string | null, finish = 'stop') => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1700000000,
  model: 'local-model',
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finish }],
});

const chunk = (content: string | undefined, finish: string | null = null) =>
  JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1700000000,
    model: 'local-model',
    choices: [{ index: 0, delta: content === undefined ? { role: 'assistant' } : { content }, finish_reason: finish }],
  });

interface ChatBody {
  model: string;
  messages: { role: string; content: string }[];
  temperature?: number;
  max_tokens?: number;
  stream?: boolean;
}

describe('OpenAiCompatibleEngine (real openai client against a fake server)', () => {
  let server: FakeLlmServer;
  let engine: OpenAiCompatibleEngine;

  beforeAll(async () => {
    server = await FakeLlmServer.start();
    engine = new OpenAiCompatibleEngine({ baseUrl: `${server.url}/v1`, apiKey: 'sk-local', model: 'local-model', timeoutMs: 2000 });
  });
  afterAll(() => server.close());
  beforeEach(() => server.requests.splice(0));

  it('sends system prompt with passages, history, temperature and max_tokens; maps the reply', async () => {
    server.respond(() => ({ status: 200, json: completion('La livraison coûte 4,90 €.') }));
    const reply = await engine.reply(request());
    expect(reply).toEqual({
      text: 'La livraison coûte 4,90 €.',
      sources: [{ documentId: 'd1', chunkId: 'c1', title: 'Livraison', source: 'https://acme.test/livraison' }],
      unanswered: false,
      intents: [],
    });
    const [sent] = server.requests;
    expect(sent!.method).toBe('POST');
    expect(sent!.url).toBe('/v1/chat/completions');
    expect(sent!.headers.authorization).toBe('Bearer sk-local');
    const body = sent!.body as ChatBody;
    expect(body).toMatchObject({ model: 'local-model', temperature: 0.2, max_tokens: 128 });
    expect(body.stream).toBeFalsy();
    expect(body.messages[0]!.role).toBe('system');
    expect(body.messages[0]!.content).toContain('You are Acme support.');
    expect(body.messages[0]!.content).toContain('[1] Livraison › Aide (source: https://acme.test/livraison)\nLa livraison coûte 4,90 €.');
    expect(body.messages[0]!.content).toContain('Reply in French');
    expect(body.messages.slice(1)).toEqual([
      { role: 'user', content: 'Bonjour' },
      { role: 'assistant', content: 'Bonjour ! Comment puis-je aider ?' },
      { role: 'user', content: 'Combien coûte la livraison ?' },
    ]);
  });

  it('streams SSE chunks in order up to [DONE]', async () => {
    server.respond(() => ({ sse: [chunk(undefined), chunk('La livraison '), chunk('coûte '), chunk('4,90 €.'), chunk('', 'stop'), '[DONE]'], gapMs: 10 }));
    const deltas: string[] = [];
    const reply = await engine.reply(request(), (d) => deltas.push(d));
    expect(deltas).toEqual(['La livraison ', 'coûte ', '4,90 €.']);
    expect(reply.text).toBe('La livraison coûte 4,90 €.');
    expect((server.requests[0]!.body as ChatBody).stream).toBe(true);
  });

  it('works without a key and leaves unset settings out', async () => {
    const keyless = new OpenAiCompatibleEngine({ baseUrl: `${server.url}/v1`, model: 'llama3.2', timeoutMs: 2000 });
    server.respond(() => ({ status: 200, json: completion('Hi') }));
    await keyless.reply(request({ agent: { ...agent, temperature: null, maxTokens: null }, history: [] }));
    const body = server.requests[0]!.body as ChatBody;
    expect(body.model).toBe('llama3.2');
    expect(body).not.toHaveProperty('temperature');
    expect(body).not.toHaveProperty('max_tokens');
    expect(body.messages.map((m) => m.role)).toEqual(['system', 'user']);
  });

  it.each([
    [500, /HTTP 500/],
    [401, /HTTP 401 \(check OPENAI_COMPAT_API_KEY\)/],
  ])('turns HTTP %d into an EngineError (no retries)', async (status, message) => {
    server.respond(() => ({ status, json: { error: { message: 'nope', type: 'server_error' } } }));
    const error = await engine.reply(request()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).engine).toBe('openai');
    expect((error as EngineError).message).toMatch(message);
    expect(server.requests).toHaveLength(1);
    await expect(engine.reply(request(), () => undefined)).rejects.toBeInstanceOf(EngineError);
  });

  it('treats an empty reply as an EngineError', async () => {
    server.respond(() => ({ status: 200, json: completion(null, 'length') }));
    await expect(engine.reply(request())).rejects.toThrow(/no text \(finish_reason length\)/);
  });

  it('times out, honours aborts, and reports an unreachable server', async () => {
    server.respond(() => ({ hang: true }));
    const fast = new OpenAiCompatibleEngine({ baseUrl: `${server.url}/v1`, model: 'm', timeoutMs: 150 });
    await expect(fast.reply(request())).rejects.toThrow(/timed out/);

    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(engine.reply(request({ signal: controller.signal }))).rejects.toThrow(/aborted/);

    const down = new OpenAiCompatibleEngine({ baseUrl: 'http://127.0.0.1:1/v1', model: 'm', timeoutMs: 1000 });
    await expect(down.reply(request())).rejects.toBeInstanceOf(EngineError);
  });
});
