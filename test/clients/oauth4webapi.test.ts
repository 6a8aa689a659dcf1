import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { exampleAppOnLoopback } from '../helpers/example-app';

const SCRIPT = path.join(__dirname, 'oauth4webapi-resource-server.mjs');

/** oauth4webapi where it checks what openid-client does not: as a resource server of our JWT access tokens and DPoP proofs. */
describe('oauth4webapi against the example-app', () => {
  const exampleApp = exampleAppOnLoopback();

  test('validateJwtAccessToken accepts our Bearer and DPoP-bound JWTs with every RFC 9068 claim, and refuses the bound one without a proof or with another key; our API refuses a replayed proof that it would not notice', async () => {
    const { issuer } = exampleApp;
    const origin = new URL(issuer).origin;
    const { stdout } = await promisify(execFile)(process.execPath, [SCRIPT, issuer, origin]);
    const seen = JSON.parse(stdout);
    const claims = { iss: issuer, aud: `${origin}/api`, sub: 'svc-reporting', client_id: 'svc-reporting', scope: 'read', has: ['exp', 'iat', 'jti'] };
    expect(seen).toEqual({
      tokenTypes: ['bearer', 'dpop'],
      bearer: claims,
      // RFC 9449 §6.1: the token is bound to the key that signed the token request's proof.
      bound: { ...claims, cnf: { jkt: seen.jkt } },
      jkt: expect.stringMatching(/^[\w-]{43}$/),
      boundAsBearer: { refused: 'OAUTH_INVALID_RESPONSE', why: 'operation indicated DPoP use but the request has no DPoP HTTP Header' },
      // The proof's key is not the token's cnf.jkt.
      boundWithAnotherKey: { refused: 'OAUTH_JWT_CLAIM_COMPARISON_FAILED', why: 'JWT Access Token confirmation mismatch' },
      exampleApp: { firstProof: 200, replayedProof: 401 },
    });
  });
});
