import { type FrequentLexemes, FrequentLexemesCache, type FrequentLexemesCacheOptions } from './kb-frequent-lexemes';

/** A read that the test resolves or rejects by hand, recording which agent was read. */
class Reads {
  readonly calls: string[] = [];
  private pending: { resolve: (v: FrequentLexemes) => void; reject: (e: Error) => void }[] = [];
  readonly read = (tenantId: string, agentId: string): Promise<FrequentLexemes> => {
    this.calls.push(`${tenantId}/${agentId}`);
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  };
  resolve(lexemes: string[], sampled = 1000): void {
    this.pending.shift()!.resolve({ lexemes, sampled });
  }
  reject(message: string): void {
    this.pending.shift()!.reject(new Error(message));
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('FrequentLexemesCache', () => {
  let clock: number;
  let reads: Reads;
  let errors: string[];
  const make = (options: Partial<FrequentLexemesCacheOptions> = {}) =>
    new FrequentLexemesCache(reads.read, (err) => errors.push(err.message), {
      ttlMs: 1000,
      smallTtlMs: 100,
      smallSample: 200,
      errorTtlMs: 50,
      maxAgents: 100,
      now: () => clock,
      ...options,
    });

  beforeEach(() => {
    clock = 0;
    reads = new Reads();
    errors = [];
  });

  it('waits for the first read; concurrent first searches of an agent share it; later ones use the list', async () => {
    const cache = make();
    const a = cache.get('t', 'a');
    const b = cache.get('t', 'a');
    expect(reads.calls).toEqual(['t/a']);
    reads.resolve(['acm']);
    expect(await a).toEqual(['acm']);
    expect(await b).toEqual(['acm']);
    clock = 999;
    expect(await cache.get('t', 'a')).toEqual(['acm']);
    expect(reads.calls).toHaveLength(1);
  });

  it('keeps one list per agent (and tenant)', async () => {
    const cache = make();
    const a = cache.get('t', 'a');
    const b = cache.get('u', 'a');
    expect(reads.calls).toEqual(['t/a', 'u/a']);
    reads.resolve(['one']);
    reads.resolve(['two']);
    expect([await a, await b]).toEqual([['one'], ['two']]);
  });

  it('after it expires, answers the old list at once and reads again in the background (once)', async () => {
    const cache = make();
    const first = cache.get('t', 'a');
    reads.resolve(['old']);
    await first;
    clock = 1000;
    expect(await cache.get('t', 'a')).toEqual(['old']);
    expect(await cache.get('t', 'a')).toEqual(['old']);
    expect(reads.calls).toHaveLength(2);
    reads.resolve(['new']);
    await settle();
    expect(await cache.get('t', 'a')).toEqual(['new']);
    expect(reads.calls).toHaveLength(2);
  });

  it('a small knowledge base (likely still filling) is read again sooner', async () => {
    const cache = make();
    const first = cache.get('t', 'a');
    reads.resolve([], 20);
    await first;
    clock = 100;
    await cache.get('t', 'a');
    expect(reads.calls).toHaveLength(2);
  });

  it('a failed read answers the previous list (or none), reports the error, and is retried after errorTtlMs', async () => {
    const cache = make();
    const first = cache.get('t', 'a');
    reads.reject('connection lost');
    expect(await first).toEqual([]);
    expect(errors).toEqual(['connection lost']);
    clock = 49;
    expect(await cache.get('t', 'a')).toEqual([]);
    expect(reads.calls).toHaveLength(1);
    clock = 50;
    expect(await cache.get('t', 'a')).toEqual([]); // the fallback answers while the retry runs
    reads.resolve(['acm']);
    await settle();
    expect(await cache.get('t', 'a')).toEqual(['acm']);

    clock = 2000;
    expect(await cache.get('t', 'a')).toEqual(['acm']);
    reads.reject('timeout');
    await settle();
    expect(await cache.get('t', 'a')).toEqual(['acm']);
    expect(errors).toEqual(['connection lost', 'timeout']);
  });

  it('keeps at most maxAgents lists, dropping the least recently searched agent', async () => {
    const cache = make({ maxAgents: 2 });
    for (const agent of ['a', 'b']) {
      const p = cache.get('t', agent);
      reads.resolve([agent]);
      await p;
    }
    await cache.get('t', 'a'); // a is now more recent than b
    const c = cache.get('t', 'c');
    reads.resolve(['c']);
    await c;
    expect(reads.calls).toEqual(['t/a', 't/b', 't/c']);
    await cache.get('t', 'a');
    expect(reads.calls).toHaveLength(3);
    const b = cache.get('t', 'b');
    expect(reads.calls).toEqual(['t/a', 't/b', 't/c', 't/b']);
    reads.resolve(['b']);
    await b;
  });
});
