import request from 'supertest';
import { basic, testApp, expectOAuthErrorBody, POSTER, SERVICE, type TestApp } from '../helpers/test-app';
import { InvalidGrantError } from '../../lib/errors';
import type { Grant } from '../../lib/grants/grant';
import { clientCredentials } from '../../lib/grants/client-credentials';

let subject: TestApp;
beforeAll(() => {
  subject = testApp();
});
afterAll(() => subject.oauth.close());

const token = () => request(subject.app).post('/oauth/token').type('form');

describe('token endpoint: transport (RFC 6749 §3.2, §5)', () => {
  test('issues a bearer token with the §5.1 fields and no-store headers', async () => {
    const res = await token().set('Authorization', basic('svc', 'svc-secret')).send('grant_type=client_credentials');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.pragma).toBe('no-cache');
    expect(res.body).toEqual({
      access_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      token_type: 'Bearer',
      expires_in: 3600,
      scope: 'read write',
    });
    expect(res.body).not.toHaveProperty('refresh_token');
  });

  test('errors carry no-store headers too', async () => {
    const res = await token().send('grant_type=client_credentials');
    expect(res.status).toBe(401);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.pragma).toBe('no-cache');
  });

  test.each(['get', 'put', 'delete', 'patch'] as const)('%s is 405 with Allow: POST and an OAuth error body', async (method) => {
    const res = await request(subject.app)[method]('/oauth/token');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST');
    expectOAuthErrorBody(res.body, 'invalid_request');
  });

  test.each([
    ['application/json', JSON.stringify({ grant_type: 'client_credentials' })],
    ['text/plain', 'grant_type=client_credentials'],
    ['multipart/form-data; boundary=x', '--x--'],
  ])('a %s body is invalid_request', async (type, body) => {
    const res = await request(subject.app).post('/oauth/token').set('Content-Type', type).set('Authorization', basic('svc', 'svc-secret')).send(body);
    expect(res.status).toBe(400);
    expectOAuthErrorBody(res.body, 'invalid_request');
  });

  test('a request without a body is invalid_request', async () => {
    const res = await request(subject.app).post('/oauth/token').set('Authorization', basic('svc', 'svc-secret'));
    expect(res.status).toBe(400);
    expectOAuthErrorBody(res.body, 'invalid_request');
  });

  test('a body over the size limit is 413 invalid_request', async () => {
    const res = await token().set('Authorization', basic('svc', 'svc-secret')).send(`grant_type=client_credentials&pad=${'a'.repeat(20_000)}`);
    expect(res.status).toBe(413);
    expectOAuthErrorBody(res.body, 'invalid_request');
  });

  test('too many parameters is 413 invalid_request', async () => {
    const params = Array.from({ length: 60 }, (_, i) => `p${i}=1`).join('&');
    const res = await token().set('Authorization', basic('svc', 'svc-secret')).send(`grant_type=client_credentials&${params}`);
    expect(res.status).toBe(413);
    expectOAuthErrorBody(res.body, 'invalid_request');
  });

  test('a parameter value over 4096 characters is 400 invalid_request; one of 4096 is read', async () => {
    const send = (length: number) => token().set('Authorization', basic('svc', 'svc-secret')).send(`grant_type=client_credentials&pad=${'a'.repeat(length)}`);
    expect((await send(4096)).status).toBe(200);
    const res = await send(4097);
    expect(res.status).toBe(400);
    expectOAuthErrorBody(res.body, 'invalid_request');
    expect(res.body.error_description).toBe('A parameter value is longer than 4096 characters.');
  });

  test('limits.maxParameterLength sets the limit, for repeated values too', async () => {
    const strict = testApp({ limits: { maxParameterLength: 20 } });
    const send = (body: string) => request(strict.app).post('/oauth/token').type('form').set('Authorization', basic('svc', 'svc-secret')).send(body);
    expect((await send('grant_type=client_credentials&scope=read')).status).toBe(200);
    const res = await send(`grant_type=client_credentials&scope=read&scope=${'a'.repeat(21)}`);
    expect(res.status).toBe(400);
    expect(res.body.error_description).toBe('A parameter value is longer than 20 characters.');
    await strict.oauth.close();
  });

  test.each(['grant_type=client_credentials&grant_type=client_credentials', 'grant_type=client_credentials&scope=read&scope=write'])(
    'a repeated parameter is invalid_request (§3.2): %s',
    async (body) => {
      const res = await token().set('Authorization', basic('svc', 'svc-secret')).send(body);
      expect(res.status).toBe(400);
      expectOAuthErrorBody(res.body, 'invalid_request');
      expect(res.body.error_description).toMatch(/grant_type|scope/);
    },
  );

  test('an unknown repeated parameter is refused without echoing its name', async () => {
    const secretLooking = 'Zm9vYmFyYmF6cXV4c2VjcmV0dmFsdWU';
    const res = await token().set('Authorization', basic('svc', 'svc-secret')).send(`grant_type=client_credentials&${secretLooking}&${secretLooking}`);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).not.toContain(secretLooking);
  });

  test('a parameter without a value is treated as omitted (§3.1)', async () => {
    const res = await token().set('Authorization', basic('svc', 'svc-secret')).send('grant_type=client_credentials&scope=');
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('read write');
  });

  test('a missing grant_type is invalid_request', async () => {
    const res = await token().set('Authorization', basic('svc', 'svc-secret')).send('scope=read');
    expect(res.status).toBe(400);
    expectOAuthErrorBody(res.body, 'invalid_request');
  });

  test.each(['password', 'implicit', 'urn:example:unknown', 'token'])('grant_type %s is unsupported_grant_type', async (grantType) => {
    const res = await token().set('Authorization', basic('svc', 'svc-secret')).send({ grant_type: grantType });
    expect(res.status).toBe(400);
    expectOAuthErrorBody(res.body, 'unsupported_grant_type');
  });

  test('a client not registered for the grant type is unauthorized_client', async () => {
    const extension: Grant = { type: 'urn:example:grant', parameters: [], handle: async ({ client, tokens }) => tokens.issue({ client, scope: [] }) };
    const { app, oauth } = testApp({ grants: [extension, clientCredentials()] });
    const res = await request(app).post('/oauth/token').type('form').set('Authorization', basic('svc', 'svc-secret')).send('grant_type=urn:example:grant');
    expect(res.status).toBe(400);
    expectOAuthErrorBody(res.body, 'unauthorized_client');
    await oauth.close();
  });
});

describe('client credentials grant (RFC 6749 §4.4)', () => {
  test('a requested scope within the client scope is granted as asked', async () => {
    const res = await token().set('Authorization', basic('svc', 'svc-secret')).send('grant_type=client_credentials&scope=read');
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('read');
  });

  test.each(['read admin', 'admin'])('scope %j beyond the client scope is invalid_scope', async (scope) => {
    const res = await token().set('Authorization', basic('svc', 'svc-secret')).send({ grant_type: 'client_credentials', scope });
    expect(res.status).toBe(400);
    expectOAuthErrorBody(res.body, 'invalid_scope');
  });

  test.each(['read  write', ' read', 'read ', 're"ad', 'read\\write', 'réad'])('a malformed scope %j is invalid_scope (§3.3)', async (scope) => {
    const res = await token().set('Authorization', basic('svc', 'svc-secret')).send({ grant_type: 'client_credentials', scope });
    expect(res.status).toBe(400);
    expectOAuthErrorBody(res.body, 'invalid_scope');
  });

  test('a configured default scope is used when none is asked for', async () => {
    const { app, oauth } = testApp({ grants: [clientCredentials({ defaultScope: 'read' })] });
    const res = await request(app).post('/oauth/token').type('form').set('Authorization', basic('svc', 'svc-secret')).send('grant_type=client_credentials');
    expect(res.body.scope).toBe('read');
    await oauth.close();
  });

  test('a public client cannot use it, even when registered for it', async () => {
    const { app, oauth } = testApp({ clients: [{ client_id: 'pub', grant_types: ['client_credentials'], scope: 'read' }] });
    const res = await request(app).post('/oauth/token').type('form').send('grant_type=client_credentials&client_id=pub');
    expect(res.status).toBe(400);
    expectOAuthErrorBody(res.body, 'unauthorized_client');
    await oauth.close();
  });

  test('token lifetime comes from the server option, and a client can override it', async () => {
    const { app, oauth } = testApp({
      accessTokenLifetime: 600,
      clients: [SERVICE, { ...SERVICE, client_id: 'short', access_token_lifetime: 30 }],
    });
    const server = await request(app).post('/oauth/token').type('form').set('Authorization', basic('svc', 'svc-secret')).send('grant_type=client_credentials');
    const client = await request(app).post('/oauth/token').type('form').set('Authorization', basic('short', 'svc-secret')).send('grant_type=client_credentials');
    expect(server.body.expires_in).toBe(600);
    expect(client.body.expires_in).toBe(30);
    await oauth.close();
  });

  test('a token prefix marks every token', async () => {
    const { app, oauth } = testApp({ tokenPrefix: 'eos_at_' });
    const res = await request(app).post('/oauth/token').type('form').set('Authorization', basic('svc', 'svc-secret')).send('grant_type=client_credentials');
    expect(res.body.access_token).toMatch(/^eos_at_[A-Za-z0-9_-]{43}$/);
    const api = await request(app).get('/api/read').set('Authorization', `Bearer ${res.body.access_token}`);
    expect(api.status).toBe(200);
    await oauth.close();
  });

  test('every token is different', async () => {
    const tokens = await Promise.all(
      Array.from({ length: 20 }, () => token().set('Authorization', basic('svc', 'svc-secret')).send('grant_type=client_credentials')),
    );
    expect(new Set(tokens.map((res) => res.body.access_token)).size).toBe(20);
  });
});

describe('extension grants (RFC 6749 §4.5) registered from outside the package', () => {
  const assertionGrant: Grant = {
    type: 'urn:example:params:oauth:grant-type:shared-assertion',
    parameters: ['assertion', 'scope'],
    async handle({ client, params, tokens }) {
      if (params.assertion !== 'trusted') throw new InvalidGrantError('The assertion is not valid.');
      return tokens.issue({ client, scope: ['read'], sub: 'assertion-subject' });
    },
  };

  let ext: TestApp;
  beforeAll(() => {
    ext = testApp({ grants: [clientCredentials(), assertionGrant], clients: [{ ...SERVICE, grant_types: ['client_credentials', assertionGrant.type] }] });
  });
  afterAll(() => ext.oauth.close());
  const presentAssertion = (assertion: string) =>
    request(ext.app).post('/oauth/token').type('form').set('Authorization', basic('svc', 'svc-secret')).send({ grant_type: assertionGrant.type, assertion });

  test('issues tokens through the same pipeline, and they open protected routes with their subject', async () => {
    const res = await presentAssertion('trusted');
    expect(res.status).toBe(200);
    const api = await request(ext.app).get('/api/read').set('Authorization', `Bearer ${res.body.access_token}`);
    expect(api.body).toMatchObject({ clientId: 'svc', sub: 'assertion-subject', scope: ['read'] });
  });

  test('its errors keep their RFC status: invalid_grant is 400', async () => {
    const res = await presentAssertion('forged');
    expect(res.status).toBe(400);
    expectOAuthErrorBody(res.body, 'invalid_grant');
  });

  test('the handler gets only the parameters it declares: never the client secret', async () => {
    const seen: Record<string, string | undefined>[] = [];
    const recording: Grant = {
      type: 'urn:example:recording',
      parameters: ['assertion', 'scope'],
      async handle({ client, params, tokens }) {
        seen.push({ ...params });
        return tokens.issue({ client, scope: [] });
      },
    };
    const { app, oauth } = testApp({ grants: [recording], clients: [{ ...POSTER, grant_types: [recording.type] }] });
    const res = await request(app).post('/oauth/token').type('form').send({
      grant_type: recording.type, client_id: 'poster', client_secret: 'poster-secret', assertion: 'a', scope: 'read', other: 'x',
    });
    expect(res.status).toBe(200);
    expect(seen).toEqual([{ assertion: 'a', scope: 'read' }]);
    await oauth.close();
  });

  test('an unexpected failure is server_error with no internals, reported to onError', async () => {
    const errors: unknown[] = [];
    const broken: Grant = {
      type: 'urn:example:broken',
      parameters: [],
      handle: async () => {
        throw new Error('database password is hunter2');
      },
    };
    const { app, oauth } = testApp({ grants: [broken], clients: [{ ...SERVICE, grant_types: ['urn:example:broken'] }], onError: (e) => errors.push(e) });
    const res = await request(app).post('/oauth/token').type('form').set('Authorization', basic('svc', 'svc-secret')).send('grant_type=urn:example:broken');
    expect(res.status).toBe(500);
    expectOAuthErrorBody(res.body, 'server_error');
    expect(JSON.stringify(res.body)).not.toContain('hunter2');
    expect(errors).toHaveLength(1);
    await oauth.close();
  });
});
