import express, { type Express } from 'express';
import request from 'supertest';
import { oauthServer, type OAuthServer } from '../../lib/server';
import type { Store } from '../../lib/stores/store';

export const CLIENT = { id: 'svc-test', secret: 'svc-test-secret' };

/**
 * The package mounted as a host app mounts it, for the end-to-end tests on a store: the token
 * endpoint under /oauth and `GET /api/hello`, which requires scope `read`.
 */
export function oauthApp(store: Store): { app: Express; oauth: OAuthServer } {
  const oauth = oauthServer({
    issuer: 'http://localhost/oauth',
    clients: [{ client_id: CLIENT.id, client_secret: CLIENT.secret, grant_types: ['client_credentials'], scope: 'read' }],
    store,
  });
  const app = express();
  app.use('/oauth', oauth);
  app.get('/api/hello', oauth.requireToken('read'), (req, res) => {
    res.json({ client_id: req.oauth?.clientId });
  });
  return { app, oauth };
}

/** RFC 6749 §4.4.2: a client credentials token request. */
export function requestToken(app: Express) {
  return request(app).post('/oauth/token').auth(CLIENT.id, CLIENT.secret).type('form').send({ grant_type: 'client_credentials' });
}

/** The access token of a successful token request; fails the test otherwise. */
export async function issueToken(app: Express): Promise<string> {
  const response = await requestToken(app);
  if (response.status !== 200) throw new Error(`token request answered ${response.status}: ${JSON.stringify(response.body)}`);
  return response.body.access_token as string;
}

export function callApi(app: Express, token: string) {
  return request(app).get('/api/hello').set('Authorization', `Bearer ${token}`);
}
