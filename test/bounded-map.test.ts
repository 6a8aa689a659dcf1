import { setBounded } from '../lib/bounded-map';

describe('setBounded: a Map that forgets its oldest entry past a size', () => {
  test('holds at most max entries, forgetting the oldest first', () => {
    const map = new Map<string, number>();
    for (const [i, key] of ['a', 'b', 'c', 'd'].entries()) setBounded(map, 3, key, i);
    expect([...map.keys()]).toEqual(['b', 'c', 'd']);
  });

  test('setting a key it already holds forgets nothing else', () => {
    const map = new Map([['a', 1], ['b', 2]]);
    setBounded(map, 2, 'a', 10);
    expect(Object.fromEntries(map)).toEqual({ a: 10, b: 2 });
  });
});
