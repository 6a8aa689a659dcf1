import request from 'supertest';
import type { ClientAuthFailedEvent } from '../../lib/client-auth/authenticate';
import type { Clock } from '../../lib/clock';
import type { ClientIdMetadataDocumentOptions } from '../../lib/options/client-id-metadata';
import { startDocumentServer, type DocumentServer } from '../helpers/document-server';
import { STORE_KINDS, useStores } from '../helpers/stores';
import { assertionClaims, assertionForm, assertionSigner } from '../helpers/assertions';
import { FLOW_ISSUER, authorize, callApi, expectOAuthErrorBody, flowOptions, openConsent, pkcePair, testApp, tokenRequest, type TestApp } from '../helpers/test-app';

const stores = useStores();
const REDIRECT_URI = 'https://agent.example/cb';

let documents: DocumentServer;
beforeAll(async () => {
  documents = await startDocumentServer();
});
afterAll(() => documents.close());

/** A fresh path on the document server per test: no test sees another's cached document. */
let pathCount = 0;
const freshPath = () => `/clients/${++pathCount}.json`;

/** A client's metadata document for `clientId`, with `extra` fields over the defaults. */
const documentFor = (clientId: string, extra: Record<string, unknown> = {}) => ({
  client_id: clientId,
  client_name: 'Example <Agent>',
  redirect_uris: [REDIRECT_URI],
  grant_types: ['authorization_code', 'refresh_token'],
  token_endpoint_auth_method: 'none',
  scope: 'read write',
  // Fields this server does not know are ignored (RFC 7591 §2).
  software_statement_of_something_new: { any: 'thing' },
  ...extra,
});

/** A document served at a fresh path: its client_id (the URL) and path. */
function servedClient(extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): { clientId: string; path: string } {
  const path = freshPath();
  const clientId = `${documents.origin}${path}`;
  documents.serve(path, { body: documentFor(clientId, extra), headers });
  return { clientId, path };
}

function codeRequest(clientId: string) {
  const { verifier, challenge } = pkcePair();
  const query = { response_type: 'code', client_id: clientId, redirect_uri: REDIRECT_URI, scope: 'read', state: 'st-1', code_challenge: challenge, code_challenge_method: 'S256' };
  return { query, verifier };
}

describe.each(STORE_KINDS)('Client ID Metadata Documents (%s store)', (kind) => {
  const makeStore = (clock: Clock) => stores(kind, clock);
  let server: TestApp;
  let failures: ClientAuthFailedEvent[];
  // Every app a test starts, closed after it.
  let started: TestApp[] = [];
  const startApp = (options: Parameters<typeof flowOptions>[1]) => {
    server = testApp(flowOptions(makeStore, options));
    started.push(server);
  };
  const start = (options: ClientIdMetadataDocumentOptions = {}) => {
    failures = [];
    startApp({
      clientIdMetadataDocuments: { allowHttpLoopback: true, scopes: ['read'], fetchTimeoutMs: 500, ...options },
      onClientAuthFailed: (event) => failures.push(event),
    });
  };
  beforeEach(() => start());
  afterEach(async () => {
    await Promise.all(started.map((app) => app.oauth.close()));
    started = [];
  });

  /** GET /authorize as alice, expecting the error page (never a redirect); returns its text. */
  async function errorPage(clientId: string): Promise<string> {
    const res = await request(server.app).get('/oauth/authorize').query(codeRequest(clientId).query).set('x-user', 'alice');
    expect(res.status).toBe(400);
    expect(res.headers.location).toBeUndefined();
    expect(res.type).toBe('text/html');
    return res.text;
  }

  test('the metadata says client_id_metadata_document_supported', async () => {
    const { body } = await request(server.app).get('/oauth/.well-known/oauth-authorization-server');
    expect(body.client_id_metadata_document_supported).toBe(true);
  });

  test('a client known by its document: consent shows the host beside the claimed name, then code, token with PKCE, refresh, API; fetched once', async () => {
    const { clientId, path } = servedClient();
    const { query, verifier } = codeRequest(clientId);

    const consent = await openConsent(server.app, query);
    expect(consent.html).toContain(`<strong>127.0.0.1:${documents.port}</strong>`);
    // The document's name is its claim, escaped, and said to be so.
    expect(consent.html).toContain('calls itself &#8220;Example &#60;Agent&#62;&#8221; (its own claim, not verified)');
    // The document asked for read and write; such clients may have read only.
    expect(consent.html).toContain('<ul><li>read</li></ul>');

    const code = await authorize(server.app, query);
    const token = await tokenRequest(server.app, { grant_type: 'authorization_code', client_id: clientId, code, redirect_uri: REDIRECT_URI, code_verifier: verifier });
    expect(token.status).toBe(200);
    expect(token.body).toMatchObject({ token_type: 'Bearer', scope: 'read', refresh_token: expect.any(String) });

    const api = await callApi(server.app, token.body.access_token);
    expect(api.status).toBe(200);
    expect(api.body).toMatchObject({ clientId, sub: 'alice', scope: ['read'] });

    const refreshed = await tokenRequest(server.app, { grant_type: 'refresh_token', client_id: clientId, refresh_token: token.body.refresh_token });
    expect(refreshed.status).toBe(200);
    expect(documents.requests(path)).toBe(1);
  });

  test('a document client with private_key_jwt and its public jwks authenticates at the token endpoint with an assertion (RFC 7523 §2.2), and not without one', async () => {
    const signer = await assertionSigner('ES256', 'doc-key');
    const { clientId } = servedClient({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [signer.publicJwk] } });
    const { query, verifier } = codeRequest(clientId);
    const code = await authorize(server.app, query);
    const exchange = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier };
    // Naming itself only, as a public client would: refused, the document says private_key_jwt.
    expect((await tokenRequest(server.app, { ...exchange, client_id: clientId })).status).toBe(401);
    const assertion = await signer.sign(assertionClaims(clientId, FLOW_ISSUER, 1_800_000_000));
    const token = await tokenRequest(server.app, { ...exchange, ...assertionForm(assertion) });
    expect(token.status).toBe(200);
    expect(token.body.scope).toBe('read');
  });

  test('the code goes only with PKCE: a public document client must send a code_challenge', async () => {
    const { clientId } = servedClient();
    const query: Record<string, string> = codeRequest(clientId).query;
    delete query.code_challenge;
    delete query.code_challenge_method;
    const res = await request(server.app).get('/oauth/authorize').query(query).set('x-user', 'alice');
    expect(res.status).toBe(302);
    expect(new URL(res.headers.location).searchParams.get('error')).toBe('invalid_request');
  });

  describe('a document that cannot be used is an error page at /authorize, never a redirect, and invalid_client at /token', () => {
    const refusals: [string, () => string, RegExp][] = [
      ['names another client_id', () => servedClient({ client_id: `${documents.origin}/someone-else.json` }).clientId, /its client_id is not the URL it was fetched from/],
      ['has a client_secret', () => servedClient({ client_secret: 'shh' }).clientId, /has a client_secret/],
      ['has a client_secret_expires_at', () => servedClient({ client_secret_expires_at: 0 }).clientId, /has a client_secret_expires_at/],
      ['uses client_secret_basic', () => servedClient({ token_endpoint_auth_method: 'client_secret_basic' }).clientId, /token_endpoint_auth_method must be none/],
      ['uses client_secret_post', () => servedClient({ token_endpoint_auth_method: 'client_secret_post' }).clientId, /token_endpoint_auth_method must be none/],
      ['has an http redirect URI off loopback', () => servedClient({ redirect_uris: ['http://agent.example/cb'] }).clientId, /redirect_uris\[0\] uses http/],
      ['lists no authorization_code', () => servedClient({ grant_types: ['refresh_token'] }).clientId, /grant_types must include authorization_code/],
      ['lists a grant such clients may not use', () => servedClient({ grant_types: ['authorization_code', 'client_credentials'] }).clientId, /grant_types may only list/],
      [
        'is larger than 5 KB',
        () => {
          const { clientId, path } = servedClient();
          documents.serve(path, { body: documentFor(clientId, { client_uri: `https://agent.example/${'a'.repeat(6000)}` }) });
          return clientId;
        },
        /larger than 5120 bytes/,
      ],
      [
        'is not JSON',
        () => {
          const path = freshPath();
          documents.serve(path, { body: '<html>hello</html>', headers: { 'Content-Type': 'text/html' } });
          return `${documents.origin}${path}`;
        },
        /not a JSON object/,
      ],
      [
        'is a JSON array',
        () => {
          const path = freshPath();
          documents.serve(path, { body: '[1,2]' });
          return `${documents.origin}${path}`;
        },
        /not a JSON object/,
      ],
      [
        'answers 404',
        () => `${documents.origin}${freshPath()}`,
        /answered with HTTP status 404/,
      ],
      [
        'never arrives',
        () => {
          const path = freshPath();
          documents.serve(path, { hang: true });
          return `${documents.origin}${path}`;
        },
        /did not arrive in time/,
      ],
    ];

    test.each(refusals)('a document that %s', async (_case, serve, problem) => {
      const clientId = serve();
      const page = await errorPage(clientId);
      expect(page).toMatch(problem);
      // The same client_id at the token endpoint: invalid_client, told to the host app.
      const token = await tokenRequest(server.app, { grant_type: 'authorization_code', client_id: clientId, code: 'x', redirect_uri: REDIRECT_URI, code_verifier: 'v'.repeat(43) });
      expect(token.status).toBe(401);
      expectOAuthErrorBody(token.body, 'invalid_client');
      expect(failures).toEqual([{ clientId, method: 'none', reason: 'unusable_metadata_document' }]);
    });

    test('a document URL that redirects: the redirect is not followed, even to a valid document', async () => {
      const { clientId: target, path: targetPath } = servedClient();
      const path = freshPath();
      documents.serve(path, { status: 302, headers: { Location: target } });
      expect(await errorPage(`${documents.origin}${path}`)).toMatch(/answered with a redirect, which is not followed/);
      expect(documents.requests(targetPath)).toBe(0);
    });

    test('without allowHttpLoopback, a loopback document is never fetched: not over http, nor over https to a loopback address', async () => {
      start({ allowHttpLoopback: false });
      const { clientId, path } = servedClient();
      expect(await errorPage(clientId)).toMatch(/not an https URL/);
      expect(await errorPage(`https://127.0.0.1:${documents.port}${path}`)).toMatch(/not on a public address/);
      expect(await errorPage(`https://[::1]:${documents.port}${path}`)).toMatch(/not on a public address/);
      expect(documents.requests(path)).toBe(0);
    });

    test.each([
      ['a fragment', (origin: string) => `${origin}/client.json#x`, /has a fragment/],
      ['user information', (origin: string) => origin.replace('http://', 'http://user:pw@') + '/client.json', /user information/],
      ['a dot segment', (origin: string) => `${origin}/a/../client.json`, /a \. or \.\. path segment/],
      ['an encoded dot segment', (origin: string) => `${origin}/a/%2E%2E/client.json`, /a \. or \.\. path segment/],
      ['a host not in normal form', (origin: string) => origin.replace('http://', 'HTTP://') + '/client.json', /not in normal form/],
    ])('a client_id URL with %s is refused before any fetch', async (_case, clientIdOf, problem) => {
      const before = documents.connections();
      expect(await errorPage(clientIdOf(documents.origin))).toMatch(problem);
      expect(documents.connections()).toBe(before);
    });

    test('an https client_id without a path is no document URL: an unknown client, nothing fetched', async () => {
      const before = documents.connections();
      expect(await errorPage(`${documents.origin}`)).toMatch(/not known to this server/);
      expect(await errorPage(`${documents.origin}/`)).toMatch(/not known to this server/);
      expect(documents.connections()).toBe(before);
    });
  });

  describe('the cache', () => {
    test('keeps a document for its Cache-Control max-age, then fetches it again', async () => {
      start({ cache: { minSeconds: 10, maxSeconds: 3600 } });
      const { clientId, path } = servedClient({}, { 'Cache-Control': 'public, max-age=300' });
      await openConsent(server.app, codeRequest(clientId).query);
      server.advance(299);
      await openConsent(server.app, codeRequest(clientId).query);
      expect(documents.requests(path)).toBe(1);
      server.advance(2);
      await openConsent(server.app, codeRequest(clientId).query);
      expect(documents.requests(path)).toBe(2);
    });

    test('a changed document is seen once the cached one expires', async () => {
      start({ cache: { minSeconds: 10, maxSeconds: 10 } });
      const { clientId, path } = servedClient();
      expect((await openConsent(server.app, codeRequest(clientId).query)).html).toContain('Example &#60;Agent&#62;');
      documents.serve(path, { body: documentFor(clientId, { client_name: 'Renamed' }) });
      server.advance(11);
      expect((await openConsent(server.app, codeRequest(clientId).query)).html).toContain('Renamed');
    });

    test('remembers a failure for failureSeconds: no fetch per request, then a fixed document is used', async () => {
      start({ cache: { failureSeconds: 10 } });
      const path = freshPath();
      const clientId = `${documents.origin}${path}`;
      documents.serve(path, { body: 'not json' });
      await errorPage(clientId);
      await errorPage(clientId);
      expect(documents.requests(path)).toBe(1);
      documents.serve(path, { body: documentFor(clientId) });
      server.advance(11);
      await openConsent(server.app, codeRequest(clientId).query);
      expect(documents.requests(path)).toBe(2);
    });
  });

  test('a static client whose id looks like a document URL is the static client: nothing is fetched', async () => {
    const path = freshPath();
    const clientId = `${documents.origin}${path}`;
    documents.serve(path, { body: documentFor(clientId, { client_name: 'From the document' }) });
    startApp({
      clients: [{ client_id: clientId, client_name: 'Configured', redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'none', scope: 'read' }],
      clientIdMetadataDocuments: { allowHttpLoopback: true, scopes: ['read'] },
    });
    const consent = await openConsent(server.app, codeRequest(clientId).query);
    expect(consent.html).toContain('Authorize Configured');
    expect(documents.requests(path)).toBe(0);
  });

  test('off by default: a URL client_id is an unknown client, nothing is fetched, and the metadata does not say it is supported', async () => {
    startApp({});
    const { clientId, path } = servedClient();
    expect(await errorPage(clientId)).toMatch(/not known to this server/);
    expect(documents.requests(path)).toBe(0);
    const { body } = await request(server.app).get('/oauth/.well-known/oauth-authorization-server');
    expect(body).not.toHaveProperty('client_id_metadata_document_supported');
  });
});
