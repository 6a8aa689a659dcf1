import express from 'express';
import request from 'supertest';
import { basic, testApp, expectOAuthErrorBody, type TestApp } from '../helpers/test-app';
import type { ClientAuthFailedEvent } from '../../lib/client-auth/authenticate';
import type { ClientMetadata } from '../../lib/clients/client';
import { generateClientSecret, hashClientSecret } from '../../lib/clients/secrets';

/** Ids and secrets with the characters that break naive parsers (passport-http issue #20 among them). */
const AWKWARD: [string, string][] = [
  ['colon:id', 'se:cr:et'],
  ['percent%id', '100%+sure'],
  ['plus+id', 'a+b c'],
  ['space id', 'pass word'],
  ['ünïcödé-客户', 'пароль-🔑'],
  ['amp&eq=', '&=?#/'],
];

function awkwardClients(method: 'client_secret_basic' | 'client_secret_post'): ClientMetadata[] {
  return AWKWARD.map(([id, secret]) => ({
    client_id: `${method}/${id}`,
    client_secret: secret,
    grant_types: ['client_credentials'],
    scope: 'read',
    token_endpoint_auth_method: method,
  }));
}

let subject: TestApp;
const failures: ClientAuthFailedEvent[] = [];
beforeAll(() => {
  subject = testApp({
    clients: [
      ...awkwardClients('client_secret_basic'),
      ...awkwardClients('client_secret_post'),
      { client_id: 'svc', client_secret: 'svc-secret', grant_types: ['client_credentials'], scope: 'read' },
      { client_id: 'pub', grant_types: ['client_credentials'], scope: 'read' },
    ],
    onClientAuthFailed: (event) => failures.push(event),
  });
});
afterAll(() => subject.oauth.close());
beforeEach(() => {
  failures.length = 0;
});

const token = (app = subject.app) => request(app).post('/oauth/token').type('form');

describe('client_secret_basic (RFC 6749 §2.3.1) through passport-http', () => {
  test.each(AWKWARD)('id %j with secret %j authenticates when form-urlencoded as §2.3.1 says', async (id, secret) => {
    const res = await token().set('Authorization', basic(`client_secret_basic/${id}`, secret)).send('grant_type=client_credentials');
    expect(res.status).toBe(200);
  });

  test('a secret with colons sent unencoded (as curl -u does) is read up to the end, not the second colon', async () => {
    const unambiguous = testApp({ clients: [{ client_id: 'plain', client_secret: 'a:b:c', grant_types: ['client_credentials'], scope: 'read' }] });
    const ok = await token(unambiguous.app).set('Authorization', basic('plain', 'a:b:c', false)).send('grant_type=client_credentials');
    expect(ok.status).toBe(200);
    const truncated = await token(unambiguous.app).set('Authorization', basic('plain', 'a', false)).send('grant_type=client_credentials');
    expect(truncated.status).toBe(401);
    await unambiguous.oauth.close();
  });

  test('the scheme name is case-insensitive (RFC 7235 §2.1)', async () => {
    const header = basic('svc', 'svc-secret').replace('Basic', 'bAsIc');
    const res = await token().set('Authorization', header).send('grant_type=client_credentials');
    expect(res.status).toBe(200);
  });

  test('RFC 7235 §2.1: one or more spaces between the scheme and the credentials', async () => {
    const header = basic('svc', 'svc-secret').replace('Basic ', 'Basic  ');
    const res = await token().set('Authorization', header).send('grant_type=client_credentials');
    expect(res.status).toBe(200);
    expect(failures).toEqual([]);
  });

  test('a wrong secret is 401 invalid_client with a Basic challenge, and the hook hears why', async () => {
    const res = await token().set('Authorization', basic('svc', 'Wr0ngS3cret')).send('grant_type=client_credentials');
    expect(res.status).toBe(401);
    expectOAuthErrorBody(res.body, 'invalid_client');
    expect(res.headers['www-authenticate']).toBe('Basic realm="https://auth.example.test/oauth"');
    expect(failures).toEqual([{ clientId: 'svc', method: 'client_secret_basic', reason: 'wrong_secret' }]);
    expect(JSON.stringify(failures)).not.toContain('Wr0ngS3cret');
  });

  test('an unknown client gets the same answer as a wrong secret', async () => {
    const unknown = await token().set('Authorization', basic('nobody', 'svc-secret')).send('grant_type=client_credentials');
    const wrong = await token().set('Authorization', basic('svc', 'nope')).send('grant_type=client_credentials');
    expect(unknown.status).toBe(wrong.status);
    expect(unknown.body).toEqual(wrong.body);
    expect(failures[0]).toMatchObject({ clientId: 'nobody', reason: 'unknown_client' });
  });

  test.each([
    ['no colon', 'Basic ' + Buffer.from('svcsvc-secret').toString('base64')],
    ['not base64', 'Basic !!!!'],
    ['empty secret', 'Basic ' + Buffer.from('svc:').toString('base64')],
    ['empty id', 'Basic ' + Buffer.from(':svc-secret').toString('base64')],
    ['no credentials', 'Basic'],
    ['bad percent-encoding', 'Basic ' + Buffer.from('svc:%E0%A4%A').toString('base64')],
    ['garbage', 'Basic ' + 'x'.repeat(3000)],
  ])('a malformed Basic header (%s) is 401 invalid_client, never 500', async (_case, header) => {
    const res = await token().set('Authorization', header).send('grant_type=client_credentials');
    expect(res.status).toBe(401);
    expectOAuthErrorBody(res.body, 'invalid_client');
    expect(res.headers['www-authenticate']).toMatch(/^Basic realm=/);
  });

  test('a client registered for client_secret_post cannot authenticate with Basic', async () => {
    const res = await token().set('Authorization', basic('client_secret_post/plus+id', 'a+b c')).send('grant_type=client_credentials');
    expect(res.status).toBe(401);
    expect(failures[0]).toMatchObject({ reason: 'wrong_method' });
  });

  test('a client_id in the body that names another client is invalid_request', async () => {
    const res = await token().set('Authorization', basic('svc', 'svc-secret')).send('grant_type=client_credentials&client_id=pub');
    expect(res.status).toBe(400);
    expectOAuthErrorBody(res.body, 'invalid_request');
  });

  test('a client_id in the body that names the same client is accepted', async () => {
    const res = await token().set('Authorization', basic('svc', 'svc-secret')).send('grant_type=client_credentials&client_id=svc');
    expect(res.status).toBe(200);
  });

  // Found by the fuzz suite: the Basic strategy read req.body, where client_id="" is still there.
  test('an empty client_id in the body counts as omitted (RFC 6749 §3.1), beside a Basic header', async () => {
    const res = await token().set('Authorization', basic('svc', 'svc-secret')).send('grant_type=client_credentials&client_id=');
    expect(res.status).toBe(200);
  });
});

describe('client_secret_post (RFC 6749 §2.3.1)', () => {
  test.each(AWKWARD)('id %j with secret %j authenticates', async (id, secret) => {
    const res = await token().send({ grant_type: 'client_credentials', client_id: `client_secret_post/${id}`, client_secret: secret });
    expect(res.status).toBe(200);
  });

  test('a wrong secret is 401 invalid_client without a Basic challenge', async () => {
    const res = await token().send({ grant_type: 'client_credentials', client_id: 'client_secret_post/plus+id', client_secret: 'x' });
    expect(res.status).toBe(401);
    expectOAuthErrorBody(res.body, 'invalid_client');
    expect(res.headers['www-authenticate']).toBeUndefined();
  });

  test('a client registered for client_secret_basic cannot authenticate in the body', async () => {
    const res = await token().send({ grant_type: 'client_credentials', client_id: 'svc', client_secret: 'svc-secret' });
    expect(res.status).toBe(401);
    expect(failures[0]).toMatchObject({ clientId: 'svc', method: 'client_secret_post', reason: 'wrong_method' });
  });

  test('a secret without a client_id is invalid_client', async () => {
    const res = await token().send({ grant_type: 'client_credentials', client_secret: 'svc-secret' });
    expect(res.status).toBe(401);
    expectOAuthErrorBody(res.body, 'invalid_client');
  });
});

describe('a secret without a client_id', () => {
  test('is refused without asking the host app for a client named undefined', async () => {
    const looked: unknown[] = [];
    const lookup = testApp({
      clients: async (clientId: string) => {
        looked.push(clientId);
        return undefined;
      },
    });
    const res = await token(lookup.app).send('grant_type=client_credentials&client_secret=svc-secret');
    expect([400, 401]).toContain(res.status);
    expect(['invalid_client', 'invalid_request']).toContain(res.body.error);
    expect(looked).toHaveLength(0);
    await lookup.oauth.close();
  });
});

describe('several methods, none, and public clients', () => {
  test('Basic and a body secret together are invalid_request (§2.3)', async () => {
    const res = await token().set('Authorization', basic('svc', 'svc-secret')).send({ grant_type: 'client_credentials', client_secret: 'svc-secret' });
    expect(res.status).toBe(400);
    expectOAuthErrorBody(res.body, 'invalid_request');
  });

  test('a client_id in the body must name the client of the Basic header: another is invalid_request, the same is accepted', async () => {
    const other = await token().set('Authorization', basic('svc', 'svc-secret')).send({ grant_type: 'client_credentials', client_id: 'poster' });
    expect(other.status).toBe(400);
    expectOAuthErrorBody(other.body, 'invalid_request');
    const same = await token().set('Authorization', basic('svc', 'svc-secret')).send({ grant_type: 'client_credentials', client_id: 'svc' });
    expect(same.status).toBe(200);
  });

  test('no credentials at all is 401 invalid_client', async () => {
    const res = await token().send('grant_type=client_credentials');
    expect(res.status).toBe(401);
    expectOAuthErrorBody(res.body, 'invalid_client');
    expect(failures).toEqual([{ method: 'unknown', reason: 'no_credentials' }]);
  });

  test('a confidential client cannot pass as public by leaving its secret out', async () => {
    const res = await token().send({ grant_type: 'client_credentials', client_id: 'svc' });
    expect(res.status).toBe(401);
    expect(failures[0]).toMatchObject({ clientId: 'svc', method: 'none', reason: 'wrong_method' });
  });

  test('a public client presenting a secret is refused', async () => {
    const res = await token().send({ grant_type: 'client_credentials', client_id: 'pub', client_secret: 'anything' });
    expect(res.status).toBe(401);
  });

  test('a Bearer Authorization header is not client authentication', async () => {
    const res = await token().set('Authorization', 'Bearer abc').send('grant_type=client_credentials');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBeUndefined();
  });

  test('failures are answered as JSON, never as passport\'s plain "Unauthorized"', async () => {
    const res = await token().set('Authorization', 'Basic').send('grant_type=client_credentials');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.text).not.toBe('Unauthorized');
  });
});

describe('works whatever the host app parsed before the router', () => {
  test.each([
    ['express.urlencoded({ extended: false })', (app: express.Express) => app.use(express.urlencoded({ extended: false }))],
    ['express.urlencoded({ extended: true })', (app: express.Express) => app.use(express.urlencoded({ extended: true }))],
    ['express.json()', (app: express.Express) => app.use(express.json())],
    ['express.json() and express.urlencoded()', (app: express.Express) => app.use(express.json(), express.urlencoded({ extended: true }))],
  ])('%s', async (_name, before) => {
    const host = testApp({ before });
    const basicRes = await token(host.app).set('Authorization', basic('svc', 'svc-secret')).send('grant_type=client_credentials');
    expect(basicRes.status).toBe(200);
    const postRes = await token(host.app).send({ grant_type: 'client_credentials', client_id: 'poster', client_secret: 'poster-secret' });
    expect(postRes.status).toBe(200);
    const duplicate = await token(host.app).set('Authorization', basic('svc', 'svc-secret')).send('grant_type=client_credentials&scope=read&scope=write');
    expect(duplicate.status).toBe(400);
    expectOAuthErrorBody(duplicate.body, 'invalid_request');
    const nested = await token(host.app).set('Authorization', basic('svc', 'svc-secret')).send('grant_type=client_credentials&scope[a]=read');
    expect([200, 400]).toContain(nested.status);
    if (nested.status === 200) expect(nested.body.scope).toBe('read write');
    await host.oauth.close();
  });
});

describe('secrets are kept as hashes', () => {
  test('a secret hashed with hashClientSecret() authenticates, and the plaintext is never required in config', async () => {
    const hash = await hashClientSecret('chosen by a person');
    expect(hash).toMatch(/^scrypt\$/);
    const host = testApp({ clients: [{ client_id: 'h', client_secret: hash, grant_types: ['client_credentials'], scope: 'read' }] });
    const ok = await token(host.app).set('Authorization', basic('h', 'chosen by a person')).send('grant_type=client_credentials');
    expect(ok.status).toBe(200);
    const again = await token(host.app).set('Authorization', basic('h', 'chosen by a person')).send('grant_type=client_credentials');
    expect(again.status).toBe(200);
    const wrong = await token(host.app).set('Authorization', basic('h', 'chosen by a persoN')).send('grant_type=client_credentials');
    expect(wrong.status).toBe(401);
    await host.oauth.close();
  });

  test('a generated secret is 256 bits and checks against its fast hash', async () => {
    const generated = generateClientSecret();
    expect(Buffer.from(generated.secret, 'base64url')).toHaveLength(32);
    expect(generated.hash).toMatch(/^sha256\$/);
    expect(generated.hash).not.toContain(generated.secret);
    const host = testApp({ clients: [{ client_id: 'g', client_secret: generated.hash, grant_types: ['client_credentials'], scope: 'read' }] });
    expect((await token(host.app).set('Authorization', basic('g', generated.secret)).send('grant_type=client_credentials')).status).toBe(200);
    expect((await token(host.app).set('Authorization', basic('g', generated.hash)).send('grant_type=client_credentials')).status).toBe(401);
    await host.oauth.close();
  });

  test('clients from an async lookup function authenticate, and must give hashed secrets', async () => {
    const generated = generateClientSecret();
    const seen: string[] = [];
    const host = testApp({
      clients: async (clientId) => {
        seen.push(clientId);
        if (clientId === 'db-client') return { client_id: 'db-client', client_secret: generated.hash, grant_types: ['client_credentials'], scope: 'read' };
        if (clientId === 'plaintext') return { client_id: 'plaintext', client_secret: 'oops', grant_types: ['client_credentials'], scope: 'read' };
        if (clientId === 'liar') return { client_id: 'db-client', client_secret: generated.hash, grant_types: ['client_credentials'], scope: 'read' };
        return undefined;
      },
    });
    expect((await token(host.app).set('Authorization', basic('db-client', generated.secret)).send('grant_type=client_credentials')).status).toBe(200);
    expect((await token(host.app).set('Authorization', basic('missing', 'x')).send('grant_type=client_credentials')).status).toBe(401);
    expect((await token(host.app).set('Authorization', basic('liar', generated.secret)).send('grant_type=client_credentials')).status).toBe(401);
    const plaintext = await token(host.app).set('Authorization', basic('plaintext', 'oops')).send('grant_type=client_credentials');
    expect(plaintext.status).toBe(500);
    expectOAuthErrorBody(plaintext.body, 'server_error');
    expect(seen).toEqual(['db-client', 'missing', 'liar', 'plaintext']);
    await host.oauth.close();
  });
});
