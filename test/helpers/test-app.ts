import { createHash, randomBytes } from 'node:crypto';
import express, { type Express } from 'express';
import request from 'supertest';
import { systemClock, type Clock } from '../../lib/clock';
import type { ClientMetadata } from '../../lib/clients/client';
import { hashClientSecretSync } from '../../lib/clients/secrets';
import { authorizationCode } from '../../lib/grants/authorization-code';
import { clientCredentials } from '../../lib/grants/client-credentials';
import { refreshToken } from '../../lib/grants/refresh-token';
import type { OAuthServerOptions } from '../../lib/options';
import type { AuthorizationOptions } from '../../lib/options/authorization';
import { oauthServer, type OAuthServer } from '../../lib/server';
import type { Store } from '../../lib/stores/store';

/** The default issuer: a server of client credentials clients. */
export const ISSUER = 'https://auth.example.test/oauth';

/** A confidential client for each method, with awkward but legal plaintext secrets. */
export const SERVICE: ClientMetadata = {
  client_id: 'svc',
  client_secret: 'svc-secret',
  grant_types: ['client_credentials'],
  scope: 'read write',
};
export const POSTER: ClientMetadata = {
  client_id: 'poster',
  client_secret: 'poster-secret',
  grant_types: ['client_credentials'],
  scope: 'read',
  token_endpoint_auth_method: 'client_secret_post',
};

/** The issuer of the browser-flow app (`flowOptions`). */
export const FLOW_ISSUER = 'https://as.example/oauth';

/** The browser-flow clients; secrets are hashed once here, not by every server the tests start. */
export const FLOW_CLIENTS: ClientMetadata[] = [
  {
    client_id: 'spa',
    client_name: 'Single <page> app',
    grant_types: ['authorization_code', 'refresh_token'],
    redirect_uris: ['https://spa.example/cb'],
    scope: 'read write',
    token_endpoint_auth_method: 'none',
  },
  {
    client_id: 'web',
    client_secret: hashClientSecretSync('web-secret'),
    grant_types: ['authorization_code', 'refresh_token'],
    redirect_uris: ['https://web.example/cb?tenant=1', 'https://web.example/other'],
    scope: 'read write admin',
  },
  {
    client_id: 'once',
    grant_types: ['authorization_code'],
    redirect_uris: ['https://once.example/cb'],
    scope: 'read',
    token_endpoint_auth_method: 'none',
  },
  {
    client_id: 'svc',
    client_secret: hashClientSecretSync('svc-secret'),
    grant_types: ['client_credentials'],
    redirect_uris: ['https://svc.example/cb'],
    scope: 'read',
  },
  { client_id: 'nowhere', grant_types: ['authorization_code'], scope: 'read', token_endpoint_auth_method: 'none' },
];

export interface TestAppOptions extends Partial<Omit<OAuthServerOptions, 'store'>> {
  /** The store, or a maker of it given the app's clock. */
  store?: Store | ((clock: Clock) => Store);
  /** Starts a movable clock here (seconds since the epoch) that `advance` moves; overrides `clock`. */
  now?: number;
  /** Runs on the app before the router is mounted (e.g. global body parsers, `trust proxy`). */
  before?: (app: Express) => void;
}

export interface TestApp {
  app: Express;
  oauth: OAuthServer;
  /** Moves the app's clock; needs `now`. */
  advance(seconds: number): void;
}

/**
 * An Express app with the server mounted at /oauth, as a host app mounts it, and routes under
 * /api echoing `req.oauth`: GET and POST /api/read and GET /api/me (scope read), GET
 * /api/read-write (read and write), GET /api/any (any token). Defaults: `ISSUER`, SERVICE and POSTER.
 */
export function testApp(options: TestAppOptions = {}): TestApp {
  const { store, now: start, before, ...rest } = options;
  let now = start;
  const clock: Clock | undefined = start === undefined ? rest.clock : () => now as number;
  const oauth = oauthServer({
    issuer: ISSUER,
    clients: [SERVICE, POSTER],
    ...rest,
    ...(clock === undefined ? {} : { clock }),
    ...(store === undefined ? {} : { store: typeof store === 'function' ? store(clock ?? systemClock) : store }),
  });
  const app = express();
  before?.(app);
  app.use('/oauth', oauth);
  const echo: express.RequestHandler = (req, res) => {
    res.json(req.oauth);
  };
  app.get('/api/read', oauth.requireToken('read'), echo);
  app.get('/api/read-write', oauth.requireToken(['read', 'write']), echo);
  app.get('/api/any', oauth.requireToken(), echo);
  app.post('/api/read', oauth.requireToken('read'), echo);
  app.get('/api/me', oauth.requireToken('read'), echo);
  const advance = (seconds: number) => {
    if (now === undefined) throw new Error('advance needs a movable clock: pass `now`');
    now += seconds;
  };
  return { app, oauth, advance };
}

/**
 * Options of the browser-flow app: FLOW_ISSUER, FLOW_CLIENTS, client credentials, code and refresh
 * grants, a movable clock, the signed-in user named by the `x-user` header and anonymous users sent
 * to /login. `options.authorization` is laid over that sign-in.
 */
export function flowOptions(store: Store | ((clock: Clock) => Store), options: Partial<OAuthServerOptions> = {}): TestAppOptions {
  const { authorization, ...rest } = options;
  const signIn: AuthorizationOptions = {
    getUser: (req) => req.header('x-user'),
    login: (_req, res, returnTo) => res.redirect(`/login?returnTo=${encodeURIComponent(returnTo)}`),
  };
  return {
    issuer: FLOW_ISSUER,
    clients: FLOW_CLIENTS,
    grants: [clientCredentials(), authorizationCode(), refreshToken()],
    store,
    now: 1_800_000_000,
    authorization: { ...signIn, ...authorization },
    ...rest,
  };
}

export function basic(id: string, secret: string, encode = true): string {
  const form = (value: string) => (encode ? encodeURIComponent(value).replace(/%20/g, '+') : value);
  return 'Basic ' + Buffer.from(`${form(id)}:${form(secret)}`, 'utf8').toString('base64');
}

/** RFC 6749 §5.2: error and error_description use %x20-21 / %x23-5B / %x5D-7E only. */
export function expectOAuthErrorBody(body: unknown, code: string): void {
  expect(body).toEqual({ error: code, error_description: expect.stringMatching(/^[\x20\x21\x23-\x5B\x5D-\x7E]+$/) });
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export type Query = Record<string, string>;

/** A request of the spa client with a fresh PKCE pair, with `overrides` (undefined removes one). */
export function spaRequest(overrides: Record<string, string | undefined> = {}): { query: Query; verifier: string } {
  const { verifier, challenge } = pkcePair();
  const query: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: 'spa',
    redirect_uri: 'https://spa.example/cb',
    scope: 'read write',
    state: 'st-123',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...overrides,
  };
  return { query: Object.fromEntries(Object.entries(query).filter((entry): entry is [string, string] => entry[1] !== undefined)), verifier };
}

export interface ConsentForm {
  transaction_id: string;
  csrf_token: string;
  html: string;
}

/** The default consent page: it names the client and the scopes, has Allow and Deny, and cannot be framed. */
export function expectConsentPage(res: request.Response, clientName: string, scopes: string[]): void {
  expect(res.status).toBe(200);
  expect(res.text).toContain(clientName);
  expect(res.text).toContain(`<ul>${scopes.map((scope) => `<li>${scope}</li>`).join('')}</ul>`);
  expect(res.text).toContain('<button type="submit" name="decision" value="allow">');
  expect(res.text).toContain('<button type="submit" name="decision" value="deny">');
  expect(res.headers['x-frame-options']).toBe('DENY');
  expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(res.headers['cache-control']).toBe('no-store');
}

/** GET /oauth/authorize as `user`, expecting the default consent page; returns its hidden fields. */
export async function openConsent(app: Express, query: Query, user = 'alice'): Promise<ConsentForm> {
  const res = await request(app).get('/oauth/authorize').query(query).set('x-user', user);
  expect(res.status).toBe(200);
  const field = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(res.text)?.[1] as string;
  return { transaction_id: field('transaction_id'), csrf_token: field('csrf_token'), html: res.text };
}

export function decide(app: Express, form: ConsentForm, decision: string, user = 'alice', extra = '') {
  return request(app)
    .post('/oauth/authorize/decision')
    .set('x-user', user)
    .type('form')
    .send(`transaction_id=${form.transaction_id}&csrf_token=${form.csrf_token}&decision=${decision}${extra}`);
}

/** The parameters of the authorization response a Location header carries. */
export function responseParams(location: string): URLSearchParams {
  return new URL(location).searchParams;
}

/** The whole flow up to the code: consent as alice, allow. */
export async function authorize(app: Express, query: Query, extra = ''): Promise<string> {
  const res = await decide(app, await openConsent(app, query), 'allow', 'alice', extra);
  expect(res.status).toBe(303);
  return responseParams(res.headers.location).get('code') as string;
}

/** POST /oauth/token with a form body; the client authenticates with Basic when `credentials` are given. */
export function tokenRequest(app: Express, form: Record<string, string>, credentials?: [string, string]) {
  const req = request(app).post('/oauth/token').type('form');
  if (credentials !== undefined) req.auth(credentials[0], credentials[1]);
  return req.send(form);
}

/** Exchanges a spa code. */
export function exchange(app: Express, code: string, verifier: string, extra: Record<string, string> = {}) {
  return tokenRequest(app, { grant_type: 'authorization_code', client_id: 'spa', code, redirect_uri: 'https://spa.example/cb', code_verifier: verifier, ...extra });
}

/** RFC 6749 §4.4.2: a client credentials token request of the svc client. */
export function serviceTokenRequest(app: Express) {
  return tokenRequest(app, { grant_type: 'client_credentials' }, ['svc', 'svc-secret']);
}

/** The access token of a successful svc token request; fails the test otherwise. */
export async function issueServiceToken(app: Express): Promise<string> {
  const res = await serviceTokenRequest(app);
  if (res.status !== 200) throw new Error(`token request answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.access_token as string;
}

/** GET /api/me (scope read) with a Bearer token. */
export function callApi(app: Express, token: string) {
  return request(app).get('/api/me').set('Authorization', `Bearer ${token}`);
}

/** Tokens of a fresh spa grant: alice allows, then the code is exchanged with its PKCE verifier. */
export async function spaGrant(app: Express): Promise<{ access_token: string; refresh_token: string }> {
  const { query, verifier } = spaRequest();
  const res = await exchange(app, await authorize(app, query), verifier);
  if (res.status !== 200) throw new Error(`code exchange answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** RFC 6749 §6: the spa client refreshes. */
export function refreshRequest(app: Express, refreshToken: string) {
  return tokenRequest(app, { grant_type: 'refresh_token', client_id: 'spa', refresh_token: refreshToken });
}
