import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { PrivateKeyJwtProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { startExampleApp, type RunningExampleApp } from '../helpers/example-app';
import { callWhoami } from '../helpers/mcp-whoami';
import { freePort } from '../helpers/redis-server';
import { assertionSigner, CLIENT_ASSERTION_TYPE, type AssertionSigner } from '../helpers/assertions';

/**
 * The MCP SDK's PrivateKeyJwtProvider (client credentials with private_key_jwt, RFC 7523 §2.2)
 * against the example-app's MCP server: a client no one here wrote, with a key the test makes
 * and a CLIENTS_FILE of its own, so that no private key ships.
 */
describe('the MCP SDK PrivateKeyJwtProvider against the example-app', () => {
  let app: RunningExampleApp;
  let issuer: string;
  let origin: string;
  let folder: string;
  let key: AssertionSigner;
  beforeAll(async () => {
    key = await assertionSigner('ES256', 'mcp-keyed-1');
    folder = await mkdtemp(path.join(tmpdir(), 'oauth-mcp-pkjwt-'));
    const shipped = JSON.parse(await readFile(path.join(__dirname, '..', '..', 'example-app', 'clients.json'), 'utf8')) as object[];
    const keyed = { client_id: 'mcp-keyed', grant_types: ['client_credentials'], scope: 'mcp:tools', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [key.publicJwk] } };
    await writeFile(path.join(folder, 'clients.json'), JSON.stringify([...shipped, keyed]));
    const port = await freePort();
    origin = `http://localhost:${port}`;
    issuer = `${origin}/oauth`;
    app = await startExampleApp({ PORT: String(port), ISSUER: issuer, CLIENTS_FILE: path.join(folder, 'clients.json') });
  });
  afterAll(async () => {
    await app.stop();
    await rm(folder, { recursive: true, force: true });
  });

  test('finds the authorization server, gets a token for <origin>/mcp with its signed assertion, and calls whoami', async () => {
    let tokenRequest: URLSearchParams | undefined;
    const recordingFetch: FetchLike = async (url, init) => {
      if (new URL(String(url)).pathname === '/oauth/token') tokenRequest = new URLSearchParams(String(init?.body));
      return fetch(url, init);
    };
    const provider = new PrivateKeyJwtProvider({ clientId: 'mcp-keyed', privateKey: key.privateJwk as Record<string, unknown>, algorithm: 'ES256', expectedIssuer: issuer });
    const transport = new StreamableHTTPClientTransport(new URL(`${origin}/mcp`), { authProvider: provider, fetch: recordingFetch });
    expect(await callWhoami(transport)).toEqual({ client_id: 'mcp-keyed', scope: 'mcp:tools' });
    expect(tokenRequest?.get('grant_type')).toBe('client_credentials');
    expect(tokenRequest?.get('client_assertion_type')).toBe(CLIENT_ASSERTION_TYPE);
    expect(tokenRequest?.get('client_secret')).toBeNull();
    expect(tokenRequest?.get('resource')).toBe(`${origin}/mcp`);
  });
});
