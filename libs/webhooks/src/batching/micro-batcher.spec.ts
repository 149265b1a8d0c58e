import { MicroBatcher } from './micro-batcher';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('MicroBatcher', () => {
  it('runs the items submitted in one turn of the event loop as one batch, results in order', async () => {
    const batches: number[][] = [];
    const batcher = new MicroBatcher<number, number>({
      run: (items) => {
        batches.push(items);
        return Promise.resolve(items.map((n) => n * 10));
      },
      maxBatch: 100,
      maxInFlight: 1,
    });
    const results = await Promise.all([1, 2, 3].map((n) => batcher.submit(n)));
    expect(results).toEqual([10, 20, 30]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('holds new items while every slot is busy and sends them together next; respects maxBatch', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const batcher = new MicroBatcher<number, number>({
      run: async (items) => {
        batches.push(items);
        if (batches.length === 1) await gate;
        return items;
      },
      maxBatch: 2,
      maxInFlight: 1,
    });
    const first = batcher.submit(0);
    await tick();
    const rest = [1, 2, 3].map((n) => batcher.submit(n));
    await tick();
    expect(batches).toEqual([[0]]); // the slot is busy: 1, 2, 3 wait
    release();
    await Promise.all([first, ...rest]);
    expect(batches).toEqual([[0], [1, 2], [3]]);
    await batcher.drained();
  });

  it('a failed batch is retried item by item when isolateFailures is set: only the bad item fails', async () => {
    const batcher = new MicroBatcher<number, number>({
      run: (items) => (items.includes(13) ? Promise.reject(new Error('bad item')) : Promise.resolve(items)),
      maxBatch: 10,
      maxInFlight: 2,
      isolateFailures: true,
    });
    const outcomes = await Promise.allSettled([12, 13, 14].map((n) => batcher.submit(n)));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('without isolateFailures every caller of a failed batch gets the error', async () => {
    const batcher = new MicroBatcher<number, number>({ run: () => Promise.reject(new Error('down')), maxBatch: 10, maxInFlight: 1 });
    const outcomes = await Promise.allSettled([1, 2].map((n) => batcher.submit(n)));
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
  });
});
