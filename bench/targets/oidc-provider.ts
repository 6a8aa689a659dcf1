import { generateKeyPairSync } from 'node:crypto';
import express from 'express';
import { Redis } from 'ioredis';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import {
  CLIENT_ID,
  ISSUER_PATH,
  RESOURCE_PATH,
  SCOPE,
  TOKEN_LIFETIME,
  type BuiltApp,
  type ServerSettings,
} from '../common';

/**
 * oidc-provider (Koa inside) mounted in Express through `provider.callback()`, as its docs
 * show for Express. client_credentials is enabled with `features.clientCredentials`; its tokens
 * are opaque and kept through the adapter. With Redis, a minimal adapter of our own written to
 * its documented adapter interface (one SET with EX per save, one GET per find); with the
 * memory store, its built-in in-memory adapter (an LRU of 1000 entries, meant for
 * development). oidc-provider has no resource-server middleware: the protected route looks
 * the token up with `provider.ClientCredentials.find()`, the documented model API.
 */
export async function build(settings: ServerSettings): Promise<BuiltApp> {
  const { default: Provider } = await import('oidc-provider');
  const redis = settings.store === 'redis' ? new Redis(settings.redisUrl) : undefined;

  // A signing key of its default algorithm (RS256); client credentials tokens are opaque and not signed.
  const jwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const provider = new Provider(`http://127.0.0.1:${settings.port}${ISSUER_PATH}`, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: settings.clientSecret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        scope: SCOPE,
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    scopes: [SCOPE],
    features: { clientCredentials: { enabled: true }, devInteractions: { enabled: false } },
    ttl: { ClientCredentials: TOKEN_LIFETIME },
    jwks: { keys: [{ ...jwk, use: 'sig', alg: 'RS256' } as never] },
    ...(redis !== undefined && { adapter: redisAdapter(redis) }),
  });

  const app = express();
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

/** oidc-provider's adapter interface over one ioredis connection: a key per model and id. */
function redisAdapter(redis: Redis) {
  return class RedisAdapter implements Adapter {
    constructor(private readonly name: string) {}
    private key(id: string) {
      return `oidc:${this.name}:${id}`;
    }
    async upsert(id: string, payload: AdapterPayload, expiresIn?: number) {
      const value = JSON.stringify(payload);
      if (expiresIn) await redis.set(this.key(id), value, 'EX', expiresIn);
      else await redis.set(this.key(id), value);
    }
    async find(id: string) {
      const value = await redis.get(this.key(id));
      return value === null ? undefined : (JSON.parse(value) as AdapterPayload);
    }
    async findByUserCode() {
      return undefined;
    }
    async findByUid() {
      return undefined;
    }
    async consume(id: string) {
      const payload = await this.find(id);
      if (payload !== undefined) await redis.set(this.key(id), JSON.stringify({ ...payload, consumed: Math.floor(Date.now() / 1000) }), 'KEEPTTL');
    }
    async destroy(id: string) {
      await redis.del(this.key(id));
    }
    async revokeByGrantId() {
      // Client credentials tokens belong to no grant.
    }
  };
}
