import { generateKeyPairSync } from 'node:crypto';
import express from 'express';
import { Redis } from 'ioredis';
import type { Adapter, AdapterPayload, AsymmetricSigningAlgorithm, ClientMetadata } from 'oidc-provider';
import { CLIENT_ASSERTION_ALGORITHM } from '../client-assertions';
import {
  BENCH_USER,
  CLIENT_ID,
  CODE_LIFETIME,
  ISSUER_PATH,
  JWT_RESOURCE,
  REDIRECT_URI,
  RESOURCE_PATH,
  SCOPE,
  TOKEN_LIFETIME,
  randomToken,
  type BuiltApp,
  type ServerSettings,
} from '../common';
import { signingKeyPair } from './signing-key';

/** How long the Redis adapter keeps a grant's list of token keys: the refresh token's default lifetime (14 days). */
const GRANT_INDEX_SECONDS = 14 * 24 * 3600;

/**
 * oidc-provider (Koa inside) mounted in Express through `provider.callback()`, as its docs
 * show for Express. client_credentials is enabled with `features.clientCredentials`; its tokens
 * are opaque and kept through the adapter. With Redis, a minimal adapter of our own written to
 * its documented adapter interface (one SET with EX per save, one GET per find); with the
 * memory store, its built-in in-memory adapter (an LRU of 1000 entries, meant for
 * development). oidc-provider has no resource-server middleware: the protected route looks
 * the token up with `provider.ClientCredentials.find()`, the documented model API.
 *
 * For the authorization code flow, its interaction route (`/interaction/:uid`) signs the bench
 * user in and grants the scope at once, as its docs' interaction example does once the user
 * has logged in and consented; later requests of the same browser session skip it. Refresh
 * tokens are issued for the refresh_token grant type alone (`issueRefreshToken`), not tied to
 * the login session (`expiresWithSession`), as with `offline_access`, and rotated on every use
 * (`rotateRefreshToken`).
 *
 * With `jwt`, resource indicators (RFC 8707) are on (`features.resourceIndicators`): JWT_RESOURCE
 * is its one resource server, whose tokens are JWT access tokens (RFC 9068) signed with a key of
 * `settings.jwtAlgorithm` from its keystore (`jwt.sign.alg`); a client credentials request
 * without `resource` gets it too (`defaultResource`), and `useGrantedResource` lets a grant's
 * resource be used without asking again, as its docs describe. It keeps no record of a JWT
 * access token: they are not saved through the adapter (its design), so this row writes nothing
 * to the store, where ours and the jose ceiling write the token's `jti` record.
 *
 * With `dpop`, `features.dPoP` is enabled explicitly (its default in v9): a token request with a
 * DPoP proof gets a JWT bound to the proof's key (`cnf.jkt`), and each proof's `jti` is saved
 * through the adapter (its ReplayDetection model: one SET with Redis, its LRU in memory).
 *
 * With `privateKeyJwt`, the bench client authenticates with `token_endpoint_auth_method:
 * 'private_key_jwt'` and its public key in `jwks` (`settings.clientPublicJwk`), assertions of
 * ES256 only (`enabledJWA.clientAuthSigningAlgValues`); each assertion's `jti` goes through the
 * adapter (ReplayDetection, as DPoP proofs' do).
 */
export async function build(settings: ServerSettings, options: { jwt?: boolean; dpop?: boolean; privateKeyJwt?: boolean } = {}): Promise<BuiltApp> {
  const { default: Provider, errors } = await import('oidc-provider');
  const redis = settings.store === 'redis' ? new Redis(settings.redisUrl) : undefined;

  // A signing key of its default algorithm (RS256), for ID tokens; opaque tokens are not signed.
  const jwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  // JWT access tokens: a key of the bench's algorithm, which `jwt.sign.alg` selects from the keystore.
  const accessTokenKey = options.jwt ? (await signingKeyPair(settings.jwtAlgorithm)).privateJwk : undefined;
  const provider = new Provider(`http://127.0.0.1:${settings.port}${ISSUER_PATH}`, {
    clients: [options.privateKeyJwt ? keyedClient(settings) : secretClient(settings)],
    ...(options.privateKeyJwt && { enabledJWA: { clientAuthSigningAlgValues: [CLIENT_ASSERTION_ALGORITHM] } }),
    scopes: [SCOPE],
    features: {
      clientCredentials: { enabled: true },
      devInteractions: { enabled: false },
      // DPoP (RFC 9449), as its docs enable it; proofs' jti go through the adapter (ReplayDetection), no nonces.
      ...(options.dpop && { dPoP: { enabled: true } }),
      ...(options.jwt && {
        resourceIndicators: {
          enabled: true,
          defaultResource: async () => JWT_RESOURCE,
          useGrantedResource: async () => true,
          getResourceServerInfo: async (_ctx: unknown, resourceIndicator: string) => {
            if (resourceIndicator !== JWT_RESOURCE) throw new errors.InvalidTarget();
            return { scope: SCOPE, accessTokenTTL: TOKEN_LIFETIME, accessTokenFormat: 'jwt' as const, jwt: { sign: { alg: settings.jwtAlgorithm as AsymmetricSigningAlgorithm } } };
          },
        },
      }),
    },
    routes: { authorization: '/authorize' },
    ttl: { ClientCredentials: TOKEN_LIFETIME, AccessToken: TOKEN_LIFETIME, AuthorizationCode: CODE_LIFETIME },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    expiresWithSession: async () => false,
    rotateRefreshToken: true,
    cookies: { keys: [randomToken()] },
    jwks: { keys: [{ ...jwk, use: 'sig', alg: 'RS256' } as never, ...(accessTokenKey === undefined ? [] : [{ ...accessTokenKey, use: 'sig' } as never])] },
    ...(redis !== undefined && { adapter: redisAdapter(redis) }),
  });

  const app = express();
  app.get('/interaction/:uid', async (req, res, next) => {
    try {
      const { params } = await provider.interactionDetails(req, res);
      const grant = new provider.Grant({ accountId: BENCH_USER, clientId: params.client_id as string });
      grant.addOIDCScope(SCOPE);
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { login: { accountId: BENCH_USER }, consent: { grantId } }, { mergeWithLastSubmission: false });
    } catch (error) {
      next(error);
    }
  });
  app.use(ISSUER_PATH, provider.callback());
  app.get(RESOURCE_PATH, async (req, res, next) => {
    try {
      const match = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec(req.headers.authorization ?? '');
      const token = match === null ? undefined : await provider.ClientCredentials.find(match[1]);
      if (token === undefined || token.isExpired) {
        res.setHeader('WWW-Authenticate', 'Bearer error="invalid_token"');
        return void res.status(401).json({ error: 'invalid_token' });
      }
      if (!(token.scope ?? '').split(' ').includes(SCOPE)) return void res.status(403).json({ error: 'insufficient_scope' });
      res.json({ ok: true, client: token.clientId });
    } catch (error) {
      next(error);
    }
  });
  return { handler: app, close: async () => void redis?.disconnect() };
}

function secretClient(settings: ServerSettings): ClientMetadata {
  return {
    client_id: CLIENT_ID,
    client_secret: settings.clientSecret,
    grant_types: ['client_credentials', 'authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [REDIRECT_URI],
    scope: SCOPE,
    token_endpoint_auth_method: 'client_secret_basic',
  };
}

/** The bench client with its public key instead of a secret (RFC 7523 §2.2), as oidc-provider's docs configure one. */
function keyedClient(settings: ServerSettings): ClientMetadata {
  if (settings.clientPublicJwk === undefined) throw new Error('private_key_jwt: the runner gave no client key');
  return {
    client_id: CLIENT_ID,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: SCOPE,
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: { keys: [settings.clientPublicJwk as never] },
  };
}

/**
 * oidc-provider's adapter interface over one ioredis connection: a key per model and id. A
 * token of a grant is also listed under its grant (for revokeByGrantId), and a session under
 * its uid (for findByUid), in the same MULTI; anything else is one SET.
 */
function redisAdapter(redis: Redis) {
  const grantKey = (grantId: string) => `oidc:grant:${grantId}`;
  const uidKey = (uid: string) => `oidc:uid:${uid}`;
  return class RedisAdapter implements Adapter {
    constructor(private readonly name: string) {}
    private key(id: string) {
      return `oidc:${this.name}:${id}`;
    }
    async upsert(id: string, payload: AdapterPayload, expiresIn?: number) {
      const key = this.key(id);
      const value = JSON.stringify(payload);
      const { grantId, uid } = payload;
      if (grantId === undefined && uid === undefined) {
        await (expiresIn ? redis.set(key, value, 'EX', expiresIn) : redis.set(key, value));
        return;
      }
      const multi = expiresIn ? redis.multi().set(key, value, 'EX', expiresIn) : redis.multi().set(key, value);
      if (grantId !== undefined) multi.rpush(grantKey(grantId), key).expire(grantKey(grantId), GRANT_INDEX_SECONDS);
      if (uid !== undefined) multi.set(uidKey(uid), id, 'EX', expiresIn ?? GRANT_INDEX_SECONDS);
      await multi.exec();
    }
    async find(id: string) {
      const value = await redis.get(this.key(id));
      return value === null ? undefined : (JSON.parse(value) as AdapterPayload);
    }
    async findByUserCode() {
      // The device flow is not enabled.
      return undefined;
    }
    async findByUid(uid: string) {
      const id = await redis.get(uidKey(uid));
      return id === null ? undefined : this.find(id);
    }
    async consume(id: string) {
      const payload = await this.find(id);
      if (payload !== undefined) await redis.set(this.key(id), JSON.stringify({ ...payload, consumed: Math.floor(Date.now() / 1000) }), 'KEEPTTL');
    }
    async destroy(id: string) {
      await redis.del(this.key(id));
    }
    async revokeByGrantId(grantId: string) {
      const keys = await redis.lrange(grantKey(grantId), 0, -1);
      await redis.del(grantKey(grantId), ...keys);
    }
  };
}
