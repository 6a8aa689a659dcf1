import request from 'supertest';
import { testApp, basic, type TestApp } from '../helpers/test-app';
import { FLOW_CLIENTS, issueEveryWay, SECRETS } from './full-flow';
import { memoryStore } from '../../lib/stores/memory/store';
import type { Store } from '../../lib/stores/store';

/*
 * RFC 6819 §4.6.7 and §5.1.4.1.3 (credential leakage through logs): a full flow with every hook, the
 * console and the error responses captured; no line may contain a token or a secret, neither
 * the valid ones nor the wrong ones a client presented.
 */
describe('no token or secret in logs, hooks, errors or error responses', () => {
  const captured: string[] = [];
  const capture = (source: string) => (...values: unknown[]) => {
    captured.push(`${source}: ${values.map((value) => (value instanceof Error ? `${value.message}\n${value.stack}` : JSON.stringify(value))).join(' ')}`);
  };
  let consoleSpies: jest.SpyInstance[];
  beforeAll(() => {
    consoleSpies = (['log', 'info', 'warn', 'error', 'debug', 'trace'] as const).map((name) =>
      jest.spyOn(console, name).mockImplementation(capture(`console.${name}`)),
    );
  });
  afterAll(() => consoleSpies.forEach((spy) => spy.mockRestore()));

  function app(store: Store): TestApp {
    return testApp({
      clients: FLOW_CLIENTS,
      store,
      bearerMethods: { body: true, query: true },
      bruteForce: { perPair: { points: 2 }, perClient: false, perAddress: false },
      onTokenIssued: capture('onTokenIssued'),
      onClientAuthFailed: capture('onClientAuthFailed'),
      onError: capture('onError'),
    });
  }

  test('a full flow: issue, use, fail, get blocked, break the store', async () => {
    const presented = [...Object.values(SECRETS), 'wrong-secret-1', 'wrong-secret-2', 'wrong-secret-3'];
    const errorResponses: string[] = [];
    const keep = (res: request.Response) => {
      if (res.status >= 400) errorResponses.push(JSON.stringify({ headers: res.headers, body: res.body, text: res.text }));
      return res;
    };

    const subject = app(memoryStore());
    const post = () => request(subject.app).post('/oauth/token').type('form');
    const tokens = await issueEveryWay(subject.app);

    const [token] = tokens;
    for (const use of [
      request(subject.app).get('/api/read').set('Authorization', `Bearer ${token}`),
      request(subject.app).get(`/api/read?access_token=${token}`),
      request(subject.app).post('/api/read').type('form').send(`access_token=${token}`),
      // The same token by two methods, a near miss, a scope it lacks.
      request(subject.app).get(`/api/read?access_token=${token}`).set('Authorization', `Bearer ${token}`),
      request(subject.app).get('/api/read').set('Authorization', `Bearer ${token}x`),
      request(subject.app).get('/api/read-write').set('Authorization', `Bearer ${tokens[1]}`),
    ]) keep(await use);

    // Wrong secrets, by both methods, until the person-chosen secret's client is blocked; then its right secret.
    keep(await post().set('Authorization', basic('human', 'wrong-secret-1')).send('grant_type=client_credentials'));
    keep(await post().send('grant_type=client_credentials&client_id=poster&client_secret=wrong-secret-2'));
    keep(await post().set('Authorization', basic('human', 'wrong-secret-3')).send('grant_type=client_credentials'));
    keep(await post().set('Authorization', basic('human', SECRETS.human)).send('grant_type=client_credentials'));
    // A secret repeated, a secret sent as a parameter name, two methods at once.
    keep(await post().send(`grant_type=client_credentials&client_id=poster&client_secret=${SECRETS.poster}&client_secret=${SECRETS.poster}`));
    keep(await post().send(`grant_type=client_credentials&${SECRETS.poster}=1&${SECRETS.poster}=2`));
    keep(await post().set('Authorization', basic('human', SECRETS.human)).send(`grant_type=client_credentials&client_secret=${SECRETS.human}`));
    await subject.oauth.close();

    // A store that fails with errors quoting what it was given, as some database drivers do.
    const quoting: Store = {
      ...memoryStore(),
      saveAccessToken: async (...args) => {
        throw new Error(`save failed for ${JSON.stringify(args)}`);
      },
      findAccessToken: async (...args) => {
        throw new Error(`find failed for ${JSON.stringify(args)}`);
      },
    };
    const broken = app(quoting);
    keep(await request(broken.app).post('/oauth/token').type('form').set('Authorization', basic('svc', SECRETS.svc)).send('grant_type=client_credentials'));
    keep(await request(broken.app).get('/api/read').set('Authorization', `Bearer ${token}`));
    await broken.oauth.close();

    expect(captured.some((line) => line.startsWith('onTokenIssued'))).toBe(true);
    expect(captured.some((line) => line.includes('rate_limited'))).toBe(true);
    expect(captured.filter((line) => line.startsWith('onError'))).toHaveLength(2);
    expect(errorResponses.length).toBeGreaterThan(10);
    for (const line of [...captured, ...errorResponses]) {
      for (const value of [...tokens, ...presented]) expect(line).not.toContain(value);
    }
  });
});
