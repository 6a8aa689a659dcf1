import { grantTokens as tokensOfGrant } from '../helpers/grant-tokens';
import express from 'express';
import request from 'supertest';
import { hashClientSecretSync } from '../../lib/clients/secrets';
import { TemporarilyUnavailableError } from '../../lib/errors';
import { clientCredentials } from '../../lib/grants/client-credentials';
import { oauthServer } from '../../lib/server';
import { memoryStore } from '../../lib/stores/memory/store';
import type { GrantTokens, Store } from '../../lib/stores/store';
import { generateGrantId, hashTokenValue } from '../../lib/tokens/token-value';

const START = 1_800_000_000;

describe('memory store size cap (memoryStore({ maxRecords }))', () => {
  let now: number;
  let store: Store;
  beforeEach(() => {
    now = START;
  });
  afterEach(() => store.close());

  function capped(maxRecords: number) {
    store = memoryStore({ maxRecords, clock: () => now });
    const oauth = oauthServer({
      issuer: 'https://as.example/oauth',
      clients: [{ client_id: 'svc', client_secret: hashClientSecretSync('svc-secret'), grant_types: ['client_credentials'], scope: 'read' }],
      grants: [clientCredentials()],
      store,
      clock: () => now,
      accessTokenLifetime: 60,
    });
    const app = express();
    app.use('/oauth', oauth);
    app.get('/api', oauth.requireToken('read'), (_req, res) => res.json({ ok: true }));
    const issue = () => request(app).post('/oauth/token').auth('svc', 'svc-secret').type('form').send({ grant_type: 'client_credentials' });
    const use = (token: string) => request(app).get('/api').set('Authorization', `Bearer ${token}`);
    return { issue, use };
  }

  test('when full, a new token is refused with 503 temporarily_unavailable and the live ones keep working; after they expire, new ones are issued', async () => {
    const { issue, use } = capped(3);
    const live: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await issue();
      expect(res.status).toBe(200);
      live.push(res.body.access_token);
    }
    const refused = await issue();
    expect({ status: refused.status, error: refused.body.error }).toEqual({ status: 503, error: 'temporarily_unavailable' });
    expect(refused.body.access_token).toBeUndefined();
    for (const token of live) expect((await use(token)).status).toBe(200);

    now += 61;
    for (const token of live) expect((await use(token)).status).toBe(401);
    expect((await issue()).status).toBe(200);
  });

  test('a full store refuses a refresh token rotation before using the presented token up, and still revokes', async () => {
    store = memoryStore({ maxRecords: 3, clock: () => now });
    const grantTokens = (grantId: string): GrantTokens => tokensOfGrant(grantId, { at: now, refreshLifetime: 600 });
    const grantId = generateGrantId();
    const first = grantTokens(grantId);
    // Access token, refresh token and the grant's token list: three records.
    await expect(store.saveGrantTokens(first)).resolves.toBe(true);
    const presented = first.refreshToken?.hash as string;
    await expect(store.rotateRefreshToken(presented, grantTokens(grantId), 10)).rejects.toBeInstanceOf(TemporarilyUnavailableError);
    await expect(store.findRefreshToken(presented)).resolves.toMatchObject({ rotated: false });
    await expect(store.saveGrantTokens(grantTokens(generateGrantId()))).rejects.toBeInstanceOf(TemporarilyUnavailableError);

    await store.revokeGrant(grantId);
    await expect(store.findAccessToken(first.accessToken.hash)).resolves.toBeUndefined();
    await expect(store.findRefreshToken(presented)).resolves.toBeUndefined();
  });

  test('by default at most 100,000 records are kept', async () => {
    store = memoryStore({ clock: () => now });
    const record = { clientId: 'svc', scope: ['read'], issuedAt: now, expiresAt: now + 3600 };
    for (let i = 0; i < 100_000; i++) await store.saveAccessToken(hashTokenValue(`token-${i}`), record);
    await expect(store.saveAccessToken(hashTokenValue('one more'), record)).rejects.toBeInstanceOf(TemporarilyUnavailableError);
    await expect(store.findAccessToken(hashTokenValue('token-0'))).resolves.toEqual(record);
  });

  test.each([0, -1, 1.5, '100', Number.POSITIVE_INFINITY])('maxRecords %p is refused, naming the option', (maxRecords) => {
    expect(() => memoryStore({ maxRecords: maxRecords as number })).toThrow(/memoryStore: option `maxRecords` must be a positive whole number/);
  });

  test('an unknown option is refused, naming it', () => {
    expect(() => memoryStore({ maxRecord: 10 } as never)).toThrow(/memoryStore: option `maxRecord` is not an option/);
  });
});
