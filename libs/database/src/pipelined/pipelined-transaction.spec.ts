import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../data-source';
import { pipelinedTransaction } from './pipelined-transaction';

/** Real Postgres: BEGIN with the first statement, writes with COMMIT, everything or nothing. */
describe('pipelinedTransaction (real Postgres)', () => {
  let ds: DataSource;
  const table = `pipelined_${randomUUID().replace(/-/g, '')}`;

  beforeAll(async () => {
    ds = createDataSource({ url: process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres', poolSize: 2 });
    await ds.initialize();
    await ds.query(`CREATE TABLE ${table} (k text PRIMARY KEY, n int NOT NULL)`);
    await ds.query(`INSERT INTO ${table} VALUES ('counter', 0)`);
  });

  afterAll(async () => {
    await ds.query(`DROP TABLE IF EXISTS ${table}`);
    await ds.destroy();
  });

  const count = async () => Number((await ds.query<{ n: number }[]>(`SELECT n FROM ${table} WHERE k = 'counter'`))[0]?.n);
  const rows = async () => Number((await ds.query<{ c: string }[]>(`SELECT count(*) AS c FROM ${table}`))[0]?.c);

  /** Read-lock-decide-write: the increment is computed in code from the locked row. */
  const increment = (key: string, fail?: 'plan' | 'write') =>
    pipelinedTransaction(ds, async (tx) => {
      const [row] = await tx.begin<{ n: number }>({ text: `SELECT n FROM ${table} WHERE k = $1 FOR UPDATE`, values: ['counter'] });
      if (fail === 'plan') throw new Error('decided to fail');
      tx.defer({ text: `UPDATE ${table} SET n = $1::int WHERE k = $2`, values: [(row?.n ?? 0) + 1, 'counter'] });
      tx.defer({ text: `INSERT INTO ${table} VALUES ($1, $2::int)`, values: [fail === 'write' ? 'counter' : key, 1] });
      return row?.n ?? 0;
    });

  it('commits the writes sent with COMMIT; concurrent transactions serialise on the lock and lose no update', async () => {
    const before = await count();
    const seen = await Promise.all(Array.from({ length: 8 }, (_, i) => increment(`k${i}`)));
    expect(await count()).toBe(before + 8);
    expect(new Set(seen).size).toBe(8); // each saw a different value: the lock held from BEGIN to COMMIT
  });

  it('rolls back when the code decides to fail, and when a deferred statement fails; the pool stays usable', async () => {
    const [n, r] = [await count(), await rows()];
    await expect(increment('x1', 'plan')).rejects.toThrow('decided to fail');
    await expect(increment('x2', 'write')).rejects.toThrow(/duplicate key/);
    expect([await count(), await rows()]).toEqual([n, r]);
    for (let i = 0; i < 4; i++) await increment(`after${i}`); // more than the pool size: connections came back clean
    expect(await count()).toBe(n + 4);
  });
});
