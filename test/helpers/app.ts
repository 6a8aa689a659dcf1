import express, { type Express } from 'express';
import { oauthServer, type OAuthServer } from '../../lib/server';
import type { OAuthServerOptions } from '../../lib/options';
import type { ClientMetadata } from '../../lib/clients/client';

export const ISSUER = 'https://auth.example.test/oauth';

/** A confidential client for each method, and one public client, with awkward but legal credentials. */
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

export interface TestApp {
  app: Express;
  oauth: OAuthServer;
}

/**
 * An Express app with the server mounted at /oauth and protected routes under /api.
 * `before` runs on the app before the router is mounted (e.g. global body parsers).
 */
export function buildApp(options: Partial<OAuthServerOptions> = {}, before?: (app: Express) => void): TestApp {
  const oauth = oauthServer({ issuer: ISSUER, clients: [SERVICE, POSTER], ...options });
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
  return { app, oauth };
}

export function basic(id: string, secret: string, encode = true): string {
  const form = (value: string) => (encode ? encodeURIComponent(value).replace(/%20/g, '+') : value);
  return 'Basic ' + Buffer.from(`${form(id)}:${form(secret)}`, 'utf8').toString('base64');
}

/** RFC 6749 §5.2: error and error_description use %x20-21 / %x23-5B / %x5D-7E only. */
export function expectOAuthErrorBody(body: unknown, code: string): void {
  expect(body).toEqual({ error: code, error_description: expect.stringMatching(/^[\x20\x21\x23-\x5B\x5D-\x7E]+$/) });
}
