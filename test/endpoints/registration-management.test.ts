import { Redis } from 'ioredis';
import request from 'supertest';
import { hashClientSecretSync } from '../../lib/clients/secrets';
import { InvalidClientMetadataError } from '../../lib/errors';
import { redisStore } from '../../lib/stores/redis/store';
import { configurationPath, NATIVE_METADATA, registered, registrationOptions, SERVICE_METADATA, type Registered } from '../helpers/registration';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { STORE_KINDS, uniqueKeyPrefix, useStores } from '../helpers/stores';
import { authorize, basic, expectOAuthErrorBody, FLOW_CLIENTS, pkcePair, testApp, tokenRequest, type TestApp } from '../helpers/test-app';

const makeStore = useStores();
/** A resource server that may introspect every token. */
const GATEWAY = { client_id: 'gateway', client_secret: hashClientSecretSync('gateway-secret'), grant_types: [], introspect_any: true };

describe.each(STORE_KINDS)('client management (RFC 7592), %s store', (kind) => {
  let subject: TestApp;
  const policyCalls: unknown[] = [];
  beforeAll(() => {
    subject = testApp(
      registrationOptions(
        (clock) => makeStore(kind, clock),
        {
          perAddress: false,
          policy: (metadata, context) => {
            policyCalls.push({ operation: context.operation, clientId: context.clientId });
            if (metadata.client_name === 'Refused') throw new InvalidClientMetadataError('That name is taken.');
          },
        },
        { clients: [...FLOW_CLIENTS, GATEWAY] },
      ),
    );
  });
  afterAll(() => subject.oauth.close());

  const configuration = (client: Registered, token = client.registration_access_token) => {
    const path = configurationPath(client);
    return {
      get: () => request(subject.app).get(path).set('Authorization', `Bearer ${token}`),
      put: (body: unknown) => request(subject.app).put(path).set('Authorization', `Bearer ${token}`).set('Content-Type', 'application/json').send(JSON.stringify(body)),
      delete: () => request(subject.app).delete(path).set('Authorization', `Bearer ${token}`),
    };
  };
  /** What a client sends back on an update: what it was told, less what RFC 7592 §2.2 keeps out of the request. */
  const updateBody = (client: Registered, changes: Record<string, unknown> = {}) => {
    const { registration_access_token: _t, registration_client_uri: _u, client_secret_expires_at: _e, client_id_issued_at: _i, client_secret: _s, ...metadata } = client;
    return { ...metadata, ...changes };
  };
  const clientCredentialsToken = async (client: Registered, secret = client.client_secret as string) =>
    tokenRequest(subject.app, { grant_type: 'client_credentials' }, [client.client_id, secret]);
  const introspect = (token: string) => request(subject.app).post('/oauth/introspect').type('form').set('Authorization', basic('gateway', 'gateway-secret')).send({ token });

  describe('read (§2.1)', () => {
    test('answers the current metadata with the registration access token used, never the secret', async () => {
      const client = await registered(subject.app, SERVICE_METADATA);
      const res = await configuration(client).get();
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      const { client_secret: _secret, ...rest } = client;
      expect(res.body).toEqual(rest);
      expect(res.body).not.toHaveProperty('client_secret');
      expect(res.body.client_secret_expires_at).toBe(0);
    });

    test.each([
      ['no token', undefined],
      ['a wrong token', 'wrong-token'],
      ['a malformed Authorization header', 'a b'],
    ])('with %s is 401 invalid_token with a Bearer challenge', async (_name, token) => {
      const client = await registered(subject.app, SERVICE_METADATA);
      const req = request(subject.app).get(configurationPath(client));
      if (token !== undefined) req.set('Authorization', `Bearer ${token}`);
      const res = await req;
      expect(res.status).toBe(401);
      expectOAuthErrorBody(res.body, 'invalid_token');
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="[^"]+", error="invalid_token"$/);
    });

    test('another client\'s token, or an unknown client, is 401 as well', async () => {
      const [a, b] = [await registered(subject.app, SERVICE_METADATA), await registered(subject.app, SERVICE_METADATA)];
      expect((await configuration(a, b.registration_access_token).get()).status).toBe(401);
      expect((await request(subject.app).get('/oauth/register/no-such-client').set('Authorization', `Bearer ${a.registration_access_token}`)).status).toBe(401);
      // A static client has no configuration endpoint.
      expect((await request(subject.app).get('/oauth/register/svc').set('Authorization', `Bearer ${a.registration_access_token}`)).status).toBe(401);
    });

    test.each(['post', 'patch'] as const)('%s is 405 with Allow: GET, PUT, DELETE', async (method) => {
      const client = await registered(subject.app, SERVICE_METADATA);
      const res = await request(subject.app)[method](configurationPath(client));
      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe('GET, PUT, DELETE');
    });
  });

  describe('replace (§2.2)', () => {
    test('replaces the metadata, removes what was left out, rotates the registration token and keeps the secret', async () => {
      const client = await registered(subject.app, { ...SERVICE_METADATA, client_uri: 'https://reports.example', scope: 'read write' });
      const { client_uri: _dropped, ...kept } = updateBody(client);
      const res = await configuration(client).put({ ...kept, client_name: 'Reports v2', scope: 'read' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ client_id: client.client_id, client_id_issued_at: client.client_id_issued_at, client_name: 'Reports v2', scope: 'read', client_secret_expires_at: 0 });
      expect(res.body).not.toHaveProperty('client_uri');
      // No new secret unless the client needs one; the old one still works.
      expect(res.body).not.toHaveProperty('client_secret');
      expect((await clientCredentialsToken(client)).body.scope).toBe('read');
      // The token rotated: the old one is refused, the new one works.
      expect(res.body.registration_access_token).not.toBe(client.registration_access_token);
      expect((await configuration(client).get()).status).toBe(401);
      expect((await configuration(client).put(updateBody(client))).status).toBe(401);
      expect((await configuration(client, res.body.registration_access_token).get()).body.client_name).toBe('Reports v2');
    });

    test('the policy sees the update and may refuse it; a refused update changes nothing, the token included', async () => {
      const client = await registered(subject.app, SERVICE_METADATA);
      const res = await configuration(client).put(updateBody(client, { client_name: 'Refused' }));
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: 'invalid_client_metadata', error_description: 'That name is taken.' });
      expect(policyCalls).toContainEqual({ operation: 'update', clientId: client.client_id });
      expect((await configuration(client).get()).body.client_name).toBe('Reporting');
    });

    test.each([
      ['without client_id', { client_id: undefined }],
      ['with another client_id', { client_id: 'web' }],
      ['with a client_secret that is not the current one', { client_secret: 'chosen-by-the-client' }],
      ['with invalid metadata', { grant_types: ['password'] }],
    ])('%s is 400 invalid_client_metadata, changing nothing', async (_name, changes) => {
      const client = await registered(subject.app, SERVICE_METADATA);
      const res = await configuration(client).put(JSON.parse(JSON.stringify(updateBody(client, changes))));
      expect(res.status).toBe(400);
      expectOAuthErrorBody(res.body, 'invalid_client_metadata');
      expect((await configuration(client).get()).status).toBe(200);
      expect((await clientCredentialsToken(client)).status).toBe(200);
    });

    test('with the current client_secret, it is accepted', async () => {
      const client = await registered(subject.app, SERVICE_METADATA);
      expect((await configuration(client).put(updateBody(client, { client_secret: client.client_secret }))).status).toBe(200);
    });

    test('a confidential client that becomes public loses its secret', async () => {
      const client = await registered(subject.app, SERVICE_METADATA);
      const res = await configuration(client).put(updateBody(client, { token_endpoint_auth_method: 'none', grant_types: ['authorization_code'], redirect_uris: ['https://app.example/cb'], response_types: ['code'] }));
      expect(res.status).toBe(200);
      expect(res.body).not.toHaveProperty('client_secret');
      expect(res.body).not.toHaveProperty('client_secret_expires_at');
      expect((await clientCredentialsToken(client)).status).toBe(401);
    });

    test('a public client that becomes confidential is given a secret, once', async () => {
      const client = await registered(subject.app, NATIVE_METADATA);
      const res = await configuration(client).put(updateBody(client, { token_endpoint_auth_method: 'client_secret_post', grant_types: ['client_credentials'], response_types: [] }));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ client_secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), client_secret_expires_at: 0 });
      const token = await request(subject.app).post('/oauth/token').type('form').send({ grant_type: 'client_credentials', client_id: client.client_id, client_secret: res.body.client_secret });
      expect(token.status).toBe(200);
    });
  });

  describe('delete (§2.3)', () => {
    test('removes the client: 204, then its registration, its tokens and its grants stop working', async () => {
      const service = await registered(subject.app, SERVICE_METADATA);
      const serviceToken = (await clientCredentialsToken(service)).body.access_token as string;
      const app = await registered(subject.app, NATIVE_METADATA);
      const { verifier, challenge } = pkcePair();
      const redirectUri = 'http://127.0.0.1:4000/callback';
      const code = await authorize(subject.app, { response_type: 'code', client_id: app.client_id, redirect_uri: redirectUri, code_challenge: challenge, code_challenge_method: 'S256' });
      const userTokens = (await tokenRequest(subject.app, { grant_type: 'authorization_code', client_id: app.client_id, code, redirect_uri: redirectUri, code_verifier: verifier })).body;
      const unusedCode = await authorize(subject.app, { response_type: 'code', client_id: app.client_id, redirect_uri: redirectUri, code_challenge: challenge, code_challenge_method: 'S256' });
      for (const token of [serviceToken, userTokens.access_token]) {
        expect((await request(subject.app).get('/api/read').set('Authorization', `Bearer ${token}`)).status).toBe(200);
        expect((await introspect(token)).body.active).toBe(true);
      }

      for (const client of [service, app]) {
        const res = await configuration(client).delete();
        expect(res.status).toBe(204);
        expect(res.text).toBe('');
      }

      // requireToken and introspection refuse the tokens issued before.
      for (const token of [serviceToken, userTokens.access_token]) {
        const res = await request(subject.app).get('/api/read').set('Authorization', `Bearer ${token}`);
        expect(res.status).toBe(401);
        expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
        expect((await introspect(token)).body).toEqual({ active: false });
      }
      // The token endpoint knows the clients no more: no new token, no refresh, no code exchange.
      expect((await clientCredentialsToken(service)).status).toBe(401);
      expect((await tokenRequest(subject.app, { grant_type: 'refresh_token', client_id: app.client_id, refresh_token: userTokens.refresh_token })).status).toBe(401);
      expect((await tokenRequest(subject.app, { grant_type: 'authorization_code', client_id: app.client_id, code: unusedCode, redirect_uri: redirectUri, code_verifier: verifier })).status).toBe(401);
      // Nor the authorization endpoint.
      const authorizeAgain = await request(subject.app).get('/oauth/authorize').set('x-user', 'alice').query({ response_type: 'code', client_id: app.client_id, redirect_uri: redirectUri, code_challenge: challenge, code_challenge_method: 'S256' });
      expect(authorizeAgain.status).toBe(400);
      // And the registration is gone.
      expect((await configuration(service).get()).status).toBe(401);
      expect((await configuration(service).delete()).status).toBe(401);
    });

    test('tokens of static clients and of other registered clients are untouched', async () => {
      const [kept, deleted] = [await registered(subject.app, SERVICE_METADATA), await registered(subject.app, SERVICE_METADATA)];
      const keptToken = (await clientCredentialsToken(kept)).body.access_token as string;
      const staticToken = (await tokenRequest(subject.app, { grant_type: 'client_credentials' }, ['svc', 'svc-secret'])).body.access_token as string;
      await configuration(deleted).delete();
      for (const token of [keptToken, staticToken]) expect((await request(subject.app).get('/api/read').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    });
  });

  describe('one registration access token used at once (RFC 7592 §2.2: the token rotates on update)', () => {
    test('of 10 updates sent together, exactly one succeeds; the others are 401 and the winner\'s token is the current one', async () => {
      const client = await registered(subject.app, SERVICE_METADATA);
      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => configuration(client).put(updateBody(client, { client_name: `Update ${i}` }))));
      expect(answers.map((res) => res.status).sort()).toEqual([200, ...Array(9).fill(401)]);
      const [winner] = answers.filter((res) => res.status === 200);
      const current = await configuration(client, winner.body.registration_access_token).get();
      expect(current.body.client_name).toBe(winner.body.client_name);
      expect((await configuration(client).get()).status).toBe(401);
    });

    test('of updates and deletions sent together, exactly one succeeds, and the client is what it did', async () => {
      const client = await registered(subject.app, SERVICE_METADATA);
      const sent = Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? configuration(client).delete() : configuration(client).put(updateBody(client, { client_name: `Update ${i}` }))));
      const answers = await Promise.all(sent);
      const succeeded = answers.filter((res) => res.status === 200 || res.status === 204);
      expect(succeeded).toHaveLength(1);
      expect(answers.filter((res) => res !== succeeded[0]).every((res) => res.status === 401)).toBe(true);
      const [winner] = succeeded;
      if (winner.status === 204) {
        expect((await clientCredentialsToken(client)).status).toBe(401);
      } else {
        expect((await configuration(client, winner.body.registration_access_token).get()).body.client_name).toBe(winner.body.client_name);
        expect((await clientCredentialsToken(client)).status).toBe(200);
      }
    });
  });
});

describe('registered clients on one Redis, across instances and restarts', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(() => redis.stop());

  test('Redis keeps no client secret and no registration access token, only their hashes', async () => {
    const keyPrefix = uniqueKeyPrefix();
    const subject = testApp(registrationOptions(() => redisStore({ url: redis.url, keyPrefix }), { perAddress: false }));
    const inspector = new Redis(redis.url);
    try {
      const client = await registered(subject.app, SERVICE_METADATA);
      const update = await request(subject.app).put(configurationPath(client)).set('Authorization', `Bearer ${client.registration_access_token}`).send({ ...SERVICE_METADATA, client_id: client.client_id });
      expect(update.status).toBe(200);
      const updated = update.body as Registered;
      const keys = await inspector.keys(`${keyPrefix}*`);
      const values = await Promise.all(keys.map(async (key): Promise<unknown> => ((await inspector.type(key)) === 'string' ? inspector.get(key) : inspector.smembers(key))));
      const keyspace = JSON.stringify([keys, values]);
      // Not vacuous: the client is there.
      expect(keyspace).toContain('Reporting');
      for (const secret of [client.client_secret, client.registration_access_token, updated.registration_access_token] as string[]) expect(keyspace).not.toContain(secret);
    } finally {
      inspector.disconnect();
      await subject.oauth.close();
    }
  });

  test('two instances see the same clients; a deletion on one refuses the tokens on the other; a new instance still has them', async () => {
    const keyPrefix = uniqueKeyPrefix();
    const instance = () => testApp(registrationOptions(() => redisStore({ url: redis.url, keyPrefix }), { perAddress: false }));
    const [a, b] = [instance(), instance()];
    try {
      const client = await registered(a.app, SERVICE_METADATA);
      const token = await tokenRequest(b.app, { grant_type: 'client_credentials' }, [client.client_id, client.client_secret as string]);
      expect(token.status).toBe(200);
      expect((await request(a.app).get('/api/read').set('Authorization', `Bearer ${token.body.access_token}`)).status).toBe(200);
      expect((await request(b.app).get(configurationPath(client)).set('Authorization', `Bearer ${client.registration_access_token}`)).status).toBe(200);

      const survivor = await registered(b.app, SERVICE_METADATA);
      await b.oauth.close();
      const restarted = instance();
      try {
        expect((await tokenRequest(restarted.app, { grant_type: 'client_credentials' }, [survivor.client_id, survivor.client_secret as string])).status).toBe(200);
      } finally {
        await restarted.oauth.close();
      }

      const c = instance();
      try {
        expect((await request(c.app).delete(configurationPath(client)).set('Authorization', `Bearer ${client.registration_access_token}`)).status).toBe(204);
        expect((await request(a.app).get('/api/read').set('Authorization', `Bearer ${token.body.access_token}`)).status).toBe(401);
        expect((await tokenRequest(a.app, { grant_type: 'client_credentials' }, [client.client_id, client.client_secret as string])).status).toBe(401);
      } finally {
        await c.oauth.close();
      }
    } finally {
      await a.oauth.close();
    }
  });
});
