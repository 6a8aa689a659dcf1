import request from 'supertest';
import { basic, buildApp, expectOAuthErrorBody, type TestApp } from '../helpers/app';
import { generateClientSecret, hashClientSecretSync } from '../../lib/clients/secrets';
import { chosenSecret } from '../helpers/secrets';
import type { ClientAuthFailedEvent } from '../../lib/client-auth/authenticate';
import type { OAuthServerOptions } from '../../lib/options';
import { memoryStore } from '../../lib/stores/memory';
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
  const subject = buildApp({ clients: CLIENTS, ...options }, (app) => app.set('trust proxy', 'loopback'));
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

const perClientOnly = { bruteForce: { perClient: { points: 3 }, perAddress: false as const } };

describe('brute-force limits per client id', () => {
  test('after `points` failures the right secret is refused too, with the same invalid_client as any failure', async () => {
    const subject = limitedApp(perClientOnly);
    const [wrong] = await failTimes(3, () => asSvc(subject, 'wrong'));
    const blocked = await asSvc(subject, svc.secret);
    expect(refusal(blocked)).toEqual(refusal(wrong));
    expect(blocked.status).toBe(401);
    expectOAuthErrorBody(blocked.body, 'invalid_client');
    expect(blocked.body).not.toHaveProperty('access_token');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
  });

  test('failures below the limit block nothing', async () => {
    const subject = limitedApp(perClientOnly);
    await failTimes(2, () => asSvc(subject, 'wrong'));
    expect((await asSvc(subject, svc.secret)).status).toBe(200);
  });

  test('an unknown client id is limited exactly like a known one, so the refusals reveal nothing', async () => {
    const subject = limitedApp(perClientOnly);
    const known = await failTimes(4, () => asSvc(subject, 'wrong'));
    const notKnown = await failTimes(4, () => asBasic(subject, 'nobody', 'wrong'));
    expect(notKnown.map(refusal)).toEqual(known.map(refusal));
    expect(notKnown.map((res) => res.headers['retry-after'] !== undefined)).toEqual(known.map((res) => res.headers['retry-after'] !== undefined));
    expect(known[3].headers['retry-after']).toBeDefined();
  });

  test('the block is per client: another client keeps working', async () => {
    const subject = limitedApp(perClientOnly);
    await failTimes(3, () => asSvc(subject, 'wrong'));
    expect((await asOther(subject, other.secret)).status).toBe(200);
  });

  test('a success resets no counter: failures before and after it add up', async () => {
    const subject = limitedApp(perClientOnly);
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

  test('attempts sent in parallel cannot all slip under the limit: at most `points` secrets are checked', async () => {
    const events: ClientAuthFailedEvent[] = [];
    const subject = limitedApp({ ...perClientOnly, onClientAuthFailed: (event) => events.push(event) });
    const slow = (secret: string) => asBasic(subject, 'slow', secret);
    const responses = await Promise.all(Array.from({ length: 20 }, () => slow('wrong')));
    expect(responses.every((res) => res.status === 401)).toBe(true);
    expect(events.filter((event) => event.reason === 'wrong_secret').length).toBeLessThanOrEqual(3);
    expect((await slow('slow-secret')).status).toBe(401);
  });

  test('onClientAuthFailed hears rate_limited for refused attempts, never the secret', async () => {
    const events: ClientAuthFailedEvent[] = [];
    const subject = limitedApp({ ...perClientOnly, onClientAuthFailed: (event) => events.push(event) });
    await failTimes(3, () => asSvc(subject, 'wrong'));
    await asSvc(subject, svc.secret);
    expect(events.map((event) => event.reason)).toEqual(['wrong_secret', 'wrong_secret', 'wrong_secret', 'rate_limited']);
    expect(events[3]).toEqual({ clientId: 'svc', method: 'client_secret_basic', reason: 'rate_limited' });
    expect(JSON.stringify(events)).not.toContain(svc.secret);
  });
});

describe('brute-force limits per source address (req.ip)', () => {
  const perAddressOnly = { bruteForce: { perClient: false as const, perAddress: { points: 3 } } };

  test('failures for many client ids from one address block that address, for every client', async () => {
    const subject = limitedApp(perAddressOnly);
    let i = 0;
    await failTimes(3, () => asBasic(subject, `guess-${i++}`, 'x', '192.0.2.7'));
    expect((await asSvc(subject, svc.secret, '192.0.2.7')).status).toBe(401);
    expect((await asSvc(subject, svc.secret, '192.0.2.8')).status).toBe(200);
  });

  test("a client's success from a shared address does not reset the address's counter", async () => {
    const subject = limitedApp(perAddressOnly);
    await failTimes(2, () => asSvc(subject, 'wrong', '192.0.2.9'));
    expect((await asOther(subject, other.secret, '192.0.2.9')).status).toBe(200);
    await asSvc(subject, 'wrong', '192.0.2.9');
    expect((await asOther(subject, other.secret, '192.0.2.9')).status).toBe(401);
  });

  test('without trust proxy, X-Forwarded-For is ignored: a client cannot dodge the limit by naming new addresses', async () => {
    const subject = buildApp({ clients: CLIENTS, ...perAddressOnly });
    apps.push(subject);
    let host = 0;
    await failTimes(3, () => asSvc(subject, 'wrong', `203.0.113.${host++}`));
    expect((await asSvc(subject, svc.secret, '203.0.113.251')).status).toBe(401);
  });

  test('requests without any credentials count too', async () => {
    const subject = limitedApp(perAddressOnly);
    await failTimes(3, () => request(subject.app).post('/oauth/token').type('form').set('X-Forwarded-For', '192.0.2.10').send('grant_type=client_credentials'));
    expect((await asSvc(subject, svc.secret, '192.0.2.10')).status).toBe(401);
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
    const broken: Store = {
      ...memoryStore(),
      attemptCounter: () => ({
        get: () => Promise.reject(new Error('down')),
        penalty: () => Promise.reject(new Error('down')),
        reward: () => Promise.reject(new Error('down')),
        block: () => Promise.reject(new Error('down')),
      }),
    };
    const subject = limitedApp({ store: broken });
    const res = await asSvc(subject, svc.secret);
    expect(res.status).toBe(503);
    expectOAuthErrorBody(res.body, 'temporarily_unavailable');
  });

  test('a store without attemptCounter gets counters in memory', async () => {
    const { attemptCounter: _none, ...plain } = memoryStore();
    const subject = limitedApp({ store: plain, ...perClientOnly });
    await failTimes(3, () => asSvc(subject, 'wrong'));
    expect((await asSvc(subject, svc.secret)).status).toBe(401);
  });
});

describe('clients with a generated 256-bit secret', () => {
  test('their right secret works even while their id and address are blocked: nobody can lock them out', async () => {
    const subject = limitedApp({ bruteForce: { perClient: { points: 3 }, perAddress: { points: 3 } } });
    await failTimes(4, () => asBasic(subject, 'gen', 'wrong'));
    const res = await asBasic(subject, 'gen', generated.secret);
    expect(res.status).toBe(200);
    expect(res.headers['retry-after']).toBeUndefined();
  });

  test('their failures count like any other: past the limit they carry Retry-After, as for an unknown id', async () => {
    const subject = limitedApp(perClientOnly);
    const known = await failTimes(4, () => asBasic(subject, 'gen', 'wrong'));
    const unknown = await failTimes(4, () => asBasic(subject, 'ghost', 'wrong'));
    expect(known.map((res) => res.headers['retry-after'] !== undefined)).toEqual([false, false, false, true]);
    expect(unknown.map((res) => res.headers['retry-after'] !== undefined)).toEqual([false, false, false, true]);
    expect(refusal(known[3])).toEqual(refusal(unknown[3]));
  });

  test('their failures block the address for clients whose secrets can be guessed', async () => {
    const subject = limitedApp({ bruteForce: { perClient: false, perAddress: { points: 3 } } });
    await failTimes(3, () => asBasic(subject, 'gen', 'wrong', '198.51.100.7'));
    expect((await asBasic(subject, 'slow', 'slow-secret', '198.51.100.7')).status).toBe(401);
    expect((await asBasic(subject, 'slow', 'slow-secret', '198.51.100.8')).status).toBe(200);
  });

  test('a success costs no counter: with the counters down, the right secret still gets a token', async () => {
    const healthy = memoryStore();
    const store: Store = {
      ...healthy,
      attemptCounter: () => {
        const down = () => Promise.reject(new Error('counters down'));
        return { get: down, penalty: down, reward: down, block: down };
      },
    };
    const subject = limitedApp({ store });
    expect((await asBasic(subject, 'gen', generated.secret)).status).toBe(200);
    expect((await asBasic(subject, 'gen', 'wrong')).status).toBe(503);
    await healthy.close();
  });
});
