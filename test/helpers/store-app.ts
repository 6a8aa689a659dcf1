import type { Express } from 'express';
import request from 'supertest';
import type { Store } from '../../lib/stores/store';
import { basic, buildApp, type TestApp } from './app';

/** The package mounted as a host app mounts it, on a given store, for the store end-to-end tests. */
export function oauthApp(store: Store): TestApp {
  return buildApp({ store });
}

/** RFC 6749 §4.4.2: a client credentials token request. */
export function requestToken(app: Express) {
  return request(app).post('/oauth/token').set('Authorization', basic('svc', 'svc-secret')).type('form').send({ grant_type: 'client_credentials' });
}

/** The access token of a successful token request; fails the test otherwise. */
export async function issueToken(app: Express): Promise<string> {
  const response = await requestToken(app);
  if (response.status !== 200) throw new Error(`token request answered ${response.status}: ${JSON.stringify(response.body)}`);
  return response.body.access_token as string;
}

/** A route that requires scope read. */
export function callApi(app: Express, token: string) {
  return request(app).get('/api/read').set('Authorization', `Bearer ${token}`);
}
