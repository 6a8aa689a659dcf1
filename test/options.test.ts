import request from 'supertest';
import { oauthServer } from '../lib/server';
import { memoryStore, type MemoryStoreOptions } from '../lib/stores/memory/store';
import { redisStore, type RedisStoreOptions } from '../lib/stores/redis/store';
import { authorizationCode } from '../lib/grants/authorization-code';
import { deviceAuthorization, type DeviceAuthorizationOptions } from '../lib/grants/device-code';
import { passwordGrant, type PasswordGrantOptions } from '../lib/grants/password';
import { OAuthServerOptionsError, type OAuthServerOptions } from '../lib/options';
import { clientCredentials } from '../lib/grants/client-credentials';
import type { TokenIssuedEvent } from '../lib/tokens/issuer';
import { basic, testApp, ISSUER, SERVICE } from './helpers/test-app';

const base: OAuthServerOptions = { issuer: ISSUER, clients: [SERVICE] };
/** A public EC key (RFC 7518 §6.2.1) as a private_key_jwt client registers it. */
const PUBLIC_JWKS = { keys: [{ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', kid: 'k1' }] };
const KEYED = { client_id: 'keyed', grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt' as const };

function startupError(options: unknown): string {
  try {
    const oauth = oauthServer(options as OAuthServerOptions);
    void oauth.close();
  } catch (error) {
    expect(error).toBeInstanceOf(OAuthServerOptionsError);
    return (error as Error).message;
  }
  throw new Error('expected oauthServer() to throw');
}

describe('options are checked at start-up, one clear error naming the option', () => {
  test.each([
    ['no issuer', { clients: [] }, /`issuer` is required/],
    ['issuer not a URL', { ...base, issuer: 'auth.example' }, /`issuer` must be an absolute URL/],
    ['issuer with a query (RFC 8414 §2)', { ...base, issuer: 'https://a.example/oauth?x=1' }, /`issuer` must have no query or fragment/],
    ['issuer with a fragment', { ...base, issuer: 'https://a.example/oauth#x' }, /`issuer` must have no query or fragment/],
    ['http issuer off loopback', { ...base, issuer: 'http://a.example/oauth' }, /`issuer` must use https/],
    ['issuer with a space', { ...base, issuer: 'https://a.example/o auth' }, /`issuer` must be a URI, with no spaces/],
    ['unknown option', { ...base, grantz: [] }, /`grantz` is not an option/],
    ['grants not an array', { ...base, grants: clientCredentials() }, /`grants` must be a non-empty array/],
    ['a grant that is not a grant', { ...base, grants: [{ type: 'x' }] }, /`grants` has an entry that is not a grant/],
    ['an unknown grant type name', { ...base, grants: [{ type: 'has space', parameters: [], handle: async () => ({}) }] }, /grant type "has space"/],
    ['a grant listed twice', { ...base, grants: [clientCredentials(), clientCredentials()] }, /lists "client_credentials" twice/],
    ['a store that is not a store', { ...base, store: new Map() }, /`store` is not a store/],
    ['a store from before the device grant', { ...base, store: { ...memoryStore(), saveDeviceCode: undefined } }, /`store` is not a store: .*\(missing: saveDeviceCode\)/],
    ['a lifetime that is not a whole number', { ...base, accessTokenLifetime: 1.5 }, /`accessTokenLifetime` must be a positive whole number/],
    ['a parameter length limit of zero', { ...base, limits: { maxParameterLength: 0 } }, /`limits.maxParameterLength` must be a positive whole number/],
    ['a token prefix with odd characters', { ...base, tokenPrefix: 'a b' }, /`tokenPrefix` must match/],
    ['a hook that is not a function', { ...base, onTokenIssued: 'log' }, /`onTokenIssued` must be a function/],
    ['clients not an array', { ...base, clients: { client_id: 'x' } }, /`clients` is invalid/],
    ['a client without an id', { ...base, clients: [{ client_secret: 'x' }] }, /`clients` is invalid.*client_id/],
    ['a client listed twice', { ...base, clients: [SERVICE, SERVICE] }, /"svc" is listed twice/],
    ['a client with a grant that is not enabled', { ...base, clients: [{ ...SERVICE, grant_types: ['authorization_code'] }] }, /"svc": grant_types "authorization_code" not enabled/],
    ['a relative redirect_uri', { ...base, clients: [{ ...SERVICE, redirect_uris: ['/callback'] }] }, /redirect_uri "\/callback" is not an absolute URI/],
    ['a redirect_uri with a fragment', { ...base, clients: [{ ...SERVICE, redirect_uris: ['https://c.example/cb#x'] }] }, /must not have a fragment/],
    ['an unknown auth method (client_secret_jwt would need the plaintext secret)', { ...base, clients: [{ ...SERVICE, token_endpoint_auth_method: 'client_secret_jwt' }] }, /token_endpoint_auth_method/],
    ['private_key_jwt with a secret', { ...base, clients: [{ ...SERVICE, token_endpoint_auth_method: 'private_key_jwt', jwks: PUBLIC_JWKS }] }, /"private_key_jwt" has no `client_secret`/],
    ['private_key_jwt without keys', { ...base, clients: [{ ...KEYED }] }, /"private_key_jwt" needs `jwks` or `jwks_uri`/],
    ['private_key_jwt with both jwks and jwks_uri', { ...base, clients: [{ ...KEYED, jwks: PUBLIC_JWKS, jwks_uri: 'https://c.example/jwks' }] }, /`jwks` and `jwks_uri` must not both be given/],
    ['a private key in jwks', { ...base, clients: [{ ...KEYED, jwks: { keys: [{ ...PUBLIC_JWKS.keys[0], d: 'private' }] } }] }, /`jwks` must hold public keys only/],
    ['a symmetric key in jwks', { ...base, clients: [{ ...KEYED, jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }] }, /`jwks` may only have RSA, EC or OKP public keys/],
    ['a jwks key for HS256', { ...base, clients: [{ ...KEYED, jwks: { keys: [{ ...PUBLIC_JWKS.keys[0], alg: 'HS256' }] } }] }, /`jwks` may only have keys for ES256, PS256, RS256, EdDSA/],
    ['an empty jwks', { ...base, clients: [{ ...KEYED, jwks: { keys: [] } }] }, /`jwks` must be a JWK Set/],
    ['a jwks of 21 keys', { ...base, clients: [{ ...KEYED, jwks: { keys: Array.from({ length: 21 }, (_, index) => ({ ...PUBLIC_JWKS.keys[0], kid: `k${index}` })) } }] }, /`jwks` must have at most 20 keys/],
    ['a jwks key for encryption', { ...base, clients: [{ ...KEYED, jwks: { keys: [{ ...PUBLIC_JWKS.keys[0], use: 'enc' }] } }] }, /`jwks` may only have signing keys/],
    ['a jwks_uri over http off loopback', { ...base, clients: [{ ...KEYED, jwks_uri: 'http://c.example/jwks' }] }, /`jwks_uri` must be an absolute https URL/],
    ['jwks on a secret client', { ...base, clients: [{ ...SERVICE, jwks: PUBLIC_JWKS }] }, /used only with `token_endpoint_auth_method` "private_key_jwt"/],
    ['jwks and jwks_uri on a secret client: both is refused as such', { ...base, clients: [{ ...SERVICE, jwks: PUBLIC_JWKS, jwks_uri: 'https://c.example/jwks' }] }, /`jwks` and `jwks_uri` must not both be given/],
    ['clientFetch with an unknown key', { ...base, clientFetch: { allowLoopback: true } }, /`clientFetch.allowLoopback` is not an option/],
    ['clientFetch cooldown of zero', { ...base, clientFetch: { keysCooldownSeconds: 0 } }, /`clientFetch.keysCooldownSeconds` must be a positive whole number/],
    ['a public client with a secret', { ...base, clients: [{ ...SERVICE, token_endpoint_auth_method: 'none' }] }, /"none" has no `client_secret`/],
    ['a confidential method without a secret', { ...base, clients: [{ client_id: 'c', grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_post' }] }, /needs a `client_secret`/],
    ['bruteForce not an object', { ...base, bruteForce: 'on' }, /`bruteForce` must be false or \{ perPair, perClient, perAddress \}/],
    ['bruteForce with an unknown key', { ...base, bruteForce: { perUser: {} } }, /`bruteForce.perUser` is not an option/],
    ['bruteForce limit of zero points', { ...base, bruteForce: { perClient: { points: 0 } } }, /`bruteForce.perClient.points` must be a positive whole number/],
    ['bruteForce limit that is not an object', { ...base, bruteForce: { perAddress: 5 } }, /`bruteForce.perAddress` must be false or/],
    ['bruteForce per-pair limit of zero blockSeconds', { ...base, bruteForce: { perPair: { blockSeconds: 0 } } }, /`bruteForce.perPair.blockSeconds` must be a positive whole number/],
    ['a client scope that is not scope tokens', { ...base, clients: [{ ...SERVICE, scope: 'read  write' }] }, /`scope` must be scope tokens/],
  ])('%s', (_case, options, message) => {
    expect(startupError(options)).toMatch(message);
  });

  test('the message never contains a client secret', () => {
    const message = startupError({ ...base, clients: [{ ...SERVICE, client_secret: 'Sup3rS3cret', token_endpoint_auth_method: 'none' }] });
    expect(message).not.toContain('Sup3rS3cret');
  });

  test('http issuers are accepted on loopback, for development', () => {
    for (const issuer of ['http://localhost:3000/oauth', 'http://127.0.0.1:3000/oauth', 'http://[::1]:3000/oauth']) {
      expect(() => oauthServer({ ...base, issuer }).close()).not.toThrow();
    }
  });
});

describe('instances and hooks', () => {
  test('two instances in one process share no state: a token of one is unknown to the other', async () => {
    const one = testApp();
    const two = testApp();
    const issued = await request(one.app).post('/oauth/token').type('form').set('Authorization', basic('svc', 'svc-secret')).send('grant_type=client_credentials');
    expect((await request(one.app).get('/api/read').set('Authorization', `Bearer ${issued.body.access_token}`)).status).toBe(200);
    expect((await request(two.app).get('/api/read').set('Authorization', `Bearer ${issued.body.access_token}`)).status).toBe(401);
    await Promise.all([one.oauth.close(), two.oauth.close()]);
  });

  test('onTokenIssued hears of each token, without its value', async () => {
    const events: TokenIssuedEvent[] = [];
    const { app, oauth } = testApp({ onTokenIssued: (event) => events.push(event) });
    const res = await request(app).post('/oauth/token').type('form').set('Authorization', basic('svc', 'svc-secret')).send('grant_type=client_credentials&scope=read');
    expect(events).toEqual([{ clientId: 'svc', grantType: 'client_credentials', scope: 'read', expiresAt: expect.any(Number) }]);
    expect(JSON.stringify(events)).not.toContain(res.body.access_token);
    await oauth.close();
  });

  test('a hook that throws does not change the response, and is reported to onError', async () => {
    const errors: unknown[] = [];
    const { app, oauth } = testApp({
      onTokenIssued: () => {
        throw new Error('audit log is down');
      },
      onError: (error) => errors.push(error),
    });
    const res = await request(app).post('/oauth/token').type('form').set('Authorization', basic('svc', 'svc-secret')).send('grant_type=client_credentials');
    expect(res.status).toBe(200);
    expect(errors).toHaveLength(1);
    await oauth.close();
  });

  test('health() reports the store as reachable', async () => {
    const { oauth } = testApp();
    await expect(oauth.health()).resolves.toEqual({ ok: true });
    await oauth.close();
  });
});

describe('every level of the options rejects unknown keys, naming the full path', () => {
  const users = { getUser: () => undefined, login: () => undefined };
  const withCodeFlow = { ...base, grants: [authorizationCode()] };
  test.each([
    ['authorization', { ...withCodeFlow, authorization: { ...users, codeLifetim: 60 } }, /oauthServer: option `authorization.codeLifetim` is not an option: use getUser, /],
    ['authorization.pkce', { ...withCodeFlow, authorization: { ...users, pkce: { allowPlan: true } } }, /`authorization.pkce.allowPlan` is not an option/],
    ['limits', { ...base, limits: { maxBody: 10 } }, /`limits.maxBody` is not an option: use maxBodySize, maxParameters, maxParameterLength/],
    ['introspection', { ...base, introspection: { own: true } }, /`introspection.own` is not an option/],
    ['bearerMethods', { ...base, bearerMethods: { header: true } }, /`bearerMethods.header` is not an option/],
    ['a brute-force limit', { ...base, bruteForce: { perClient: { point: 3 } } }, /`bruteForce.perClient.point` is not an option/],
    ['limits given as a number', { ...base, limits: 10 }, /`limits` must be \{ maxBodySize/],
  ])('%s', (_level, options, message) => {
    expect(startupError(options)).toMatch(message);
  });

  test.each([
    ['deviceAuthorization', () => deviceAuthorization({ verificationUri: 'https://as.example/device', intervall: 5 } as DeviceAuthorizationOptions), /`deviceAuthorization.intervall` is not an option/],
    ['a device limit', () => deviceAuthorization({ verificationUri: 'https://as.example/device', perAddress: { blocked: 1 } } as DeviceAuthorizationOptions), /`deviceAuthorization.perAddress.blocked` is not an option/],
    ['passwordGrant', () => passwordGrant({ verifyUser: async () => undefined, perUser: false } as PasswordGrantOptions), /`passwordGrant.perUser` is not an option/],
    ['memoryStore', () => memoryStore({ sweepInterval: 5 } as MemoryStoreOptions), /memoryStore: option `sweepInterval` is not an option of memoryStore\(\)/],
    ['redisStore', () => redisStore({ url: 'redis://127.0.0.1:1', keyprefix: 'x:' } as RedisStoreOptions), /redisStore: option `keyprefix` is not an option/],
    ['redisStore cache', () => redisStore({ url: 'redis://127.0.0.1:1', cache: { maxEntry: 5 } } as RedisStoreOptions), /redisStore: option `cache.maxEntry` is not an option/],
  ])('%s', (_factory, make, message) => {
    expect(make).toThrow(OAuthServerOptionsError);
    expect(make).toThrow(message);
  });
});
