import type express from 'express';
import { auth, requiredScopes } from 'express-oauth2-jwt-bearer';
import { ISSUER_PATH, JWT_RESOURCE, RESOURCE_PATH, SCOPE, type BuiltApp, type ServerSettings } from '../common';
import { joseIssuer } from './jose-issuer';
import { oursServer } from './ours';

/**
 * Auth0's express-oauth2-jwt-bearer as a resource server: `auth({ issuerBaseURL, audience })`
 * discovers the issuer (RFC 8414 at the path-insertion URL, after a 404 at
 * `/oauth/.well-known/openid-configuration`) and its JWKS on the first request, then verifies
 * every token's signature and claims (jose's `jwtVerify`, no cache of verified tokens), and
 * `requiredScopes('read')` checks the scope. `strict: true` is its RFC 9068 profile (`typ:
 * at+jwt`, `iat`, `sub`, `client_id`, `jti` required), which ours checks too; `tokenSigningAlg`
 * pins the algorithm, as ours allows asymmetric algorithms only. `dpop: { enabled: true }` (its
 * v1.10 default, said outright) takes `Authorization: DPoP` with a proof (the dpop-protected
 * scenario) beside Bearer: it checks the proof's signature, `htm`, `htu`, `iat`, `ath` and the
 * token's `cnf.jkt`, but keeps no record of proofs' `jti`, so a replayed proof passes.
 *
 * The issuer runs in the same process, so that the token it checks is the one ours checks: our
 * server with JWT access tokens (`settings.jwtIssuer === 'ours'`), or, while the package
 * did not sign in the runner's preflight, the jose issuer of jose-issuer.ts. Its RSS therefore includes that issuer.
 */
export async function build(settings: ServerSettings): Promise<BuiltApp> {
  const issuer = await issuerApp(settings);
  issuer.app.get(
    RESOURCE_PATH,
    auth({ issuerBaseURL: `http://127.0.0.1:${settings.port}${ISSUER_PATH}`, audience: JWT_RESOURCE, tokenSigningAlg: settings.jwtAlgorithm, strict: true, dpop: { enabled: true } }),
    requiredScopes(SCOPE),
    (req, res) => {
      res.json({ ok: true, client: req.auth?.payload.client_id });
    },
  );
  return { handler: issuer.app, close: issuer.close };
}

/** The issuer of the JWT scenarios' tokens, in this process: ours when it signs, else the jose issuer. */
export async function issuerApp(settings: ServerSettings): Promise<{ app: express.Express; close(): Promise<void> }> {
  if (settings.jwtIssuer === 'jose') return joseIssuer(settings);
  const { app, oauth } = await oursServer(settings, { jwt: true });
  return { app, close: () => oauth.close() };
}
