import request from 'supertest';
import type { Clock } from '../../lib/clock';
import { oauthServer } from '../../lib/server';
import { authorizationCode } from '../../lib/grants/authorization-code';
import { STORE_KINDS, useStores } from '../helpers/stores';
import { FLOW_CLIENTS, decide, FLOW_ISSUER, openConsent, responseParams, spaRequest, flowOptions, testApp, type Query } from '../helpers/test-app';

const stores = useStores();

describe.each(STORE_KINDS)('authorization endpoint bounds (%s store)', (kind) => {
  const makeStore = (clock: Clock) => stores(kind, clock);

  /** GET /authorize as `user`, expecting an error redirect; returns its parameters. */
  async function redirectedError(app: Parameters<typeof request>[0], query: Query, user = 'alice') {
    const res = await request(app).get('/oauth/authorize').query(query).set('x-user', user);
    expect(res.status).toBe(302);
    return responseParams(res.headers.location);
  }

  describe('state length (authorization.maxStateLength, 1024 characters by default)', () => {
    test('a state of 1024 characters is kept and returned; one of 1025 is invalid_request at the redirect URI, without the state', async () => {
      const { app } = testApp(flowOptions(makeStore));
      const state = 's'.repeat(1024);
      const res = await decide(app, await openConsent(app, spaRequest({ state }).query), 'allow');
      expect(responseParams(res.headers.location).get('state')).toBe(state);

      const params = await redirectedError(app, spaRequest({ state: 's'.repeat(1025) }).query);
      expect(params.get('error')).toBe('invalid_request');
      expect(params.get('error_description')).toMatch(/state/);
      expect(params.has('state')).toBe(false);
      expect(params.get('iss')).toBe(FLOW_ISSUER);
    });

    test('maxStateLength sets the limit', async () => {
      const { app } = testApp(flowOptions(makeStore, { authorization: { maxStateLength: 8 } as never }));
      await openConsent(app, spaRequest({ state: '12345678' }).query);
      expect((await redirectedError(app, spaRequest({ state: '123456789' }).query)).get('error')).toBe('invalid_request');
    });
  });

  describe('pending consents per user (authorization.maxPendingConsents, 20 by default)', () => {
    test('by default a user has at most 20 consent pages waiting; the next request is temporarily_unavailable at the redirect URI, with its state', async () => {
      const { app } = testApp(flowOptions(makeStore));
      for (let i = 0; i < 20; i++) await openConsent(app, spaRequest().query);
      const params = await redirectedError(app, spaRequest({ state: 'over' }).query);
      expect(params.get('error')).toBe('temporarily_unavailable');
      expect(params.get('state')).toBe('over');
      // Another user is not affected.
      await openConsent(app, spaRequest().query, 'bob');
    });

    test('a decided consent frees its place at once; an expired one after consentLifetime', async () => {
      const { app, advance } = testApp(flowOptions(makeStore, { authorization: { maxPendingConsents: 2 } as never }));
      const first = await openConsent(app, spaRequest().query);
      await openConsent(app, spaRequest().query);
      expect((await redirectedError(app, spaRequest().query)).get('error')).toBe('temporarily_unavailable');
      expect((await decide(app, first, 'deny')).status).toBe(303);
      await openConsent(app, spaRequest().query);
      expect((await redirectedError(app, spaRequest().query)).get('error')).toBe('temporarily_unavailable');
      advance(601);
      await openConsent(app, spaRequest().query);
    });
  });

  test.each([
    ['maxPendingConsents', 0, /`authorization.maxPendingConsents` must be a positive whole number/],
    ['maxStateLength', 'long', /`authorization.maxStateLength` must be a positive whole number/],
    ['maxState', 10, /`authorization.maxState` is not an option/],
  ])('option %s = %p is refused at start-up, naming it', (name, value, message) => {
    expect(() =>
      oauthServer({
        issuer: FLOW_ISSUER,
        clients: FLOW_CLIENTS,
        grants: [authorizationCode()],
        authorization: { getUser: () => undefined, login: () => undefined, [name]: value },
      }),
    ).toThrow(message);
  });
});
