import type { Express } from 'express';
import request from 'supertest';
import type { OAuthServerOptions } from '../../lib/options';
import type { RegistrationOptions } from '../../lib/options/registration';
import type { Clock } from '../../lib/clock';
import type { Store } from '../../lib/stores/store';
import { flowOptions, type TestAppOptions } from './test-app';

/** The browser-flow app (flowOptions) with open registration of clients that may have `read` and `write`. */
export function registrationOptions(store: Store | ((clock: Clock) => Store), registration: RegistrationOptions = {}, options: Partial<OAuthServerOptions> = {}): TestAppOptions {
  return {
    ...flowOptions(store, options),
    before: (app) => app.set('trust proxy', 'loopback'),
    registration: { scopes: ['read', 'write'], ...registration },
  };
}

/** A confidential client credentials client, as a service registers itself. */
export const SERVICE_METADATA = { client_name: 'Reporting', grant_types: ['client_credentials'], scope: 'read', token_endpoint_auth_method: 'client_secret_basic' };

/** A public client with a loopback redirect URI, as a native app or an MCP client registers itself. */
export const NATIVE_METADATA = {
  client_name: 'Desktop app',
  application_type: 'native',
  grant_types: ['authorization_code', 'refresh_token'],
  redirect_uris: ['http://127.0.0.1/callback'],
  token_endpoint_auth_method: 'none',
  scope: 'read',
};

/** POST /oauth/register with a JSON body, from `from` (X-Forwarded-For, with trust proxy) and maybe a Bearer token. */
export function register(app: Express, body: unknown, options: { token?: string; from?: string } = {}) {
  const req = request(app).post('/oauth/register').set('Content-Type', 'application/json');
  if (options.token !== undefined) req.set('Authorization', `Bearer ${options.token}`);
  if (options.from !== undefined) req.set('X-Forwarded-For', options.from);
  return req.send(JSON.stringify(body));
}

export interface Registered {
  client_id: string;
  client_secret?: string;
  registration_access_token: string;
  registration_client_uri: string;
  [field: string]: unknown;
}

/** Registers, expecting 201; returns the client information response. */
export async function registered(app: Express, body: unknown): Promise<Registered> {
  const res = await register(app, body);
  if (res.status !== 201) throw new Error(`registration answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body as Registered;
}

/** The path of a client's configuration endpoint (RFC 7592) on the test app. */
export function configurationPath(client: Registered): string {
  return new URL(client.registration_client_uri).pathname;
}
