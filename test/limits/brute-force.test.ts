import request from 'supertest';
import { basic, testApp, expectOAuthErrorBody, type TestApp } from '../helpers/test-app';
import { generateClientSecret, hashClientSecretSync } from '../../lib/clients/secrets';
import { chosenSecret } from '../helpers/secrets';
import type { ClientAuthFailedEvent } from '../../lib/client-auth/authenticate';
import type { OAuthServerOptions } from '../../lib/options';
import { memoryStore } from '../../lib/stores/memory/store';
import type { Store } from '../../lib/stores/store';

const svc = chosenSecret('svc-chosen-secret');
const other = chosenSecret('other-chosen-secret');
const generated = generateClientSecret();
const CLIENTS = [
  { client_id: 'gen', client_secret: generated.hash, grant_types: ['client_credentials'], scope: 'read' },
  // scrypt: each check takes long enough for parallel attempts to overlap.
  { client_id: 'slow', client_secret: hashClientSecretSync('slow-secret'), grant_types: ['client_credentials'], scope: 'read' },
  { client_id: 'svc', client_secret: svc.hash, grant_types: ['client_credentials'], scope: 'read' },
  { client_id: 'other', client_secret: other.hash, grant_types: ['client_credentials'], scope: 'read', token_endpoint_auth_method: 'client_secret_post' as const },
];

const apps: TestApp[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map(({ oauth }) => oauth.close()));
});

/** An app that trusts X-Forwarded-For from loopback, so a test can speak from several addresses. */
function limitedApp(options: Partial<OAuthServerOptions> = {}): TestApp {
  const subject = testApp({ clients: CLIENTS, ...options, before: (app) => app.set('trust proxy', 'loopback') });
  apps.push(subject);
  return subject;
}

function asBasic(subject: TestApp, clientId: string, secret: string, from = '192.0.2.1') {
  return request(subject.app)
    .post('/oauth/token')
    .type('form')
    .set('X-Forwarded-For', from)
    .set('Authorization', basic(clientId, secret))
    .send('grant_type=client_credentials');
}
const asSvc = (subject: TestApp, secret: string, from?: string) => asBasic(subject, 'svc', secret, from);

function asOther(subject: TestApp, secret: string, from = '192.0.2.1') {
  return request(subject.app)
    .post('/oauth/token')
    .type('form')
    .set('X-Forwarded-For', from)
    .send(`grant_type=client_credentials&client_id=other&client_secret=${secret}`);
}

async function failTimes(times: number, send: () => request.Test): Promise<request.Response[]> {
  const responses = [];
  for (let i = 0; i < times; i++) responses.push(await send());
  return responses;
}

/** What a client sees of a refusal, minus the header that only says when to come back. */
function refusal(res: request.Response) {
  return { status: res.status, body: res.body, challenge: res.headers['www-authenticate'] };
}

const perPairOnly = { bruteForce: { perPair: { points: 3 }, perClient: false as const, perAddress: false as const } };

describe('brute-force limits per client id and address', () => {
  test('after `points` failures the right secret is refused too, with the same invalid_client as any failure', async () => {
    const subject = limitedApp(perPairOnly);
    const [wrong] = await failTimes(3, () => asSvc(subject, 'wrong'));
    const blocked = await asSvc(subject, svc.secret);
    expect(refusal(blocked)).toEqual(refusal(wrong));
    expect(blocked.status).toBe(401);
    expectOAuthErrorBody(blocked.body, 'invalid_client');
    expect(blocked.body).not.toHaveProperty('access_token');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
  });

  test('failures below the limit block nothing', async () => {
    const subject = limitedApp(perPairOnly);
    await failTimes(2, () => asSvc(subject, 'wrong'));
    expect((await asSvc(subject, svc.secret)).status).toBe(200);
  });

  test('an unknown client id tests no secret: refused as a wrong secret is, never counted nor blocked', async () => {
    const subject = limitedApp(perPairOnly);
    const known = await failTimes(4, () => asSvc(subject, 'wrong'));
    const notKnown = await failTimes(4, () => asBasic(subject, 'nobody', 'wrong'));
    // RFC 6749 §2.2: client ids are not secrets; only a blocked known client carries Retry-After.
    expect(notKnown.map(refusal)).toEqual(known.map(refusal));
    expect(notKnown.some((res) => res.headers['retry-after'] !== undefined)).toBe(false);
    expect(known[3].headers['retry-after']).toBeDefined();
  });

  test('the block is per address: the right secret from another address still works', async () => {
    const subject = limitedApp(perPairOnly);
    await failTimes(3, () => asSvc(subject, 'wrong', '192.0.2.20'));
    expect((await asSvc(subject, svc.secret, '192.0.2.20')).status).toBe(401);
    expect((await asSvc(subject, svc.secret, '192.0.2.21')).status).toBe(200);
  });

  test('the block is per client: another client keeps working', async () => {
    const subject = limitedApp(perPairOnly);
    await failTimes(3, () => asSvc(subject, 'wrong'));
    expect((await asOther(subject, other.secret)).status).toBe(200);
  });

  test('a success resets no counter: failures before and after it add up', async () => {
    const subject = limitedApp(perPairOnly);
    await failTimes(2, () => asSvc(subject, 'wrong'));
    expect((await asSvc(subject, svc.secret)).status).toBe(200);
    await asSvc(subject, 'wrong');
    expect((await asSvc(subject, svc.secret)).status).toBe(401);
  });

  test('the block ends after blockSeconds, and the right secret works again', async () => {
    const subject = limitedApp({ bruteForce: { perClient: { points: 2, blockSeconds: 1 }, perAddress: false } });
    await failTimes(2, () => asSvc(subject, 'wrong'));
    expect((await asSvc(subject, svc.secret)).status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await asSvc(subject, svc.secret)).status).toBe(200);
  });

  test('attempts sent in parallel cannot all slip under the limit: at most points + 3 secrets are checked', async () => {
    const events: ClientAuthFailedEvent[] = [];
    const subject = limitedApp({ ...perPairOnly, onClientAuthFailed: (event) => events.push(event) });
    const slow = (secret: string) => asBasic(subject, 'slow', secret);
    const responses = await Promise.all(Array.from({ length: 20 }, () => slow('wrong')));
    expect(responses.every((res) => res.status === 401)).toBe(true);
    // points − 1 counted, plus 4 slots in flight in this process (README, "Brute-force limits").
    expect(events.filter((event) => event.reason === 'wrong_secret').length).toBeLessThanOrEqual(3 - 1 + 4);
    expect((await slow('slow-secret')).status).toBe(401);
  });

  test('onClientAuthFailed hears rate_limited for refused attempts, never the secret', async () => {
    const events: ClientAuthFailedEvent[] = [];
    const subject = limitedApp({ ...perPairOnly, onClientAuthFailed: (event) => events.push(event) });
    await failTimes(3, () => asSvc(subject, 'wrong'));
    await asSvc(subject, svc.secret);
    expect(events.map((event) => event.reason)).toEqual(['wrong_secret', 'wrong_secret', 'wrong_secret', 'rate_limited']);
    expect(events[3]).toEqual({ clientId: 'svc', method: 'client_secret_basic', reason: 'rate_limited' });
    expect(JSON.stringify(events)).not.toContain(svc.secret);
  });
});

describe('brute-force limits per source address (req.ip)', () => {
  const perAddressOnly = { bruteForce: { perPair: false as const, perClient: false as const, perAddress: { points: 3 } } };

  test('wrong secrets of several clients from one address block it for clients that never succeeded from it', async () => {
    const subject = limitedApp(perAddressOnly);
    await asSvc(subject, 'wrong', '192.0.2.7');
    await asOther(subject, 'wrong', '192.0.2.7');
    await asBasic(subject, 'slow', 'wrong', '192.0.2.7');
    expect((await asSvc(subject, svc.secret, '192.0.2.7')).status).toBe(401);
    expect((await asSvc(subject, svc.secret, '192.0.2.8')).status).toBe(200);
  });

  test("a client's success from a shared address admits that client only, and resets no counter", async () => {
    const subject = limitedApp(perAddressOnly);
    await failTimes(2, () => asSvc(subject, 'wrong', '192.0.2.9'));
    expect((await asOther(subject, other.secret, '192.0.2.9')).status).toBe(200);
    await asSvc(subject, 'wrong', '192.0.2.9');
    expect((await asOther(subject, other.secret, '192.0.2.9')).status).toBe(200);
    expect((await asSvc(subject, svc.secret, '192.0.2.9')).status).toBe(401);
  });

  test('without trust proxy, X-Forwarded-For is ignored: a client cannot dodge the limit by naming new addresses', async () => {
    const subject = testApp({ clients: CLIENTS, ...perAddressOnly });
    apps.push(subject);
    let host = 0;
    await failTimes(3, () => asSvc(subject, 'wrong', `203.0.113.${host++}`));
    expect((await asSvc(subject, svc.secret, '203.0.113.251')).status).toBe(401);
  });

  test('requests without any credentials count nothing', async () => {
    const subject = limitedApp(perAddressOnly);
    await failTimes(3, () => request(subject.app).post('/oauth/token').type('form').set('X-Forwarded-For', '192.0.2.10').send('grant_type=client_credentials'));
    expect((await asSvc(subject, svc.secret, '192.0.2.10')).status).toBe(200);
  });
});

describe('brute-force options and failure', () => {
  test('on by default: the 11th attempt after 10 failures is refused', async () => {
    const subject = limitedApp();
    await failTimes(10, () => asSvc(subject, 'wrong'));
    expect((await asSvc(subject, svc.secret)).status).toBe(401);
  });

  test('bruteForce: false turns the limits off', async () => {
    const subject = limitedApp({ bruteForce: false });
    await failTimes(12, () => asSvc(subject, 'wrong'));
    expect((await asSvc(subject, svc.secret)).status).toBe(200);
  });

  test('counters that cannot be read fail closed: 503 temporarily_unavailable, no token', async () => {
    const down = () => Promise.reject(new Error('down'));
    const broken: Store = { ...memoryStore(), attempts: { read: down, countFailure: down, markKnown: down } };
    const subject = limitedApp({ store: broken });
    const res = await asSvc(subject, svc.secret);
    expect(res.status).toBe(503);
    expectOAuthErrorBody(res.body, 'temporarily_unavailable');
  });

  test('a store without attempts gets counters in memory', async () => {
    const { attempts: _none, ...plain } = memoryStore();
    const subject = limitedApp({ store: plain, ...perPairOnly });
    await failTimes(3, () => asSvc(subject, 'wrong'));
    expect((await asSvc(subject, svc.secret)).status).toBe(401);
  });
});

describe('clients with a generated 256-bit secret', () => {
  test('are not limited: no guess can succeed, so their failures count nothing and nobody can lock them out', async () => {
    const subject = limitedApp({ bruteForce: { perPair: { points: 3 }, perClient: { points: 3 }, perAddress: { points: 3 } } });
    const failures = await failTimes(4, () => asBasic(subject, 'gen', 'wrong'));
    expect(failures.some((res) => res.headers['retry-after'] !== undefined)).toBe(false);
    const res = await asBasic(subject, 'gen', generated.secret);
    expect(res.status).toBe(200);
    expect(res.headers['retry-after']).toBeUndefined();
    // Nor do they count against the address for clients whose secrets can be guessed.
    expect((await asBasic(subject, 'slow', 'slow-secret')).status).toBe(200);
  });

  test('they need no limit state: with it down, the right secret gets a token and a wrong one is 401', async () => {
    const down = () => Promise.reject(new Error('limits down'));
    const healthy = memoryStore();
    const subject = limitedApp({ store: { ...healthy, attempts: { read: down, countFailure: down, markKnown: down } } });
    expect((await asBasic(subject, 'gen', generated.secret)).status).toBe(200);
    expect((await asBasic(subject, 'gen', 'wrong')).status).toBe(401);
    await healthy.close();
  });
});
