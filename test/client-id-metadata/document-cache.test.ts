import { documentCache, freshFor, type DocumentCacheLimits } from '../../lib/client-id-metadata/document-cache';
import type { FetchedJson } from '../../lib/http/guarded-fetch';

const LIMITS: DocumentCacheLimits = { maxEntries: 3, minSeconds: 60, maxSeconds: 3600, failureSeconds: 10 };

/** A cache over a fake fetch that counts fetches per URL; `answer` says what each URL answers. */
function cacheOver(answer: (url: URL) => Promise<FetchedJson>, limits: DocumentCacheLimits = LIMITS) {
  let now = 1_000_000;
  const fetches: string[] = [];
  const cache = documentCache(
    (url) => {
      fetches.push(url.pathname);
      return answer(url);
    },
    (_url, json) => json.name as string,
    limits,
    () => now,
  );
  return {
    get: (path: string) => cache.get(new URL(`https://docs.example${path}`)),
    fetches,
    advance: (seconds: number) => (now += seconds),
  };
}

const named = (url: URL, cacheControl?: string): Promise<FetchedJson> =>
  Promise.resolve({ json: { name: url.pathname }, ...(cacheControl !== undefined && { cacheControl }) });

describe('freshFor: Cache-Control max-age (RFC 9111 §5.2.2.1), kept within the limits', () => {
  test.each([
    [undefined, 60],
    ['max-age=300', 300],
    ['public, max-age=300', 300],
    ['Max-Age="300"', 300],
    ['max-age=5', 60],
    ['max-age=999999999', 3600],
    ['no-store', 60],
    ['no-cache, max-age=300', 60],
    ['max-age=300, max-age=400', 60],
    ['max-age=abc', 60],
  ])('%j: %i seconds', (cacheControl, seconds) => {
    expect(freshFor(cacheControl, LIMITS)).toBe(seconds);
  });
});

describe('documentCache', () => {
  test('a document is fetched once while fresh, and again once its max-age has passed', async () => {
    const cache = cacheOver((url) => named(url, 'max-age=120'));
    expect(await cache.get('/a')).toBe('/a');
    cache.advance(119);
    expect(await cache.get('/a')).toBe('/a');
    expect(cache.fetches).toEqual(['/a']);
    cache.advance(1);
    await cache.get('/a');
    expect(cache.fetches).toEqual(['/a', '/a']);
  });

  test('a max-age below minSeconds is kept minSeconds; above maxSeconds, maxSeconds', async () => {
    const cache = cacheOver((url) => named(url, url.pathname === '/short' ? 'max-age=1' : 'max-age=100000000'));
    await cache.get('/short');
    await cache.get('/long');
    cache.advance(59);
    await cache.get('/short');
    expect(cache.fetches).toEqual(['/short', '/long']);
    cache.advance(1);
    await cache.get('/short');
    cache.advance(3600 - 60 - 1);
    await cache.get('/long');
    expect(cache.fetches).toEqual(['/short', '/long', '/short']);
    cache.advance(1);
    await cache.get('/long');
    expect(cache.fetches).toEqual(['/short', '/long', '/short', '/long']);
  });

  test('callers asking for a URL while it is fetched share the one fetch', async () => {
    let release: (value: FetchedJson) => void = () => {};
    const cache = cacheOver(() => new Promise((resolve) => (release = resolve)));
    const answers = Promise.all([cache.get('/a'), cache.get('/a'), cache.get('/a'), cache.get('/a')]);
    release({ json: { name: 'shared' } });
    expect(await answers).toEqual(['shared', 'shared', 'shared', 'shared']);
    expect(cache.fetches).toEqual(['/a']);
  });

  test('a failure is shared by the callers waiting for it, and remembered for failureSeconds', async () => {
    let fail = true;
    const cache = cacheOver((url) => (fail ? Promise.reject(new Error(`no ${url.pathname}`)) : named(url)));
    await expect(Promise.all([cache.get('/a'), cache.get('/a')])).rejects.toThrow('no /a');
    cache.advance(9);
    await expect(cache.get('/a')).rejects.toThrow('no /a');
    expect(cache.fetches).toEqual(['/a']);
    fail = false;
    cache.advance(1);
    expect(await cache.get('/a')).toBe('/a');
    expect(cache.fetches).toEqual(['/a', '/a']);
  });

  test('a document that `read` refuses counts as a failure', async () => {
    let now = 0;
    let fetches = 0;
    const cache = documentCache(
      async () => {
        fetches++;
        return { json: {} };
      },
      () => {
        throw new Error('invalid');
      },
      LIMITS,
      () => now,
    );
    const url = new URL('https://docs.example/a');
    await expect(cache.get(url)).rejects.toThrow('invalid');
    await expect(cache.get(url)).rejects.toThrow('invalid');
    expect(fetches).toBe(1);
    now += 10;
    await expect(cache.get(url)).rejects.toThrow('invalid');
    expect(fetches).toBe(2);
  });

  test('holds at most maxEntries, forgetting the least recently used first', async () => {
    const cache = cacheOver((url) => named(url));
    await cache.get('/a');
    await cache.get('/b');
    await cache.get('/c');
    // /a is used again, so /b is now the least recently used.
    await cache.get('/a');
    await cache.get('/d');
    expect(cache.fetches).toEqual(['/a', '/b', '/c', '/d']);
    await cache.get('/a');
    await cache.get('/c');
    await cache.get('/d');
    expect(cache.fetches).toEqual(['/a', '/b', '/c', '/d']);
    await cache.get('/b');
    expect(cache.fetches).toEqual(['/a', '/b', '/c', '/d', '/b']);
  });

  test('failures count toward the bound too: many failing URLs cannot grow the cache', async () => {
    const cache = cacheOver((url) => Promise.reject(new Error(url.pathname)));
    for (let index = 0; index < 10; index++) await expect(cache.get(`/bad-${index}`)).rejects.toThrow();
    // Only the last three are remembered.
    await expect(cache.get('/bad-9')).rejects.toThrow();
    await expect(cache.get('/bad-0')).rejects.toThrow();
    expect(cache.fetches.filter((path) => path === '/bad-9')).toHaveLength(1);
    expect(cache.fetches.filter((path) => path === '/bad-0')).toHaveLength(2);
  });
});
