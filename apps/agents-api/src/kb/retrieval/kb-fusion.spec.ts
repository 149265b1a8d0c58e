import { reciprocalRankFusion } from './kb-fusion';

describe('reciprocalRankFusion', () => {
  it('ranks ids found by both lists first, scaled to [0, 1)', () => {
    const fused = reciprocalRankFusion([['a', 'b', 'c'], ['c', 'd', 'a']], 3);
    expect(fused.map((f) => f.id)).toEqual(['a', 'c', 'b']);
    expect(fused[0]?.score).toBeGreaterThan(0.9);
    expect(fused[0]?.score).toBeLessThan(1);
  });

  it('with one empty list, keeps the other order', () => {
    expect(reciprocalRankFusion([['x', 'y'], []], 5).map((f) => f.id)).toEqual(['x', 'y']);
  });
});
