import express from 'express';
import request from 'supertest';
import { InvalidTokenError, TemporarilyUnavailableError } from '../../lib/errors';
import { tokenGuard, type AccessTokenVerifier } from '../../lib/resource/token-guard';

/** The guard alone, with a verifier of the test's own: what it answers for each of the verifier's answers. */
function guarded(verify: AccessTokenVerifier) {
  const app = express();
  const requireToken = tokenGuard({
    verify,
    audienceRule: { audience: 'https://rs.example/api', acceptTokensWithoutAudience: false, resourceMetadataUrl: 'https://rs.example/.well-known/oauth-protected-resource/api' },
    clock: () => 1_800_000_000,
    realm: 'rs',
    methods: { body: false, query: false },
    readForm: async () => ({}),
    readQuery: () => ({}),
    onError: () => {},
  });
  app.get('/api', requireToken('read'), (req, res) => void res.json(req.oauth));
  return app;
}

describe('token guard', () => {
  test('a verifier that says why a token is invalid has its reason in the challenge (RFC 6750 §3)', async () => {
    const res = await request(guarded(async () => Promise.reject(new InvalidTokenError('The access token has expired.'))))
      .get('/api')
      .set('Authorization', 'Bearer abc');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe(
      'Bearer realm="rs", resource_metadata="https://rs.example/.well-known/oauth-protected-resource/api", error="invalid_token", error_description="The access token has expired."',
    );
  });

  test('any other failure of the verifier fails closed: 503 for an unavailable issuer, without a challenge', async () => {
    const res = await request(guarded(async () => Promise.reject(new TemporarilyUnavailableError('The issuer cannot be reached.'))))
      .get('/api')
      .set('Authorization', 'Bearer abc');
    expect(res.status).toBe(503);
    expect(res.headers['www-authenticate']).toBeUndefined();
  });

  test('a token for another audience is invalid here, even one the verifier vouches for', async () => {
    const res = await request(guarded(async () => ({ clientId: 'c', scope: ['read'], expiresAt: 1_900_000_000, audience: 'https://rs.example/other' })))
      .get('/api')
      .set('Authorization', 'Bearer abc');
    expect(res.status).toBe(401);
  });
});
