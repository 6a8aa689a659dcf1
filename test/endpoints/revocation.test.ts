import request from 'supertest';
import { basic, testApp, expectOAuthErrorBody, POSTER, SERVICE, type TestApp } from '../helpers/test-app';
import { STORE_KINDS, useStores } from '../helpers/stores';

const makeStore = useStores();
const PUBLIC = { client_id: 'pub', grant_types: [], scope: 'read' };

describe.each(STORE_KINDS)('revocation endpoint (RFC 7009) on the %s store', (kind) => {
  let subject: TestApp;
  let other: TestApp;
  beforeAll(() => {
    const store = makeStore(kind);
    subject = testApp({ store, clients: [SERVICE, POSTER, PUBLIC] });
    // A second instance sharing the store, as another process behind a load balancer would.
    other = testApp({ store, clients: [SERVICE, POSTER, PUBLIC] });
  });
  afterAll(() => subject.oauth.close());

  async function issue(app = subject.app): Promise<string> {
    const res = await request(app).post('/oauth/token').type('form').set('Authorization', basic('svc', 'svc-secret')).send('grant_type=client_credentials');
    return res.body.access_token;
  }
  const revoke = (body: Record<string, string>, authorization = basic('svc', 'svc-secret')) =>
    request(subject.app).post('/oauth/revoke').type('form').set('Authorization', authorization).send(body);
  const use = (token: string, app = subject.app) => request(app).get('/api/read').set('Authorization', `Bearer ${token}`);

  test('a client revokes its own token: 200, and requireToken refuses it at once, on every instance', async () => {
    const token = await issue();
    expect((await use(token, other.app)).status).toBe(200);
    const res = await revoke({ token });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect((await use(token)).status).toBe(401);
    expect((await use(token, other.app)).status).toBe(401);
  });

  test.each(['access_token', 'refresh_token', 'something_else'])('token_type_hint %s is only a hint (§2.1)', async (hint) => {
    const token = await issue();
    expect((await revoke({ token, token_type_hint: hint })).status).toBe(200);
    expect((await use(token)).status).toBe(401);
  });

  test("another client's token: 200 and nothing changes (§2.2)", async () => {
    const token = await issue();
    const res = await request(subject.app).post('/oauth/revoke').type('form').send({ token, client_id: 'poster', client_secret: 'poster-secret' });
    expect(res.status).toBe(200);
    expect((await use(token)).status).toBe(200);
  });

  test('an unknown token: 200', async () => {
    expect((await revoke({ token: 'never-issued' })).status).toBe(200);
  });

  test('revoking twice is 200 both times', async () => {
    const token = await issue();
    expect((await revoke({ token })).status).toBe(200);
    expect((await revoke({ token })).status).toBe(200);
  });

  test('a missing token parameter is invalid_request', async () => {
    const res = await revoke({});
    expect(res.status).toBe(400);
    expectOAuthErrorBody(res.body, 'invalid_request');
  });

  test('without client authentication: 401 invalid_client, and the token stays valid', async () => {
    const token = await issue();
    const res = await request(subject.app).post('/oauth/revoke').type('form').send({ token });
    expect(res.status).toBe(401);
    expectOAuthErrorBody(res.body, 'invalid_client');
    const wrong = await revoke({ token }, basic('svc', 'not-the-secret'));
    expect(wrong.status).toBe(401);
    expect((await use(token)).status).toBe(200);
  });

  test('a repeated token parameter is invalid_request', async () => {
    const res = await request(subject.app).post('/oauth/revoke').type('form').set('Authorization', basic('svc', 'svc-secret')).send('token=a&token=b');
    expect(res.status).toBe(400);
  });

  test('a token over 4096 characters is invalid_request', async () => {
    const res = await revoke({ token: 'a'.repeat(4097) });
    expect(res.status).toBe(400);
    expectOAuthErrorBody(res.body, 'invalid_request');
  });

  test('GET is 405', async () => {
    expect((await request(subject.app).get('/oauth/revoke')).status).toBe(405);
  });

  test('a public client may call it with its client_id', async () => {
    const res = await request(subject.app).post('/oauth/revoke').type('form').send({ token: 'whatever', client_id: 'pub' });
    expect(res.status).toBe(200);
  });
});
