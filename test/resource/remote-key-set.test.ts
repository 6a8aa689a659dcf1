import { errors, type JWTVerifyGetKey } from 'jose';
import { GuardedFetchError, type GuardedFetch, type GuardedFetchErrorCode } from '../../lib/http/guarded-fetch';
import { KeySetUnavailableError, remoteKeySet } from '../../lib/resource/remote-key-set';

/** A key set whose every fetch fails with `failure`. */
function failingKeySet(failure: unknown): JWTVerifyGetKey {
  const fetcher: GuardedFetch = {
    getJson: () => Promise.reject(failure),
    getJsonDocument: () => Promise.reject(failure),
    postForm: () => Promise.reject(failure),
  };
  return remoteKeySet(new URL('https://keys.example/jwks'), { fetcher, timeoutMs: 1000, cooldownMs: 1000, cacheMaxAgeMs: 1000, onError: () => {} });
}

async function unavailability(failure: unknown): Promise<KeySetUnavailableError> {
  const keys = failingKeySet(failure);
  const error = await Promise.resolve(keys({ alg: 'ES256', kid: 'k' }, { payload: '', signature: '' })).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(KeySetUnavailableError);
  return error as KeySetUnavailableError;
}

const fetchFailure = (code: GuardedFetchErrorCode, status?: number) => new GuardedFetchError(code, 'https://keys.example/jwks', 'failed', status);

/** A set that cannot be fetched is 503 either way; `transient` says whether waiting may help (a client's own keys: 503 when it may, else 401). */
describe('why a jwks_uri cannot be fetched', () => {
  test.each([
    ['no answer', fetchFailure('connect'), true],
    ['a time-out of the guarded fetch', fetchFailure('timeout'), true],
    ["jose's own time-out", new errors.JWKSTimeout(), true],
    ['a name lookup that failed', fetchFailure('dns'), true],
    ['503', fetchFailure('bad_status', 503), true],
    ['429', fetchFailure('bad_status', 429), true],
    ['404', fetchFailure('bad_status', 404), false],
    ['a host name that does not exist', fetchFailure('unknown_host'), false],
    ['a private address', fetchFailure('blocked_address'), false],
    ['a redirect', fetchFailure('redirect', 302), false],
    ['too large', fetchFailure('too_large'), false],
    ['not JSON', fetchFailure('bad_json'), false],
    ['http', fetchFailure('insecure_url'), false],
  ])('%s: transient %s', async (_what, failure, transient) => {
    expect((await unavailability(failure)).transient).toBe(transient);
  });
});
