import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { exampleAppsOnOneRedis, type RunningExampleApp } from '../helpers/example-app';
import { withRedis } from '../helpers/redis-server';
import { pkcePair } from '../helpers/test-app';
import { signInAndAllow, signInByFetch } from '../helpers/example-login';

/*
 * Issue 5: the store operations that must be atomic are atomic in Redis, seen from two
 * example-app processes A and B that share one redis-server: of many requests with one code or
 * one refresh token, sent to both at the same moment, exactly one takes it and gets tokens; the
 * others are refused (a code reuse revokes the grant on both instances; a refresh retried within
 * the reuse grace revokes nothing).
 */

const REDIRECT_URI = 'http://127.0.0.1:8080/callback';
const FORM = 'application/x-www-form-urlencoded';
/** Requests per race, alternating between A and B. */
const N = 10;

// The signed session cookie is accepted by both instances, so a consent shown by A can be decided on B.
const running = exampleAppsOnOneRedis({ SESSION_SECRET: randomBytes(32).toString('base64url') });

interface Answer {
  status: number;
  body: { error?: string; error_description?: string; access_token?: string; refresh_token?: string };
}

interface Post {
  instance: 'A' | 'B';
  path: string;
  form: Record<string, string>;
}

const instance = (name: 'A' | 'B'): RunningExampleApp => running.apps[name === 'A' ? 0 : 1];

/** `count` copies of one POST, to A, B, A, B, … */
function alternating(count: number, path: string, form: Record<string, string>): Post[] {
  return Array.from({ length: count }, (_, index) => ({ instance: index % 2 === 0 ? 'A' : 'B', path, form }));
}

/**
 * Sends every POST on its own connection with its last byte held back, then all the last bytes
 * at once: no instance can answer (or even parse) one request before the others have reached it.
 */
async function postTogether(posts: Post[]): Promise<Answer[]> {
  const held = await Promise.all(
    posts.map(async (post) => {
      const body = Buffer.from(new URLSearchParams(post.form).toString());
      const req = http.request(`${instance(post.instance).url}${post.path}`, {
        method: 'POST',
        agent: false,
        headers: { 'content-type': FORM, 'content-length': body.length },
      });
      const answer = new Promise<Answer>((resolve, reject) => {
        req.once('error', reject);
        req.once('response', (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          // RFC 7009 §2.2: a revocation answers 200 with no body.
          res.once('end', () => resolve({ status: res.statusCode as number, body: text === '' ? {} : JSON.parse(text) }));
        });
      });
      await new Promise<void>((resolve, reject) => req.write(body.subarray(0, -1), (error) => (error ? reject(error) : resolve())));
      return { release: () => req.end(body.subarray(-1)), answer };
    }),
  );
  for (const { release } of held) release();
  return Promise.all(held.map(({ answer }) => answer));
}

function post(app: RunningExampleApp, path: string, form: Record<string, string>, cookie?: string): Promise<Response> {
  return fetch(`${app.url}${path}`, { method: 'POST', redirect: 'manual', headers: { 'content-type': FORM, ...(cookie && { cookie }) }, body: new URLSearchParams(form) });
}

/**
 * The demo user authorizes the spa client as a browser would, without one: /oauth/authorize
 * and the login form on `signInAt`, the consent decision on `decideAt`. Returns the code the
 * client receives at its redirect_uri, and its PKCE verifier.
 */
async function authorize(signInAt: RunningExampleApp, decideAt: RunningExampleApp): Promise<{ code: string; verifier: string }> {
  const { verifier, challenge } = pkcePair();
  const state = randomBytes(8).toString('base64url');
  const query = { response_type: 'code', client_id: 'spa', redirect_uri: REDIRECT_URI, scope: 'read', state, code_challenge: challenge, code_challenge_method: 'S256' };
  const callback = await signInAndAllow(`${signInAt.url}/oauth/authorize?${new URLSearchParams(query)}`, { decideAt: decideAt.url });
  expect(`${callback.origin}${callback.pathname}`).toBe(REDIRECT_URI);
  expect(callback.searchParams.get('state')).toBe(state);
  return { code: callback.searchParams.get('code') as string, verifier };
}

function codeExchange(code: string, verifier: string): Record<string, string> {
  return { grant_type: 'authorization_code', client_id: 'spa', code, redirect_uri: REDIRECT_URI, code_verifier: verifier };
}

function refresh(refreshToken: string): Record<string, string> {
  return { grant_type: 'refresh_token', client_id: 'spa', refresh_token: refreshToken };
}

/** Tokens of a fresh grant: authorized through A and B, the code exchanged on A. */
async function freshGrant(): Promise<{ access_token: string; refresh_token: string }> {
  const [a, b] = running.apps;
  const { code, verifier } = await authorize(a, b);
  const res = await post(a, '/oauth/token', codeExchange(code, verifier));
  expect(res.status).toBe(200);
  return (await res.json()) as { access_token: string; refresh_token: string };
}

const hello = (app: RunningExampleApp, token: string) => fetch(`${app.url}/api/hello`, { headers: { authorization: `Bearer ${token}` } });

/** Neither instance accepts the access token, nor a refresh with the refresh token. */
async function expectRefusedByBoth(tokens: { access_token?: string; refresh_token?: string }): Promise<void> {
  for (const app of running.apps) {
    const api = await hello(app, tokens.access_token as string);
    expect({ instance: app.url, status: api.status, challenge: api.headers.get('www-authenticate') }).toEqual({
      instance: app.url,
      status: 401,
      challenge: expect.stringMatching(/error="invalid_token"/),
    });
    const refreshed = await post(app, '/oauth/token', refresh(tokens.refresh_token as string));
    expect({ instance: app.url, status: refreshed.status, body: await refreshed.json() }).toMatchObject({ instance: app.url, status: 400, body: { error: 'invalid_grant' } });
  }
}

/** Keys of access and refresh tokens issued under grants, in the store (redis.ts: `{<grantId>}:at:…`, `{<grantId>}:rt:…`). */
function grantTokenKeys(): Promise<string[]> {
  return withRedis(running.redis.port, async (client) => (await client.keys('*}:[ar]t:*')).sort());
}

const outcome = (answer: Answer) => (answer.status === 200 ? '200 tokens' : `${answer.status} ${answer.body.error}: ${answer.body.error_description}`);

test(`of ${N} exchanges of one code released together on A and B, exactly one gets tokens; the others are reuses, which revoke the grant, so no token of it survives (RFC 6749 §4.1.2)`, async () => {
  const [a, b] = running.apps;
  const { code, verifier } = await authorize(a, b);
  const keysBefore = await grantTokenKeys();

  const answers = await postTogether(alternating(N, '/oauth/token', codeExchange(code, verifier)));

  // The store takes the code and saves its tokens in one step: the request that took it has them.
  const winners = answers.filter((answer) => answer.status === 200);
  expect(winners.map(outcome)).toEqual(['200 tokens']);
  expect(answers.filter((answer) => answer.status !== 200).map(outcome)).toEqual(Array(N - 1).fill(expect.stringMatching(/^400 invalid_grant: The authorization code is .*already used/)));
  await expectRefusedByBoth(winners[0].body);
  expect(await grantTokenKeys()).toEqual(keysBefore);
});

test(`of ${N} refreshes with one refresh token released together on A and B, exactly one rotates it; the others, by the same client within the reuse grace, are refused and revoke nothing (RFC 9700 §4.14.2)`, async () => {
  const granted = await freshGrant();

  const answers = await postTogether(alternating(N, '/oauth/token', refresh(granted.refresh_token)));

  const winners = answers.filter((answer) => answer.status === 200);
  expect(winners).toHaveLength(1);
  expect(answers.filter((answer) => answer.status !== 200).map((answer) => `${answer.status} ${answer.body.error}`)).toEqual(Array(N - 1).fill('400 invalid_grant'));
  const [winner] = winners;
  expect(winner.body).toMatchObject({ access_token: expect.any(String), refresh_token: expect.any(String) });
  for (const app of running.apps) expect((await hello(app, winner.body.access_token as string)).status).toBe(200);
  const next = await post(running.apps[1], '/oauth/token', refresh(winner.body.refresh_token as string));
  expect(next.status).toBe(200);
});

test('revoking the refresh token on A while B serves the API and a refresh of the grant revokes every token of the grant on both, also those the refresh got', async () => {
  const keysBefore = await grantTokenKeys();
  const granted = await freshGrant();
  const [, b] = running.apps;

  // B answers API calls with the access token, one after another, until the race is over.
  const served: number[] = [];
  let racing = true;
  const serving = (async () => {
    while (racing) served.push((await hello(b, granted.access_token)).status);
  })();
  let answers: Answer[];
  try {
    answers = await postTogether([
      { instance: 'A', path: '/oauth/revoke', form: { client_id: 'spa', token: granted.refresh_token } },
      { instance: 'B', path: '/oauth/token', form: refresh(granted.refresh_token) },
    ]);
  } finally {
    racing = false;
    await serving;
  }
  const [revoked, refreshed] = answers;

  // RFC 7009 §2.2
  expect(revoked.status).toBe(200);
  // Accepted until the revocation, refused from then on: never accepted again once refused.
  expect(served.map((status) => `${status};`).join('')).toMatch(/^(200;)*(401;)*$/);
  // The refresh comes before the revocation (and gets tokens, revoked with the grant) or after it (and is refused).
  expect(outcome(refreshed)).toMatch(/^200 tokens$|^400 invalid_grant:/);
  await expectRefusedByBoth(granted);
  if (refreshed.status === 200) await expectRefusedByBoth(refreshed.body);
  expect(await grantTokenKeys()).toEqual(keysBefore);
});

test(`of ${N} polls of one approved device code released together on A and B, exactly one gets tokens; the others are told it was used (RFC 8628 §3.5)`, async () => {
  const [a, b] = running.apps;
  const started = await post(a, '/oauth/device_authorization', { client_id: 'cli', scope: 'read' });
  expect(started.status).toBe(200);
  const { device_code: deviceCode, user_code: userCode } = (await started.json()) as { device_code: string; user_code: string };

  // The demo user enters the code on B and allows it on A.
  const signedIn = await signInByFetch(b.url, { username: 'demo', password: 'demo-password-change-me', returnTo: encodeURIComponent('/') });
  const cookie = signedIn.headers.getSetCookie()[0].split(';')[0];
  const consent = await fetch(`${b.url}/oauth/device/verify?${new URLSearchParams({ user_code: userCode })}`, { headers: { cookie } });
  expect(consent.status).toBe(200);
  const page = await consent.text();
  const field = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(page)?.[1] as string;
  const action = /<form method="post" action="([^"]+)"/.exec(page)?.[1] as string;
  const decided = await post(a, action, { transaction_id: field('transaction_id'), csrf_token: field('csrf_token'), decision: 'allow' }, cookie);
  expect(decided.status).toBe(200);

  const answers = await postTogether(alternating(N, '/oauth/token', { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: 'cli', device_code: deviceCode }));

  const winners = answers.filter((answer) => answer.status === 200);
  expect(winners).toHaveLength(1);
  expect(answers.filter((answer) => answer.status !== 200).map((answer) => `${answer.status} ${answer.body.error}`)).toEqual(Array(N - 1).fill('400 invalid_grant'));
  for (const app of running.apps) expect((await hello(app, winners[0].body.access_token as string)).status).toBe(200);
});

