import { Client } from 'pg';
import { inlineStatement, sqlLiteral } from './literal-statement';

/** Real Postgres: an inlined statement must mean exactly what the parameterised one means. */
describe('inlineStatement (real Postgres)', () => {
  let db: Client;

  beforeAll(async () => {
    db = new Client({ connectionString: process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres' });
    await db.connect();
  });

  afterAll(async () => {
    await db.end();
  });

  const awkward = ["it's", 'back\\slash', 'quote " and \\" mixed', '$1 and $2 in text', 'line\nbreak', 'ünïcödé ✓', '', "'; DROP TABLE x; --"];

  it('round-trips text, numbers, booleans, nulls, dates, arrays and JSON like parameters do', async () => {
    const date = new Date('2026-11-21T12:34:56.789Z');
    const json = { text: "it's $1", nested: { list: [1, 'two', null], back: '\\' } };
    const statement = {
      text: `SELECT $1::text AS a, $2::int AS b, $3::float8 AS c, $4::boolean AS d, $5::text AS e, $6::timestamptz AS f,
                    $7::text[] AS g, $8::jsonb AS h, $9::timestamptz[] AS i, $10::jsonb[] AS j, $11::uuid[] AS k`,
      values: [
        awkward.join('|'), 42, -1.5, true, null, date, [...awkward, null], JSON.stringify(json), [date, date],
        [JSON.stringify(json), JSON.stringify(['a'])], ['7d2a0f7e-0c5b-4c52-9a43-6f2cf4b8a001'],
      ],
    };
    const parameterised = (await db.query(statement.text, statement.values)).rows[0] as Record<string, unknown>;
    const inlined = (await db.query(inlineStatement(statement))).rows[0] as Record<string, unknown>;
    expect(inlined).toEqual(parameterised);
    expect(inlined['g']).toEqual([...awkward, null]);
    expect(inlined['h']).toEqual(json);
  });

  it('values that look like placeholders or SQL stay data', async () => {
    for (const value of awkward) {
      const rows = (await db.query(inlineStatement({ text: 'SELECT $1::text AS v, $2::text AS w', values: [value, '$1'] }))).rows;
      expect(rows).toEqual([{ v: value, w: '$1' }]);
    }
  });

  it('refuses what it cannot write faithfully', () => {
    expect(() => sqlLiteral(Number.NaN)).toThrow(/non-finite/);
    expect(() => sqlLiteral(new Date('nope'))).toThrow(/invalid date/);
    expect(() => inlineStatement({ text: 'SELECT $2', values: ['x'] })).toThrow(/no value for \$2/);
  });
});
