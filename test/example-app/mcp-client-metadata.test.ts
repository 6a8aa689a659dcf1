import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientInformationMixed } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { DEMO_USER, signInAndAllow, signInByFetch } from '../helpers/example-login';
import { startDocumentServer, type DocumentServer } from '../helpers/document-server';
import { startExampleApp, type RunningExampleApp } from '../helpers/example-app';
import { InteractiveProvider } from '../helpers/mcp-provider';
import { callWhoami } from '../helpers/mcp-whoami';
import { freePort, startRedisServer, type RedisServer } from '../helpers/redis-server';
import { makeTestCertificates } from '../helpers/test-certificates';

/**
 * The MCP SDK's client identifies itself with a Client ID Metadata Document (its provider's
 * `clientMetadataUrl`) instead of registering. The SDK takes only https document URLs, so the
 * test serves the document over https on 127.0.0.1 with a test certificate authority, which the
 * example-app trusts (NODE_EXTRA_CA_CERTS) and may fetch from loopback
 * (CLIENT_METADATA_ALLOW_HTTP_LOOPBACK=1, development only).
 */
const REDIRECT_URI = 'http://localhost:6275/oauth/callback';

/** An interactive MCP client that has registered nowhere: its client_id is its document's URL. */
class MetadataDocumentProvider extends InteractiveProvider {
  private information: OAuthClientInformationMixed | undefined;
  constructor(readonly clientMetadataUrl: string) {
    super();
  }
  get redirectUrl() {
    return REDIRECT_URI;
  }
  get clientMetadata() {
    return { client_name: 'Test MCP client', redirect_uris: [REDIRECT_URI], grant_types: ['authorization_code', 'refresh_token'], token_endpoint_auth_method: 'none' };
  }
  clientInformation() {
    return this.information;
  }
  saveClientInformation(information: OAuthClientInformationMixed) {
    this.information = information;
  }
}

describe.each(['in-memory', 'Redis'] as const)('an MCP client known by its Client ID Metadata Document, against the example-app on the %s store', (storeKind) => {
  let certificateDir: string;
  let documentServer: https.Server;
  let documentUrl: string;
  let documentFetches = 0;
  let redis: RedisServer | undefined;
  let app: RunningExampleApp;
  let origin: string;

  beforeAll(async () => {
    certificateDir = mkdtempSync(path.join(tmpdir(), 'cimd-'));
    const certificates = await makeTestCertificates(certificateDir);
    documentServer = https.createServer({ cert: readFileSync(certificates.certFile), key: readFileSync(certificates.keyFile) }, (req, res) => {
      if (req.url !== '/mcp-client.json') return res.writeHead(404).end();
      documentFetches++;
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'max-age=3600' });
      res.end(
        JSON.stringify({
          client_id: documentUrl,
          client_name: 'Test MCP client',
          client_uri: 'https://mcp-client.example',
          redirect_uris: [REDIRECT_URI],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          token_endpoint_auth_method: 'none',
          scope: 'mcp:tools',
        }),
      );
    });
    await new Promise<void>((resolve) => documentServer.listen(0, '127.0.0.1', resolve));
    documentUrl = `https://127.0.0.1:${(documentServer.address() as AddressInfo).port}/mcp-client.json`;

    if (storeKind === 'Redis') redis = await startRedisServer();
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    app = await startExampleApp({
      PORT: String(port),
      ISSUER: `${origin}/oauth`,
      CLIENT_METADATA_ALLOW_HTTP_LOOPBACK: '1',
      NODE_EXTRA_CA_CERTS: certificates.caFile,
      ...(redis !== undefined && { REDIS_URL: redis.url }),
    });
  });
  afterAll(async () => {
    await app?.stop();
    await redis?.stop();
    documentServer.closeAllConnections();
    await new Promise((resolve) => documentServer.close(resolve));
    rmSync(certificateDir, { recursive: true, force: true });
  });

  test('discovery (401 → RFC 9728 → RFC 8414), authorization by the demo user, token with PKCE, then whoami: no registration', async () => {
    const exchanges: string[] = [];
    const recordingFetch: FetchLike = async (url, init) => {
      const response = await fetch(url, init);
      exchanges.push(`${init?.method ?? 'GET'} ${new URL(String(url)).pathname} ${response.status}`);
      return response;
    };
    const mcpUrl = `${origin}/mcp`;
    const provider = new MetadataDocumentProvider(documentUrl);
    const firstTry = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider, fetch: recordingFetch });
    // The SDK finds the authorization server, sees client_id_metadata_document_supported, and "opens the browser".
    await expect(new Client({ name: 'cimd-test', version: '1.0.0' }).connect(firstTry)).rejects.toThrow(/unauthorized/i);
    expect(exchanges).toEqual(['POST /mcp 401', 'GET /.well-known/oauth-protected-resource/mcp 200', 'GET /.well-known/oauth-authorization-server/oauth 200']);

    const authorizationUrl = provider.authorizationUrl as URL;
    expect(authorizationUrl.searchParams.get('client_id')).toBe(documentUrl);
    expect(authorizationUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorizationUrl.searchParams.get('resource')).toBe(mcpUrl);

    const callback = await signInAndAllow(authorizationUrl.href);
    expect(`${callback.origin}${callback.pathname}`).toBe(REDIRECT_URI);
    await firstTry.finishAuth(callback.searchParams.get('code') as string);
    expect(exchanges.at(-1)).toBe('POST /oauth/token 200');

    const whoami = await callWhoami(new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider, fetch: recordingFetch }));
    expect(whoami).toEqual({ client_id: documentUrl, scope: 'mcp:tools', sub: DEMO_USER.username });
    expect(exchanges.some((exchange) => exchange.includes('/oauth/register'))).toBe(false);
    // Fetched once (at the authorization request), then cached for its max-age.
    expect(documentFetches).toBe(1);
  });

  test('the consent page names the document host beside the name the document claims; a missing document is an error page', async () => {
    const signedIn = await signInByFetch(origin, { ...DEMO_USER, returnTo: encodeURIComponent('/') });
    const cookie = signedIn.headers.getSetCookie()[0].split(';')[0];
    const authorize = (clientId: string) =>
      fetch(`${origin}/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT_URI, code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' })}`, {
        redirect: 'manual',
        headers: { cookie },
      });

    const consent = await authorize(documentUrl);
    expect(consent.status).toBe(200);
    const page = await consent.text();
    expect(page).toContain(`<strong>${new URL(documentUrl).host}</strong>`);
    expect(page).toContain('calls itself &#8220;Test MCP client&#8221; (its own claim, not verified)');

    // A document that cannot be fetched: an error page, never a redirect to its redirect URIs.
    const missing = await authorize(documentUrl.replace('mcp-client', 'missing'));
    expect(missing.status).toBe(400);
    expect(missing.headers.get('location')).toBeNull();
    expect(await missing.text()).toMatch(/answered with HTTP status 404/);
  });
});

describe('the example-app without CLIENT_METADATA_ALLOW_HTTP_LOOPBACK', () => {
  let documents: DocumentServer;
  let app: RunningExampleApp;
  beforeAll(async () => {
    documents = await startDocumentServer();
    app = await startExampleApp();
  });
  afterAll(async () => {
    await app?.stop();
    await documents.close();
  });

  test('says it supports Client ID Metadata Documents, but never fetches one from loopback', async () => {
    const metadata = (await (await fetch(`${app.url}/.well-known/oauth-authorization-server/oauth`)).json()) as Record<string, unknown>;
    expect(metadata.client_id_metadata_document_supported).toBe(true);
    const clientId = `${documents.origin}/client.json`;
    documents.serve('/client.json', { body: { client_id: clientId, redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'none' } });
    const res = await fetch(`${app.url}/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT_URI })}`, { redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/not an https URL/);
    expect(documents.requests('/client.json')).toBe(0);
  });
});
