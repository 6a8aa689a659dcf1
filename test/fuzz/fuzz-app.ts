import type { Server } from 'node:http';
import express from 'express';
import { oauthServer, type OAuthServer } from '../../lib/server';
import { generateClientSecret } from '../../lib/clients/secrets';
import type { OAuthServerOptions } from '../../lib/options';
import { TemporarilyUnavailableError } from '../../lib/errors';
import { memoryStore } from '../../lib/stores/memory/store';
import type { AttemptStore, RegisteredClientStore, SigningKeyStore, Store } from '../../lib/stores/store';
import { ISSUER } from '../helpers/test-app';
import { deviceAuthorization, DEVICE_CODE_GRANT_TYPE } from '../../lib/grants/device-code';
import { send } from './http';
import { AUTHORIZE_CLIENT, FUZZ_REDIRECT_URI, LOGIN_PATH } from './authorize-target';
import { FUZZ_RESOURCE } from './targets';
import { clientCredentials } from '../../lib/grants/client-credentials';
import { authorizationCode } from '../../lib/grants/authorization-code';
import { jwtBearer, JWT_BEARER_GRANT_TYPE } from '../../lib/grants/jwt-bearer';
import { exportJWK, generateKeyPair } from 'jose';
import { hashInitialAccessToken } from '../../lib/registration/initial-access-token';
import { generateTokenValue } from '../../lib/tokens/token-value';

/** Credentials that are valid on the fuzz app; the generators use them to make requests that must succeed. */
export interface ValidCredentials {
  basic: { id: string; secret: string };
  post: { id: string; secret: string };
  /** An access token with scope "read write", issued at start. */
  token: string;
  /** A JWT access token for FUZZ_RESOURCE, scope "read write". */
  jwt: string;
  /** The initial access token that registration (RFC 7591 §3) needs on the fuzz app. */
  initialAccessToken: string;
  /** A client registered at start: its configuration endpoint's path and registration access token (RFC 7592). */
  registered: { path: string; token: string };
}

export interface FuzzApp {
  port: number;
  valid: ValidCredentials;
  /** Everything handed to onError: with a healthy store, any entry is a bug. */
  unexpectedErrors: unknown[];
  close(): Promise<void>;
}

/**
 * The server under fuzzing, on a loopback port, with every optional input path turned on
 * (token in body and query) so the fuzzer reaches all of them.
 */
export async function startFuzzApp(options: Partial<OAuthServerOptions> = {}): Promise<FuzzApp> {
  const basicClient = generateClientSecret();
  const postClient = generateClientSecret();
  const initialAccessToken = generateTokenValue();
  // A key whose private half nobody keeps: the private_key_jwt client and the trusted assertion
  // issuer, reached by the fuzzer only with assertions that must all be refused.
  const publicJwk = { ...(await exportJWK((await generateKeyPair('ES256')).publicKey)), kid: 'fuzz-key', alg: 'ES256' };
  const unexpectedErrors: unknown[] = [];
  const oauth: OAuthServer = oauthServer({
    issuer: ISSUER,
    clients: [
      { client_id: 'svc', client_secret: basicClient.hash, grant_types: ['client_credentials', DEVICE_CODE_GRANT_TYPE, 'authorization_code', JWT_BEARER_GRANT_TYPE], redirect_uris: [FUZZ_REDIRECT_URI], scope: 'read write' },
      {
        client_id: 'poster',
        client_secret: postClient.hash,
        grant_types: ['client_credentials', DEVICE_CODE_GRANT_TYPE, 'authorization_code'],
        redirect_uris: [FUZZ_REDIRECT_URI],
        scope: 'read',
        token_endpoint_auth_method: 'client_secret_post',
      },
      // A person-chosen secret in plaintext: guessable, so checked under the brute-force limits.
      { client_id: 'human', client_secret: 'correct horse battery staple', grant_types: ['client_credentials'], scope: 'read' },
      { client_id: 'pub', grant_types: ['client_credentials'], scope: 'read' },
      { client_id: 'keyed', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [publicJwk] }, grant_types: ['client_credentials', JWT_BEARER_GRANT_TYPE], scope: 'read' },
      {
        client_id: AUTHORIZE_CLIENT.id,
        grant_types: ['authorization_code'],
        redirect_uris: [AUTHORIZE_CLIENT.redirectUri],
        scope: AUTHORIZE_CLIENT.scope,
        token_endpoint_auth_method: 'none',
      },
    ],
    // Quotas so high they never refuse (the one fuzz user and address make every request); they
    // are tested in test/device/device-quota.test.ts and test/endpoints/authorize-bounds.test.ts.
    grants: [
      clientCredentials(),
      authorizationCode(),
      deviceAuthorization({ verificationUri: 'https://as.example/device', maxPendingPerClient: 1e9, maxPendingPerAddress: 1e9 }),
      jwtBearer({ trustedIssuers: [{ issuer: 'https://idp.example', jwks: { keys: [publicJwk] } }] }),
    ],
    authorization: {
      getUser: (req) => req.header('x-user'),
      login: (_req, res, returnTo) => res.redirect(`${LOGIN_PATH}?returnTo=${encodeURIComponent(returnTo)}`),
      maxPendingConsents: 1e9,
      maxPushedRequestsPerClient: 1e9,
    },
    bearerMethods: { body: true, query: true },
    resources: [{ uri: FUZZ_RESOURCE, scopes: ['read', 'write'] }],
    // Gated, so that a registration without the token is a bypass; no limit, as for the quotas above.
    registration: { initialAccessTokens: [hashInitialAccessToken(initialAccessToken)], scopes: ['read'], perAddress: false, maxClients: 1e9 },
    // Limits so high they never block (the valid clients must keep working), so that every
    // secret check still goes through the counters.
    bruteForce: { perPair: { points: 1e9 }, perClient: { points: 1e9 }, perAddress: { points: 1e9 } },
    onError: (error) => unexpectedErrors.push(error),
    ...options,
  });

  const app = express();
  app.use('/oauth', oauth);
  const echo: express.RequestHandler = (req, res) => {
    res.json(req.oauth);
  };
  app.all('/api/read', oauth.requireToken('read'), echo);
  app.all('/api/any', oauth.requireToken(), echo);
  app.all('/api/resource', oauth.resource(FUZZ_RESOURCE).requireToken('read'), echo);

  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const port = (server.address() as { port: number }).port;

  const issue = async (body: string): Promise<string> => {
    const issued = await send(port, {
      method: 'POST',
      path: '/oauth/token',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: 'Basic ' + Buffer.from(`svc:${basicClient.secret}`).toString('base64'),
      },
      body: Buffer.from(body),
    });
    const token = (JSON.parse(issued?.text ?? '{}') as { access_token?: string }).access_token;
    if (token === undefined) throw new Error(`the fuzz app did not issue its start-up token: ${issued?.text}`);
    return token;
  };
  const token = await issue('grant_type=client_credentials');
  const jwt = await issue(`grant_type=client_credentials&resource=${encodeURIComponent(FUZZ_RESOURCE)}`);

  const registration = await send(port, {
    method: 'POST',
    path: '/oauth/register',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${initialAccessToken}` },
    body: Buffer.from(JSON.stringify({ grant_types: ['client_credentials'] })),
  });
  const registered = JSON.parse(registration?.text ?? '{}') as { registration_client_uri?: string; registration_access_token?: string };
  if (registered.registration_client_uri === undefined) throw new Error(`the fuzz app did not register its start-up client: ${registration?.text}`);

  return {
    port,
    valid: {
      basic: { id: 'svc', secret: basicClient.secret },
      post: { id: 'poster', secret: postClient.secret },
      token,
      jwt,
      initialAccessToken,
      registered: { path: new URL(registered.registration_client_uri).pathname, token: registered.registration_access_token as string },
    },
    unexpectedErrors,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await oauth.close();
    },
  };
}

/** A memory store that can be taken down: every operation then rejects as an unreachable Redis would. */
export function breakableStore(): { store: Store; takeDown(): void } {
  const healthy = memoryStore();
  let down = false;
  const guard = <A extends unknown[], R>(operation: (...args: A) => Promise<R>) => (...args: A): Promise<R> =>
    down ? Promise.reject(new TemporarilyUnavailableError('The token store is unreachable.')) : operation(...args);
  const inner = healthy.attempts as AttemptStore;
  const attempts: AttemptStore = { read: guard(inner.read), countFailure: guard(inner.countFailure), markKnown: guard(inner.markKnown) };
  const keys = healthy.signingKeys as SigningKeyStore;
  const signingKeys: SigningKeyStore = { inProcess: keys.inProcess, read: guard(keys.read), replace: guard(keys.replace) };
  const clients = healthy.registeredClients as RegisteredClientStore;
  const registeredClients: RegisteredClientStore = {
    createClient: guard(clients.createClient),
    findClient: guard(clients.findClient),
    replaceClient: guard(clients.replaceClient),
    deleteClient: guard(clients.deleteClient),
  };
  // Every operation is guarded, those of the grants that land later included.
  const store = Object.fromEntries(
    Object.entries(healthy).map(([name, operation]) => [
      name,
      name === 'close' ? operation : name === 'attempts' ? attempts : name === 'signingKeys' ? signingKeys : name === 'registeredClients' ? registeredClients : guard(operation as (...args: unknown[]) => Promise<unknown>),
    ]),
  ) as unknown as Store;
  return { store, takeDown: () => (down = true) };
}
