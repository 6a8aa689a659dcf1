import request from 'supertest';
import type { Clock } from '../../lib/clock';
import { STORE_KINDS, useStores } from '../helpers/stores';
import { authorize, exchange, FLOW_ISSUER, spaRequest, flowOptions, testApp, tokenRequest, type TestApp } from '../helpers/test-app';

const stores = useStores();

describe.each(STORE_KINDS)('refresh token grant (%s store)', (kind) => {
  const makeStore = (clock: Clock) => stores(kind, clock);
  let server: TestApp;
  beforeEach(() => {
    server = testApp(flowOptions(makeStore, { refreshTokenLifetime: 1000, refreshTokenIdleLifetime: 100 }));
  });

  /** Tokens of a fresh spa grant. */
  async function grant(): Promise<{ access_token: string; refresh_token: string }> {
    const { query, verifier } = spaRequest();
    const res = await exchange(server.app, await authorize(server.app, query), verifier);
    expect(res.status).toBe(200);
    return res.body;
  }

  const refresh = (refreshToken: string, extra: Record<string, string> = {}) =>
    tokenRequest(server.app, { grant_type: 'refresh_token', client_id: 'spa', refresh_token: refreshToken, ...extra });
  const me = (accessToken: string) => request(server.app).get('/api/me').auth(accessToken, { type: 'bearer' });

  function expectInvalidGrant(res: request.Response) {
    expect({ status: res.status, error: res.body.error }).toEqual({ status: 400, error: 'invalid_grant' });
  }

  test('a refresh token buys a new access token and a new refresh token, for the same user', async () => {
    const first = await grant();
    const res = await refresh(first.refresh_token);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600, scope: 'read write', refresh_token: expect.any(String) });
    expect(res.body.refresh_token).not.toBe(first.refresh_token);
    expect((await me(res.body.access_token)).body).toMatchObject({ sub: 'alice', clientId: 'spa' });
  });

  test('the old refresh token stops working once rotated; presenting it again after the reuse grace revokes the whole grant', async () => {
    const first = await grant();
    const second = (await refresh(first.refresh_token)).body;
    server.advance(10);
    expectInvalidGrant(await refresh(first.refresh_token));
    expectInvalidGrant(await refresh(second.refresh_token));
    expect((await me(second.access_token)).status).toBe(401);
    expect((await me(first.access_token)).status).toBe(401);
  });

  test('within the reuse grace (10 s by default), its client presenting the rotated token again is refused, and the grant stands (a retry after a lost answer)', async () => {
    const first = await grant();
    const second = (await refresh(first.refresh_token)).body;
    server.advance(9);
    expectInvalidGrant(await refresh(first.refresh_token));
    expect((await me(second.access_token)).status).toBe(200);
    expect((await refresh(second.refresh_token)).status).toBe(200);
  });

  test('refreshTokenReuseGrace: 0 turns the grace off: the first reuse revokes the grant', async () => {
    server = testApp(flowOptions(makeStore, { refreshTokenReuseGrace: 0 }));
    const first = await grant();
    const second = (await refresh(first.refresh_token)).body;
    expectInvalidGrant(await refresh(first.refresh_token));
    expect((await me(second.access_token)).status).toBe(401);
  });

  test('refreshTokenReuseGrace is checked at start-up: a whole number of seconds, 0 or more', () => {
    for (const bad of [-1, 1.5, '10']) {
      expect(() => testApp(flowOptions(makeStore, { refreshTokenReuseGrace: bad as number }))).toThrow(/`refreshTokenReuseGrace` must be a whole number, 0 or more/);
    }
  });

  test("another client presenting a rotated refresh token is refused and revokes nothing: a public client's id cannot end a confidential client's grant", async () => {
    const { query, verifier } = spaRequest({ client_id: 'web', redirect_uri: 'https://web.example/other', scope: 'read' });
    const form = { grant_type: 'authorization_code', code: await authorize(server.app, query), redirect_uri: 'https://web.example/other', code_verifier: verifier };
    const granted = (await tokenRequest(server.app, form, ['web', 'web-secret'])).body;
    const rotated = (await tokenRequest(server.app, { grant_type: 'refresh_token', refresh_token: granted.refresh_token }, ['web', 'web-secret'])).body;
    server.advance(60);
    expectInvalidGrant(await tokenRequest(server.app, { grant_type: 'refresh_token', client_id: 'spa', refresh_token: granted.refresh_token }));
    expect((await me(rotated.access_token)).status).toBe(200);
    expect((await tokenRequest(server.app, { grant_type: 'refresh_token', refresh_token: rotated.refresh_token }, ['web', 'web-secret'])).status).toBe(200);
  });

  test('reuse revokes only that grant', async () => {
    const victim = await grant();
    const other = await grant();
    await refresh(victim.refresh_token);
    server.advance(10);
    await refresh(victim.refresh_token);
    expect((await me(other.access_token)).status).toBe(200);
    expect((await refresh(other.refresh_token)).status).toBe(200);
  });

  test('of two concurrent refreshes with one token, at most one succeeds', async () => {
    const first = await grant();
    const results = await Promise.all([refresh(first.refresh_token), refresh(first.refresh_token)]);
    expect(results.filter((res) => res.status === 200).length).toBeLessThanOrEqual(1);
    expect(results.some((res) => res.body.error === 'invalid_grant')).toBe(true);
  });

  test('may narrow the scope; the refresh token keeps the original scope', async () => {
    const first = await grant();
    const narrowed = await refresh(first.refresh_token, { scope: 'read' });
    expect(narrowed.body.scope).toBe('read');
    const again = await refresh(narrowed.body.refresh_token);
    expect(again.body.scope).toBe('read write');
  });

  test('may not widen the scope beyond what was granted', async () => {
    const { query, verifier } = spaRequest({ scope: 'read' });
    const granted = (await exchange(server.app, await authorize(server.app, query), verifier)).body;
    const res = await refresh(granted.refresh_token, { scope: 'read write' });
    expect({ status: res.status, error: res.body.error }).toEqual({ status: 400, error: 'invalid_scope' });
    // A refused request does not use the token up.
    expect((await refresh(granted.refresh_token)).status).toBe(200);
  });

  test('is bound to the client it was issued to', async () => {
    const first = await grant();
    expectInvalidGrant(await tokenRequest(server.app, { grant_type: 'refresh_token', client_id: 'web', refresh_token: first.refresh_token }, ['web', 'web-secret']));
  });

  test('expires when unused for the idle lifetime', async () => {
    const first = await grant();
    server.advance(101);
    expectInvalidGrant(await refresh(first.refresh_token));
  });

  test('expires at the absolute lifetime, however often it is used', async () => {
    let token = (await grant()).refresh_token;
    for (let step = 0; step < 10; step += 1) {
      server.advance(99);
      const res = await refresh(token);
      expect(res.status).toBe(200);
      token = res.body.refresh_token;
    }
    server.advance(99);
    expectInvalidGrant(await refresh(token));
  });

  test.each([
    ['no refresh_token', ''],
    ['an unknown token', 'not-a-refresh-token'],
  ])('%s is refused', async (_name, value) => {
    const res = await refresh(value);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe(value === '' ? 'invalid_request' : 'invalid_grant');
  });

  test('a token whose grant id part was changed is not found', async () => {
    const first = await grant();
    const [prefix, secret] = first.refresh_token.split('.');
    expectInvalidGrant(await refresh(`${prefix.slice(0, -1)}${prefix.endsWith('A') ? 'B' : 'A'}.${secret}`));
  });

  test('revoking a refresh token (RFC 7009) revokes its grant: the token and the access tokens issued under it', async () => {
    const first = await grant();
    const revoke = (token: string, clientId: string) => request(server.app).post('/oauth/revoke').type('form').send({ token, client_id: clientId });
    expect((await revoke(first.refresh_token, 'once')).status).toBe(200);
    expect((await me(first.access_token)).status).toBe(200);
    expect((await revoke(first.refresh_token, 'spa')).status).toBe(200);
    expectInvalidGrant(await refresh(first.refresh_token));
    expect((await me(first.access_token)).status).toBe(401);
  });

  test('introspection (RFC 7662) tells a refresh token active until it is rotated', async () => {
    const { query, verifier } = spaRequest({ client_id: 'web', redirect_uri: 'https://web.example/other', scope: 'read' });
    const form = { grant_type: 'authorization_code', code: await authorize(server.app, query), redirect_uri: 'https://web.example/other', code_verifier: verifier };
    const granted = (await tokenRequest(server.app, form, ['web', 'web-secret'])).body;
    const introspect = async () =>
      (await request(server.app).post('/oauth/introspect').auth('web', 'web-secret').type('form').send({ token: granted.refresh_token })).body;
    expect(await introspect()).toEqual({ active: true, scope: 'read', client_id: 'web', token_type: 'refresh_token', sub: 'alice', exp: expect.any(Number), iat: expect.any(Number), iss: FLOW_ISSUER });
    await tokenRequest(server.app, { grant_type: 'refresh_token', refresh_token: granted.refresh_token }, ['web', 'web-secret']);
    expect(await introspect()).toEqual({ active: false });
  });

  test('a client not registered for the refresh_token grant is unauthorized_client', async () => {
    const first = await grant();
    const res = await tokenRequest(server.app, { grant_type: 'refresh_token', client_id: 'once', refresh_token: first.refresh_token });
    expect(res.body.error).toBe('unauthorized_client');
  });
});
