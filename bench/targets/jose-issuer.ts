import { createHash } from 'node:crypto';
import express from 'express';
import { calculateJwkThumbprint, EmbeddedJWK, importJWK, jwtVerify, SignJWT, type CryptoKey, type FlattenedJWSInput, type JWK, type JWSHeaderParameters, type JWTPayload } from 'jose';
import { CLIENT_ID, ISSUER_PATH, JWT_RESOURCE, RESOURCE_PATH, SCOPE, TOKEN_LIFETIME, TOKEN_PATH, nowSeconds, peerStore, randomToken, verifySecret, type BuiltApp, type ServerSettings } from '../common';
import { DPOP_ALGORITHM } from '../dpop-proofs';
import { signingKeyPair } from './signing-key';

/** The RFC 8414 §3.1 path-insertion URL of the issuer `http://127.0.0.1:<port>/oauth`, where discovery looks. */
export const METADATA_PATH = `/.well-known/oauth-authorization-server${ISSUER_PATH}`;
const JWKS_PATH = `${ISSUER_PATH}/jwks`;

export interface JoseIssuer {
  app: express.Express;
  issuer: string;
  close(): Promise<void>;
}

/**
 * The least an Express app can do to issue a JWT access token: its RFC 8414 metadata and JWKS,
 * and a token endpoint for the client credentials grant that checks HTTP Basic as the other
 * peers do (salted SHA-256, constant time), the scope and the `resource`, signs an RFC 9068
 * token with jose (`typ: at+jwt`, `iss`, `aud`, `sub`, `client_id`, `scope`, `iat`, `exp`,
 * `jti`), and records its `jti` with one store write (one Redis `SET … EX`, or a Map), as ours
 * records it for revocation. No error pages beyond a bare 400/401.
 *
 * A request with a `DPoP` header gets a token bound to the proof's key (RFC 9449 §6.1, `cnf.jkt`,
 * `token_type: DPoP`) once the proof passes the checks of §4.3 (see `dpopCheck`; keys imported once each, as ours does) and its
 * `jti` is recorded with one more store write (`SET … NX`, or a Map).
 *
 * `GET /api/resource` is the least a route can do with such a token (the dpop-protected ceiling):
 * the token's signature checked once and its claims kept (a warm cache, as ours with the token
 * cache on), then per request one proof checked as at the token endpoint, with `htm: GET`, `ath`
 * of the token (§4.3 point 11) and its key the token's `cnf.jkt` (§7.1), and its `jti` recorded.
 */
export async function joseIssuer(settings: ServerSettings): Promise<JoseIssuer> {
  const alg = settings.jwtAlgorithm;
  const issuer = `http://127.0.0.1:${settings.port}${ISSUER_PATH}`;
  const { privateJwk, publicJwk } = await signingKeyPair(alg);
  const key = await importJWK(privateJwk, alg);
  const kid = privateJwk.kid as string;
  const store = peerStore(settings.store, settings.redisUrl);
  const checkProof = dpopCheck(store);
  const tokenClaims = verifiedTokens(issuer, (await importJWK(publicJwk, alg)) as CryptoKey);

  const app = express();
  app.get(METADATA_PATH, (_req, res) => {
    res.json({ issuer, token_endpoint: `${issuer}/token`, jwks_uri: `http://127.0.0.1:${settings.port}${JWKS_PATH}`, grant_types_supported: ['client_credentials'] });
  });
  app.get(JWKS_PATH, (_req, res) => {
    res.json({ keys: [publicJwk] });
  });
  app.post(TOKEN_PATH, express.urlencoded({ extended: false }), async (req, res, next) => {
    try {
      if (basicClientId(req.headers.authorization, settings.clientSecretHash) !== CLIENT_ID) return void res.status(401).json({ error: 'invalid_client' });
      const { grant_type: grantType, scope = SCOPE, resource } = req.body as Record<string, string | undefined>;
      if (grantType !== 'client_credentials') return void res.status(400).json({ error: 'unsupported_grant_type' });
      if (scope !== SCOPE) return void res.status(400).json({ error: 'invalid_scope' });
      if (resource !== JWT_RESOURCE) return void res.status(400).json({ error: 'invalid_target' });
      const proof = req.headers.dpop;
      const jkt = proof === undefined ? undefined : await checkProof(proof, 'POST', `${issuer}/token`);
      if (jkt === null) return void res.status(400).json({ error: 'invalid_dpop_proof' });
      const now = nowSeconds();
      const jti = randomToken();
      const token = await new SignJWT({ client_id: CLIENT_ID, scope, ...(jkt !== undefined && { cnf: { jkt } }) })
        .setProtectedHeader({ alg, kid, typ: 'at+jwt' })
        .setIssuer(issuer)
        .setAudience(resource)
        .setSubject(CLIENT_ID)
        .setIssuedAt(now)
        .setExpirationTime(now + TOKEN_LIFETIME)
        .setJti(jti)
        .sign(key);
      await store.accessTokens.save(jti, { clientId: CLIENT_ID, scope: [scope], expiresAt: now + TOKEN_LIFETIME });
      res.json({ access_token: token, token_type: jkt === undefined ? 'Bearer' : 'DPoP', expires_in: TOKEN_LIFETIME, scope });
    } catch (error) {
      next(error);
    }
  });
  app.get(RESOURCE_PATH, async (req, res, next) => {
    try {
      const [scheme, token] = (req.headers.authorization ?? '').split(' ');
      const claims = scheme === 'DPoP' && token !== undefined ? await tokenClaims(token) : null;
      const jkt = claims === null ? null : await checkProof(req.headers.dpop ?? [], 'GET', `http://127.0.0.1:${settings.port}${RESOURCE_PATH}`, token);
      if (claims === null || jkt === null || jkt !== (claims.cnf as { jkt?: unknown } | undefined)?.jkt) return void res.status(401).json({ error: 'invalid_token' });
      res.json({ ok: true, client: claims.client_id });
    } catch (error) {
      next(error);
    }
  });
  return { app, issuer, close: () => store.close() };
}

/** RFC 9068 §4: a token's claims, its signature, `typ`, `iss`, `aud` and `exp` checked the first time it is seen; null when they fail. */
function verifiedTokens(issuer: string, key: CryptoKey): (token: string) => Promise<JWTPayload | null> {
  const seen = new Map<string, JWTPayload>();
  return async (token) => {
    const known = seen.get(token);
    if (known !== undefined) return known;
    try {
      const { payload } = await jwtVerify(token, key, { typ: 'at+jwt', issuer, audience: JWT_RESOURCE });
      if (seen.size >= ENTRIES_KEPT) seen.clear();
      seen.set(token, payload);
      return payload;
    } catch {
      return null;
    }
  };
}

/** RFC 9449 §4.3: the least check of a proof; the key's thumbprint, or null when it fails. With an access token, its `ath` too. */
type DpopCheck = (proof: string | string[], htm: string, htu: string, accessToken?: string) => Promise<string | null>;

const DPOP_IAT_WINDOW = 60;
/** Proof keys imported and thumbprinted, and access tokens verified, once each, as ours does: the ceiling pays one verification per proof, not an import. */
const ENTRIES_KEPT = 1000;

function dpopCheck(store: ReturnType<typeof peerStore>): DpopCheck {
  const keys = new Map<string, { key: CryptoKey; jkt: string }>();
  const keyOf = async (header: JWSHeaderParameters, token: FlattenedJWSInput) => {
    const id = JSON.stringify(header.jwk);
    const known = keys.get(id);
    if (known !== undefined) return known;
    const entry = { key: (await EmbeddedJWK(header, token)) as CryptoKey, jkt: await calculateJwkThumbprint(header.jwk as JWK) };
    if (keys.size >= ENTRIES_KEPT) keys.clear();
    keys.set(id, entry);
    return entry;
  };
  const options = { typ: 'dpop+jwt', algorithms: [DPOP_ALGORITHM], maxTokenAge: DPOP_IAT_WINDOW, clockTolerance: DPOP_IAT_WINDOW };
  return async (proof, htm, htu, accessToken) => {
    if (typeof proof !== 'string') return null;
    try {
      const { payload, protectedHeader } = await jwtVerify(proof, async (header: JWSHeaderParameters, token: FlattenedJWSInput) => (await keyOf(header, token)).key, options);
      if (payload.htm !== htm || payload.htu !== htu || typeof payload.jti !== 'string') return null;
      if (accessToken !== undefined && payload.ath !== createHash('sha256').update(accessToken).digest('base64url')) return null;
      if (!(await store.rememberOnce(payload.jti, 2 * DPOP_IAT_WINDOW))) return null;
      return keys.get(JSON.stringify(protectedHeader.jwk))?.jkt ?? calculateJwkThumbprint(protectedHeader.jwk as JWK);
    } catch {
      return null;
    }
  };
}

/** The client id of a right `Authorization: Basic` header (RFC 6749 §2.3.1: form-encoded id and secret). */
function basicClientId(header: string | undefined, secretHash: string): string | undefined {
  if (header === undefined || !/^Basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return undefined;
  const [id, secret] = [decoded.slice(0, colon), decoded.slice(colon + 1)].map((part) => decodeURIComponent(part.replace(/\+/g, ' ')));
  return id === CLIENT_ID && verifySecret(secret, secretHash) ? id : undefined;
}

/** The jose issuer alone: the ceiling of a token endpoint that signs JWT access tokens. */
export async function build(settings: ServerSettings): Promise<BuiltApp> {
  const { app, close } = await joseIssuer(settings);
  return { handler: app, close };
}
