import express from 'express';
import request from 'supertest';
import { hashClientSecretSync } from '../../lib/clients/secrets';
import { deviceAuthorization, DEVICE_CODE_GRANT_TYPE, type DeviceAuthorizationOptions } from '../../lib/grants/device-code';
import { oauthServer } from '../../lib/server';
import { STORE_KINDS, useStores, type StoreKind } from '../helpers/stores';

const stores = useStores();
const CLIENTS = [
  { client_id: 'tv', grant_types: [DEVICE_CODE_GRANT_TYPE], scope: 'read', token_endpoint_auth_method: 'none' as const },
  { client_id: 'box', client_secret: hashClientSecretSync('box-secret'), grant_types: [DEVICE_CODE_GRANT_TYPE], scope: 'read' },
];

function deviceApp(kind: StoreKind, options: Partial<DeviceAuthorizationOptions> = {}, maxPendingConsents?: number) {
  let now = 1_800_000_000;
  const clock = () => now;
  const oauth = oauthServer({
    issuer: 'https://as.example/oauth',
    clients: CLIENTS,
    grants: [deviceAuthorization({ verificationUri: 'https://as.example/device', ...options })],
    store: stores(kind, clock),
    clock,
    authorization: { getUser: (req) => req.header('x-user'), login: (_req, res) => void res.status(401).end(), ...(maxPendingConsents !== undefined && { maxPendingConsents }) },
  });
  const app = express();
  app.set('trust proxy', 'loopback');
  app.use('/oauth', oauth);
  const start = (from: string, clientId = 'tv') => {
    const req = request(app).post('/oauth/device_authorization').set('X-Forwarded-For', from).type('form');
    return clientId === 'box' ? req.auth('box', 'box-secret').send({}) : req.send({ client_id: clientId });
  };
  const verify = (userCode: string, user: string) => request(app).get('/oauth/device/verify').query({ user_code: userCode }).set('x-user', user);
  return { start, verify, advance: (seconds: number) => void (now += seconds) };
}

const expectOverQuota = (res: request.Response) => {
  expect({ status: res.status, error: res.body.error }).toEqual({ status: 429, error: 'temporarily_unavailable' });
  expect(res.body.device_code).toBeUndefined();
  expect(res.headers['cache-control']).toBe('no-store');
  const retryAfter = Number(res.headers['retry-after']);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(1200);
};

describe.each(STORE_KINDS)('device authorization quotas (%s store)', (kind) => {
  test('by default one address keeps at most 100 device authorizations; others are not affected, and places come back once they are forgotten', async () => {
    const { start, advance } = deviceApp(kind);
    for (let i = 0; i < 100; i++) expect((await start('198.51.100.7')).status).toBe(200);
    expectOverQuota(await start('198.51.100.7'));
    expectOverQuota(await start('198.51.100.7', 'box'));
    expect((await start('198.51.100.8')).status).toBe(200);
    // A request is kept for its codeLifetime (600 s) and then 600 s more (expired_token answers).
    advance(1200);
    expect((await start('198.51.100.7')).status).toBe(200);
  });

  test('an IPv6 host counts as its /64: cycling through the addresses of its network does not dodge the quota', async () => {
    const { start } = deviceApp(kind, { maxPendingPerAddress: 3 });
    for (const address of ['2001:db8:1:2::1', '2001:db8:1:2:aaaa::7', '2001:0db8:0001:0002:ffff:ffff:ffff:ffff']) {
      expect((await start(address)).status).toBe(200);
    }
    expectOverQuota(await start('2001:db8:1:2:1234:5678:9abc:def0'));
    expect((await start('2001:db8:1:3::1')).status).toBe(200);
    // An IPv4 address, also when it comes mapped into IPv6, is its own.
    for (let i = 0; i < 3; i++) expect((await start('192.0.2.9')).status).toBe(200);
    expectOverQuota(await start('::ffff:192.0.2.9'));
    expect((await start('192.0.2.10')).status).toBe(200);
  });

  test('maxPendingPerClient bounds one client whatever the addresses; other clients are not affected', async () => {
    const { start } = deviceApp(kind, { maxPendingPerClient: 5 });
    for (let i = 0; i < 5; i++) expect((await start(`203.0.113.${i}`)).status).toBe(200);
    expectOverQuota(await start('203.0.113.99'));
    expect((await start('203.0.113.99', 'box')).status).toBe(200);
  });

  test('device consent pages count among the user\'s pending consents (authorization.maxPendingConsents)', async () => {
    const { start, verify } = deviceApp(kind, {}, 1);
    const [first, second] = [(await start('192.0.2.1')).body.user_code, (await start('192.0.2.1')).body.user_code];
    expect((await verify(first, 'alice')).status).toBe(200);
    const refused = await verify(second, 'alice');
    expect(refused.status).toBe(429);
    expect(refused.type).toBe('text/html');
    expect(refused.text).not.toContain('name="decision"');
    expect((await verify(second, 'bob')).status).toBe(200);
  });

  test('requests sent in parallel cannot exceed maxPendingPerAddress', async () => {
    const { start } = deviceApp(kind, { maxPendingPerAddress: 3 });
    const responses = await Promise.all(Array.from({ length: 12 }, () => start('192.0.2.50')));
    expect(responses.filter((res) => res.status === 200)).toHaveLength(3);
    for (const res of responses.filter((res) => res.status !== 200)) expectOverQuota(res);
  });
});

describe('device authorization quota options', () => {
  test.each([
    ['maxPendingPerClient', 0],
    ['maxPendingPerAddress', 1.5],
    ['maxPendingPerAddress', '10'],
  ])('%s = %p is refused at start-up, naming the option', (name, value) => {
    expect(() => deviceAuthorization({ verificationUri: 'https://as.example/device', [name]: value })).toThrow(
      new RegExp(`\`deviceAuthorization.${name}\` must be a positive whole number`),
    );
  });

  test('an unknown option is refused, naming it', () => {
    expect(() => deviceAuthorization({ verificationUri: 'https://as.example/device', maxPending: 5 } as never)).toThrow(
      /`deviceAuthorization.maxPending` is not an option/,
    );
  });
});
