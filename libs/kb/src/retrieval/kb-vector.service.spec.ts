import { embeddingProviderFromConfig, versionAtLeast } from './kb-vector.service';

describe('kb vector helpers', () => {
  it('versionAtLeast: pgvector iterative scans need 0.8.0', () => {
    expect(versionAtLeast('0.8.0', [0, 8, 0])).toBe(true);
    expect(versionAtLeast('0.8.1', [0, 8, 0])).toBe(true);
    expect(versionAtLeast('0.10', [0, 8, 0])).toBe(true);
    expect(versionAtLeast('1.0.0', [0, 8, 0])).toBe(true);
    expect(versionAtLeast('0.7.4', [0, 8, 0])).toBe(false);
    expect(versionAtLeast('0.5', [0, 8, 0])).toBe(false);
    expect(versionAtLeast(null, [0, 8, 0])).toBe(false);
  });

  it('the provider is Gemini when KB_EMBEDDINGS asks for it (or auto with a key), else none', async () => {
    const base = { KB_EMBEDDING_MODEL: 'gemini-embedding-001', KB_EMBEDDING_TIMEOUT_MS: 1000, GEMINI_BASE_URL: undefined };
    const auto = embeddingProviderFromConfig({ ...base, KB_EMBEDDINGS: 'auto', GEMINI_API_KEY: 'k' });
    expect(auto?.name).toBe('gemini');
    await auto?.close();
    expect(embeddingProviderFromConfig({ ...base, KB_EMBEDDINGS: 'auto', GEMINI_API_KEY: undefined })).toBeNull();
    expect(embeddingProviderFromConfig({ ...base, KB_EMBEDDINGS: 'off', GEMINI_API_KEY: 'k' })).toBeNull();
    expect(embeddingProviderFromConfig({ ...base, KB_EMBEDDINGS: 'gemini', GEMINI_API_KEY: undefined })).toBeNull();
  });
});
