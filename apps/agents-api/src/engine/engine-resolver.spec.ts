import { Test } from '@nestjs/testing';
import { APP_CONFIG } from '@chatbot/platform';
import { type EngineAgent, EngineError, type EngineRequest } from './chat-engine';
import { type EngineConfig, EngineResolver } from './engine-resolver';
import { EngineModule } from './engine.module';
import { GeminiEngine } from './gemini-engine';
import { OfflineEngine } from './offline-engine';
import { OpenAiCompatibleEngine } from './openai-compatible-engine';
import { FakeLlmServer } from './testing/fake-llm-server';

const base: EngineConfig = {
  CHAT_ENGINE: 'auto',
  ENGINE_TIMEOUT_MS: 2000,
  GEMINI_API_KEY: undefined,
  GEMINI_BASE_URL: undefined,
  GEMINI_MODEL: 'gemini-2.5-flash',
  OPENAI_COMPAT_BASE_URL: undefined,
  OPENAI_COMPAT_API_KEY: undefined,
  OPENAI_COMPAT_MODEL: 'local-model',
};

const agent = (model: string | null = 'gemini-2.5-flash'): EngineAgent => ({
  id: 'a1',
  title: 'Acme',
  prompt: null,
  temperature: null,
  model,
  maxTokens: null,
  lang: 'en',
});

const request = (model?: string | null): EngineRequest => ({
  agent: agent(model),
  history: [],
  question: 'How much does shipping cost?',
  passages: [
    { chunkId: 'c1', documentId: 'd1', title: 'Shipping', headingPath: [], text: 'Shipping costs €4.90 within Germany.', score: 1, source: 'Shipping.md' },
  ],
});

describe('EngineResolver', () => {
  const resolvers: EngineResolver[] = [];
  const make = (config: Partial<EngineConfig>) => {
    const resolver = new EngineResolver({ ...base, ...config });
    resolvers.push(resolver);
    return resolver;
  };
  afterAll(async () => {
    await Promise.all(resolvers.map((r) => r.onModuleDestroy()));
  });

  it('defaults to the offline engine with no keys', () => {
    const resolver = make({});
    expect(resolver.engineFor(agent())).toBeInstanceOf(OfflineEngine);
    expect(resolver.engineFor(agent())).toBe(resolver.offline);
    expect(resolver.available()).toEqual(['offline']);
  });

  it('auto: gemini when a key is set, else openai when a base URL is set', () => {
    expect(make({ GEMINI_API_KEY: 'k' }).engineFor(agent()).name).toBe('gemini');
    expect(make({ GEMINI_API_KEY: 'k' }).engineFor(agent('gpt-4-1106-preview')).name).toBe('gemini');
    expect(make({ OPENAI_COMPAT_BASE_URL: 'http://127.0.0.1:9/v1' }).engineFor(agent()).name).toBe('openai');
    const both = make({ GEMINI_API_KEY: 'k', OPENAI_COMPAT_BASE_URL: 'http://127.0.0.1:9/v1' });
    expect(both.engineFor(agent('gemini-2.0-flash')).name).toBe('gemini');
    expect(both.engineFor(agent('llama2-70b-4096')).name).toBe('openai');
    expect(both.available()).toEqual(['offline', 'gemini', 'openai']);
  });

  it('honours an explicit CHAT_ENGINE', () => {
    const full = { GEMINI_API_KEY: 'k', OPENAI_COMPAT_BASE_URL: 'http://127.0.0.1:9/v1' };
    expect(make({ ...full, CHAT_ENGINE: 'offline' }).engineFor(agent())).toBeInstanceOf(OfflineEngine);
    expect(make({ ...full, CHAT_ENGINE: 'openai' }).engineFor(agent())).toBeInstanceOf(OpenAiCompatibleEngine);
    expect(make({ ...full, CHAT_ENGINE: 'gemini' }).engineFor(agent('llama2-70b-4096'))).toBeInstanceOf(GeminiEngine);
    expect(() => make({ CHAT_ENGINE: 'gemini' })).toThrow(/GEMINI_API_KEY/);
    expect(() => make({ CHAT_ENGINE: 'openai' })).toThrow(/OPENAI_COMPAT_BASE_URL/);
  });

  it('builds one client per engine, and one per tenant key', () => {
    const resolver = make({ GEMINI_API_KEY: 'global' });
    expect(resolver.engineFor(agent())).toBe(resolver.engineFor(agent('gemini-2.0-flash')));
    const tenant = resolver.engineFor(agent(), { geminiApiKey: 'tenant-key' });
    expect(tenant).toBeInstanceOf(GeminiEngine);
    expect(tenant).not.toBe(resolver.engineFor(agent()));
    expect(resolver.engineFor(agent(), { geminiApiKey: 'tenant-key' })).toBe(tenant);
    expect(resolver.engineFor(agent(), { geminiApiKey: 'global' })).toBe(resolver.engineFor(agent()));
    // A tenant key turns Gemini on even without a global key; offline stays offline.
    expect(make({}).engineFor(agent(), { geminiApiKey: 'tenant-key' }).name).toBe('gemini');
    expect(make({ CHAT_ENGINE: 'offline' }).engineFor(agent(), { geminiApiKey: 'tenant-key' }).name).toBe('offline');
  });

  describe('replyWithFallback', () => {
    let server: FakeLlmServer;
    beforeAll(async () => {
      server = await FakeLlmServer.start();
    });
    afterAll(() => server.close());

    it('uses the remote engine when it works', async () => {
      server.respond(() => ({ status: 200, json: { candidates: [{ content: { role: 'model', parts: [{ text: 'It costs €4.90.' }] }, finishReason: 'STOP' }] } }));
      const resolver = make({ GEMINI_API_KEY: 'k', GEMINI_BASE_URL: server.url });
      const outcome = await resolver.replyWithFallback(request());
      expect(outcome.engine).toBe('gemini');
      expect(outcome.reply.text).toBe('It costs €4.90.');
      expect(outcome.fallbackFrom).toBeUndefined();
    });

    it('falls back to the offline engine when the remote engine fails before streaming', async () => {
      server.respond(() => ({ status: 503, json: { error: { code: 503, message: 'overloaded' } } }));
      const resolver = make({ GEMINI_API_KEY: 'k', GEMINI_BASE_URL: server.url });
      const deltas: string[] = [];
      const outcome = await resolver.replyWithFallback(request(), (d) => deltas.push(d));
      expect(outcome.engine).toBe('offline');
      expect(outcome.fallbackFrom).toBeInstanceOf(EngineError);
      expect(outcome.fallbackFrom!.engine).toBe('gemini');
      expect(outcome.reply.text).toContain('Shipping costs €4.90');
      expect(deltas.join('')).toBe(outcome.reply.text);
    });

    it('rethrows when the remote engine fails after it started streaming', async () => {
      server.respond(() => ({
        sse: [JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text: 'It costs ' }] } }] }), '{not json'],
      }));
      const resolver = make({ GEMINI_API_KEY: 'k', GEMINI_BASE_URL: server.url });
      const deltas: string[] = [];
      await expect(resolver.replyWithFallback(request(), (d) => deltas.push(d))).rejects.toBeInstanceOf(EngineError);
      expect(deltas).toEqual(['It costs ']);
    });
  });

  it('is provided by EngineModule with the app config', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [EngineModule] })
      .useMocker((token) => (token === APP_CONFIG ? base : undefined))
      .compile();
    const resolver = moduleRef.get(EngineResolver);
    expect(resolver.engineFor(agent()).name).toBe('offline');
    await moduleRef.close();
  });
});
