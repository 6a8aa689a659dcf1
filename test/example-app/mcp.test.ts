import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { DEMO_USER, signInAndAllow } from '../helpers/example-login';
import { startExampleApp, type RunningExampleApp } from '../helpers/example-app';
import { InteractiveProvider } from '../helpers/mcp-provider';
import { freePort, startRedisServer, type RedisServer } from '../helpers/redis-server';

/** The shipped clients this file uses (example-app/clients.json). */
const MCP_AGENT = { id: 'mcp-agent', secret: 'mcp-agent-secret-change-me' };
const REPORTING = { id: 'svc-reporting', secret: 'reporting-secret-change-me' };

/** A JSON-RPC call of the tool, as any MCP client sends it to a stateless server. */
const WHOAMI_CALL = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } });

// The example-app of the running describe block (one per store, below).
let app: RunningExampleApp;
let origin: string;
let issuer: string;

const mcpUrl = () => `${origin}/mcp`;
const apiUrl = () => `${origin}/api`;
const metadataUrlOf = (resourcePath: string) => `${origin}/.well-known/oauth-protected-resource${resourcePath}`;

/** A client credentials token from the example-app (RFC 6749 §4.4), with `resource` (RFC 8707) when given. */
async function clientCredentialsToken(client: { id: string; secret: string }, params: Record<string, string> = {}): Promise<string> {
  const res = await fetch(`${app.url}/oauth/token`, {
    method: 'POST',
    headers: { Authorization: 'Basic ' + Buffer.from(`${client.id}:${client.secret}`).toString('base64') },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...params }),
  });
  const body = (await res.json()) as { access_token?: string };
  if (res.status !== 200 || body.access_token === undefined) throw new Error(`token request failed: ${res.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

/** The MCP SDK's client over `transport`: the names of the tools it lists, and what `whoami` answers. */
async function listAndCallWhoami(transport: StreamableHTTPClientTransport): Promise<{ tools: string[]; whoami: unknown }> {
  const client = new Client({ name: 'example-app-test', version: '1.0.0' });
  await client.connect(transport);
  try {
    const tools = (await client.listTools()).tools.map((tool) => tool.name);
    const result = await client.callTool({ name: 'whoami' });
    // One text content item holding the JSON (the contract).
    expect(result.content).toEqual([{ type: 'text', text: expect.any(String) }]);
    const [item] = result.content as { text: string }[];
    return { tools, whoami: JSON.parse(item.text) };
  } finally {
    await client.close();
  }
}

/**
 * What an interactive MCP client (MCP Inspector) keeps: the shipped public client mcp-inspector,
 * and the authorization URL the SDK would open in a browser.
 */
class InspectorLikeProvider extends InteractiveProvider {
  static readonly REDIRECT_URI = 'http://localhost:6274/oauth/callback';
  get redirectUrl() {
    return InspectorLikeProvider.REDIRECT_URI;
  }
  get clientMetadata() {
    return { client_name: 'MCP Inspector', redirect_uris: [InspectorLikeProvider.REDIRECT_URI], grant_types: ['authorization_code', 'refresh_token'], token_endpoint_auth_method: 'none' };
  }
  clientInformation() {
    return { client_id: 'mcp-inspector' };
  }
}

const postMcp = (token?: string) =>
  fetch(mcpUrl(), {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      ...(token !== undefined && { Authorization: `Bearer ${token}` }),
    },
    body: WHOAMI_CALL,
  });

const getApi = (path: string, token?: string) => fetch(`${origin}${path}`, token === undefined ? {} : { headers: { Authorization: `Bearer ${token}` } });

describe.each(['in-memory', 'Redis'] as const)('the example-app on the %s store', (storeKind) => {
  let redis: RedisServer | undefined;
  // ISSUER on the address the app listens on, so that <origin> (the origin of ISSUER, where the
  // resources are) is the address the tests reach, whatever `localhost` resolves to here.
  beforeAll(async () => {
    if (storeKind === 'Redis') redis = await startRedisServer();
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    issuer = `${origin}/oauth`;
    app = await startExampleApp({ PORT: String(port), ISSUER: issuer, ...(redis !== undefined && { REDIS_URL: redis.url }) });
  });
  afterAll(async () => {
    await app.stop();
    await redis?.stop();
  });

  describe('the MCP server at POST /mcp, reached with the MCP SDK', () => {
    test('a client credentials token for <origin>/mcp (an RFC 9068 JWT) opens it: whoami names the client and its scope', async () => {
      const token = await clientCredentialsToken(MCP_AGENT, { resource: mcpUrl() });
      expect(decodeProtectedHeader(token).typ).toBe('at+jwt');
      // RFC 9068 §2.2: for client credentials, the client is the subject.
      expect(decodeJwt(token)).toMatchObject({ iss: issuer, aud: mcpUrl(), sub: 'mcp-agent', client_id: 'mcp-agent', scope: 'mcp:tools' });
      const transport = new StreamableHTTPClientTransport(new URL(mcpUrl()), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
      const { tools, whoami } = await listAndCallWhoami(transport);
      expect(tools).toEqual(['whoami']);
      expect(whoami).toEqual({ client_id: 'mcp-agent', scope: 'mcp:tools' });
    });

    test("the SDK's auth() finds everything by itself: 401 → RFC 9728 document → RFC 8414 metadata at the path-insertion URL → token for <origin>/mcp", async () => {
      const exchanges: string[] = [];
      let tokenRequest: URLSearchParams | undefined;
      const recordingFetch: FetchLike = async (url, init) => {
        const response = await fetch(url, init);
        const { pathname } = new URL(String(url));
        exchanges.push(`${init?.method ?? 'GET'} ${pathname} ${response.status}`);
        if (pathname === '/oauth/token') tokenRequest = new URLSearchParams(String(init?.body));
        return response;
      };
      const provider = new ClientCredentialsProvider({ clientId: MCP_AGENT.id, clientSecret: MCP_AGENT.secret, expectedIssuer: issuer });
      const transport = new StreamableHTTPClientTransport(new URL(mcpUrl()), { authProvider: provider, fetch: recordingFetch });

      const { whoami } = await listAndCallWhoami(transport);

      expect(whoami).toEqual({ client_id: 'mcp-agent', scope: 'mcp:tools' });
      expect(exchanges.slice(0, 5)).toEqual([
        'POST /mcp 401',
        'GET /.well-known/oauth-protected-resource/mcp 200',
        // RFC 8414 §3.1 for issuer …/oauth: the only place an MCP client looks first.
        'GET /.well-known/oauth-authorization-server/oauth 200',
        'POST /oauth/token 200',
        'POST /mcp 200',
      ]);
      expect(tokenRequest?.get('grant_type')).toBe('client_credentials');
      // RFC 8707 §2: the SDK asks for a token for the resource the RFC 9728 document names.
      expect(tokenRequest?.get('resource')).toBe(mcpUrl());
      expect(provider.tokens()?.access_token).toEqual(expect.any(String));
    });

    test('an interactive client (authorization code, PKCE, resource) gets a token the demo user granted: whoami names the user as sub', async () => {
      const provider = new InspectorLikeProvider();
      const firstTry = new StreamableHTTPClientTransport(new URL(mcpUrl()), { authProvider: provider });
      // The SDK finds the authorization server, then "opens the browser": it stops for the user.
      await expect(new Client({ name: 'example-app-test', version: '1.0.0' }).connect(firstTry)).rejects.toThrow(/unauthorized/i);
      const authorizationUrl = provider.authorizationUrl as URL;
      expect(`${authorizationUrl.origin}${authorizationUrl.pathname}`).toBe(`${issuer}/authorize`);
      expect(authorizationUrl.searchParams.get('resource')).toBe(mcpUrl());
      expect(authorizationUrl.searchParams.get('scope')).toBe('mcp:tools');

      const callback = await signInAndAllow(authorizationUrl.href);
      expect(`${callback.origin}${callback.pathname}`).toBe(InspectorLikeProvider.REDIRECT_URI);
      await firstTry.finishAuth(callback.searchParams.get('code') as string);

      const { whoami } = await listAndCallWhoami(new StreamableHTTPClientTransport(new URL(mcpUrl()), { authProvider: provider }));
      expect(whoami).toEqual({ client_id: 'mcp-inspector', scope: 'mcp:tools', sub: DEMO_USER.username });
    });

    test('GET and DELETE /mcp are 405 (stateless: no server-to-client stream, no session to end)', async () => {
      for (const method of ['GET', 'DELETE']) {
        const res = await fetch(mcpUrl(), { method });
        expect(res.status).toBe(405);
        expect(res.headers.get('allow')).toBe('POST');
        expect(await res.json()).toEqual({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed.' }, id: null });
      }
    });
  });

  describe('audiences: /mcp admits only tokens for <origin>/mcp; /api/* tokens for <origin>/api and tokens without a resource', () => {
    test('a token for <origin>/api is 401 invalid_token at /mcp, and opens /api/hello', async () => {
      const apiToken = await clientCredentialsToken(REPORTING, { resource: apiUrl(), scope: 'read' });
      const res = await postMcp(apiToken);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
      expect((await getApi('/api/hello', apiToken)).status).toBe(200);
    });

    test('an opaque token issued without a resource is 401 at /mcp but 200 at /api/hello', async () => {
      const opaque = await clientCredentialsToken(REPORTING);
      expect((await postMcp(opaque)).status).toBe(401);
      const hello = await getApi('/api/hello', opaque);
      expect(hello.status).toBe(200);
      expect(await hello.json()).toEqual({ client_id: 'svc-reporting', scope: 'read write' });
    });

    test('a token for <origin>/mcp is 401 invalid_token at /api/hello', async () => {
      const mcpToken = await clientCredentialsToken(MCP_AGENT, { resource: mcpUrl() });
      const res = await getApi('/api/hello', mcpToken);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    });
  });

  describe('RFC 9728: the protected resource metadata of the two resources', () => {
    test.each([
      ['/api', ['read', 'admin']],
      ['/mcp', ['mcp:tools']],
    ])('%s: exactly the fields and values of the contract', async (resourcePath, scopes) => {
      const res = await fetch(metadataUrlOf(resourcePath));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const document = (await res.json()) as Record<string, unknown>;
      // The resource accepts DPoP proofs with the algorithms the authorization server accepts
      // (RFC 9728 §2): listed in both documents, or in neither while the package has no DPoP.
      const serverMetadata = (await (await fetch(`${origin}/.well-known/oauth-authorization-server/oauth`)).json()) as Record<string, unknown>;
      const dpopAlgorithms = serverMetadata.dpop_signing_alg_values_supported;
      expect(document).toEqual({
        resource: `${origin}${resourcePath}`,
        authorization_servers: [issuer],
        scopes_supported: scopes,
        bearer_methods_supported: ['header'],
        ...(dpopAlgorithms !== undefined && { dpop_signing_alg_values_supported: dpopAlgorithms }),
        resource_name: resourcePath === '/api' ? 'Example API' : 'Example MCP server',
      });
    });
  });

  describe('RFC 9728 §5.1: every 401 and 403 of /api/* and /mcp names its resource metadata', () => {
    // The tokens of the cases, fetched once.
    const tokens: Record<string, string> = {};
    beforeAll(async () => {
      tokens.opaqueRead = await clientCredentialsToken(REPORTING, { scope: 'read' });
      tokens.api = await clientCredentialsToken(REPORTING, { resource: apiUrl(), scope: 'read' });
      tokens.mcp = await clientCredentialsToken(MCP_AGENT, { resource: mcpUrl() });
      tokens.unknown = 'not-a-token';
    });

    test.each([
      ['GET /api/hello, no token', () => getApi('/api/hello'), 401, '/api'],
      ['GET /api/admin, no token', () => getApi('/api/admin'), 401, '/api'],
      ['GET /api/hello, an unknown token', () => getApi('/api/hello', tokens.unknown), 401, '/api'],
      ['GET /api/hello, a token for /mcp', () => getApi('/api/hello', tokens.mcp), 401, '/api'],
      ['GET /api/admin, an opaque token without admin', () => getApi('/api/admin', tokens.opaqueRead), 403, '/api'],
      ['GET /api/admin, a token for /api without admin', () => getApi('/api/admin', tokens.api), 403, '/api'],
      ['POST /mcp, no token', () => postMcp(), 401, '/mcp'],
      ['POST /mcp, an unknown token', () => postMcp(tokens.unknown), 401, '/mcp'],
      ['POST /mcp, an opaque token without a resource', () => postMcp(tokens.opaqueRead), 401, '/mcp'],
      ['POST /mcp, a token for /api', () => postMcp(tokens.api), 401, '/mcp'],
    ])('%s', async (_case, send, status, resourcePath) => {
      const res = await send();
      expect(res.status).toBe(status);
      const challenge = res.headers.get('www-authenticate') ?? '';
      expect(challenge).toMatch(/^Bearer /);
      expect(challenge).toContain(`resource_metadata="${metadataUrlOf(resourcePath)}"`);
    });
  });
});
