import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientInformationMixed } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Page } from 'playwright-core';
import { launchBrowser, type Browser } from '../helpers/browser';
import { startExampleApp, type RunningExampleApp } from '../helpers/example-app';
import { DEMO_USER } from '../helpers/example-login';
import { listenLocal, type LocalServer } from '../helpers/local-server';
import { InteractiveProvider } from '../helpers/mcp-provider';
import { callWhoami } from '../helpers/mcp-whoami';
import { freePort } from '../helpers/redis-server';

/*
 * The MCP SDK's interactive client with nothing configured but its metadata: `auth()` finds the
 * authorization server, registers itself at /oauth/register (RFC 7591), and sends Debian's
 * headless Chromium to the authorization URL (PKCE, resource). The demo user signs in and allows
 * there; the browser is redirected to the test's own loopback callback server (RFC 8252 §7.3),
 * which hands the code to `finishAuth`. Then the SDK calls the MCP server's `whoami` tool.
 */

const CLIENT_NAME = 'MCP client under test';

/** An MCP client that has registered nowhere yet: the SDK registers it and saves what it got. */
class RegisteringProvider extends InteractiveProvider {
  private information: OAuthClientInformationMixed | undefined;
  constructor(
    private readonly callbackUrl: string,
    private readonly openInBrowser: (url: URL) => Promise<void>,
  ) {
    super();
  }
  get redirectUrl() {
    return this.callbackUrl;
  }
  get clientMetadata() {
    return { client_name: CLIENT_NAME, redirect_uris: [this.callbackUrl], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' };
  }
  clientInformation() {
    return this.information;
  }
  saveClientInformation(information: OAuthClientInformationMixed) {
    this.information = information;
  }
  override async redirectToAuthorization(url: URL) {
    super.redirectToAuthorization(url);
    await this.openInBrowser(url);
  }
}

/** The test's loopback redirect URI: records the query of every request to /callback. */
async function startCallbackServer(): Promise<{ server: LocalServer; url: string; received: URL[] }> {
  const received: URL[] = [];
  const server = await listenLocal((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/callback') return void res.writeHead(404).end();
    received.push(url);
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end('Signed in: you may close this window.');
  });
  return { server, url: `${server.origin}/callback`, received };
}

let app: RunningExampleApp;
let origin: string;
let browser: Browser;
let page: Page;
let callback: Awaited<ReturnType<typeof startCallbackServer>>;

beforeAll(async () => {
  // ISSUER on the address the app listens on, as the browser reaches it (only loopback resolves).
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  app = await startExampleApp({ PORT: String(port), ISSUER: `${origin}/oauth` });
  callback = await startCallbackServer();
  browser = await launchBrowser();
  ({ page } = browser);
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await callback?.server.close();
  await app?.stop();
});

test('auth() registers the client by itself, the demo user allows it in the browser, and whoami names the registered client and the user', async () => {
  const exchanges: string[] = [];
  let registrationRequest: Record<string, unknown> | undefined;
  const recordingFetch: FetchLike = async (url, init) => {
    const response = await fetch(url, init);
    const { pathname } = new URL(String(url));
    exchanges.push(`${init?.method ?? 'GET'} ${pathname} ${response.status}`);
    if (pathname === '/oauth/register') registrationRequest = JSON.parse(String(init?.body)) as Record<string, unknown>;
    return response;
  };
  const mcpUrl = `${origin}/mcp`;
  const provider = new RegisteringProvider(callback.url, async (url) => {
    await page.goto(url.href);
  });

  const firstTry = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider, fetch: recordingFetch });
  await expect(new Client({ name: 'registration-test', version: '1.0.0' }).connect(firstTry)).rejects.toThrow(/unauthorized/i);
  expect(exchanges).toEqual([
    'POST /mcp 401',
    'GET /.well-known/oauth-protected-resource/mcp 200',
    'GET /.well-known/oauth-authorization-server/oauth 200',
    // RFC 7591 §3.1: the SDK registered at the registration_endpoint of the server's metadata.
    'POST /oauth/register 201',
  ]);
  expect(registrationRequest).toMatchObject({ client_name: CLIENT_NAME, redirect_uris: [callback.url], token_endpoint_auth_method: 'none', scope: 'mcp:tools' });
  const registered = provider.clientInformation() as OAuthClientInformationMixed;
  expect(registered.client_id).toEqual(expect.any(String));
  // A public client (token_endpoint_auth_method none): no secret was issued.
  expect(registered.client_secret).toBeUndefined();

  const authorizationUrl = provider.authorizationUrl as URL;
  expect(`${authorizationUrl.origin}${authorizationUrl.pathname}`).toBe(`${origin}/oauth/authorize`);
  expect(authorizationUrl.searchParams.get('client_id')).toBe(registered.client_id);
  expect(authorizationUrl.searchParams.get('redirect_uri')).toBe(callback.url);
  expect(authorizationUrl.searchParams.get('code_challenge_method')).toBe('S256');
  // RFC 8707 §2: the resource the RFC 9728 document names.
  expect(authorizationUrl.searchParams.get('resource')).toBe(mcpUrl);

  // The browser the provider opened is on the example-app's login page: the demo user signs in…
  expect(new URL(page.url()).pathname).toBe('/login');
  await page.fill('input[name="username"]', DEMO_USER.username);
  await page.fill('input[name="password"]', DEMO_USER.password);
  await Promise.all([page.waitForURL(/\/oauth\/authorize\?/), page.click('button[type="submit"]')]);
  // …sees the consent page name the client by its registered name and ask for mcp:tools, and allows.
  const consent = await page.textContent('body');
  expect(consent).toContain(CLIENT_NAME);
  expect(consent).toContain('mcp:tools');
  await Promise.all([page.waitForURL((url) => url.href.startsWith(`${callback.url}?`)), page.click('button[name="decision"][value="allow"]')]);

  expect(callback.received).toHaveLength(1);
  const [redirect] = callback.received;
  // RFC 9207 §2: the issuer comes with the code.
  expect(redirect.searchParams.get('iss')).toBe(`${origin}/oauth`);
  await firstTry.finishAuth(redirect.searchParams.get('code') as string);
  expect(exchanges.at(-1)).toBe('POST /oauth/token 200');

  const whoami = await callWhoami(new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider, fetch: recordingFetch }));
  expect(whoami).toEqual({ client_id: registered.client_id, scope: 'mcp:tools', sub: DEMO_USER.username });
  // Registered once: the second connection used the saved client information and token.
  expect(exchanges.filter((exchange) => exchange.startsWith('POST /oauth/register'))).toHaveLength(1);
});
