'use strict';
const path = require('node:path');
const express = require('express');
const { escapeHtml } = require('./html');
const { DEMO_CLIENT_ID, DEMO_CALLBACK_PATH, demoRedirectUri } = require('./demo-client');
const { DEVICE_CODE_GRANT_TYPE } = require('..');

/** The files of example-app/public that the page loads (not its tsconfig.json). */
const ASSETS = ['home.js', 'home.css'];

// No inline script or style: the page's script and style sheet are files of this origin.
const PAGE_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
].join('; ');

/**
 * The page a newcomer opens first (`GET /`): what the example-app is, its clients (never their
 * secrets), the authorization code flow with PKCE played by the demo client in the browser
 * (example-app/public/home.js, which also finishes the flow at /demo/callback), the device flow
 * and the README's curl lines for this server.
 * @param {{ clients: any[], oauth: import('..').OAuthServer, resources: readonly ShownResource[] }} options
 */
function homeRoutes({ clients, oauth, resources }) {
  const html = renderHomePage(clients, serverUrls(oauth), resources);
  const router = express.Router();
  /**
   * @param {import('express').Request} _req
   * @param {import('express').Response} res
   */
  function sendHome(_req, res) {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Security-Policy', PAGE_POLICY);
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    // The callback's URL carries the authorization code: never sent on as a Referer (RFC 9700 §4.2.4).
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.type('html').send(html);
  }
  router.get('/', sendHome);
  router.get(DEMO_CALLBACK_PATH, sendHome);
  router.get('/demo/assets/:file', (req, res, next) => {
    const file = String(req.params.file);
    if (!ASSETS.includes(file)) return next();
    res.sendFile(path.join(__dirname, 'public', file), { headers: { 'X-Content-Type-Options': 'nosniff' } });
  });
  return router;
}

/**
 * The addresses the page shows, from the server's RFC 8414 metadata.
 * @param {import('..').OAuthServer} oauth
 */
function serverUrls(oauth) {
  const read = (/** @type {string} */ name) => String(oauth.metadata[name]);
  const issuer = read('issuer');
  const origin = new URL(issuer).origin;
  return {
    issuer,
    origin,
    metadata: `${origin}${oauth.metadataPath}`,
    authorizationEndpoint: read('authorization_endpoint'),
    tokenEndpoint: read('token_endpoint'),
    deviceAuthorizationEndpoint: read('device_authorization_endpoint'),
  };
}

/** @typedef {ReturnType<typeof serverUrls>} ServerUrls */

/**
 * What the page shows of a protected resource (a ProtectedResource of `oauth.resource()`).
 * @typedef {{ uri: string, metadataPath: string, metadata: { scopes_supported?: readonly string[], resource_name?: string } }} ShownResource
 */

/**
 * @param {any[]} clients the client metadata the server was given
 * @param {ServerUrls} urls
 * @param {readonly ShownResource[]} resources
 */
function renderHomePage(clients, urls, resources) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>express-oauth2-server example-app</title>
<link rel="stylesheet" href="/demo/assets/home.css">
<script src="/demo/assets/home.js" defer></script>
</head>
<body><main>
<h1>express-oauth2-server example-app</h1>
<p>This is the example-app of express-oauth2-server: the OAuth 2.0 authorization server mounted
in an Express app as you would mount it in yours, with a demo login for the users of
<code>USERS_FILE</code>, the clients of <code>CLIENTS_FILE</code> and a protected API.</p>
<ul>
<li>Issuer <code>${escapeHtml(urls.issuer)}</code>; its endpoints are under <code>/oauth</code>, listed in the
<a href="${escapeHtml(urls.metadata)}">authorization server metadata</a>.</li>
<li>The protected API: <code>GET /api/hello</code> needs scope <code>read</code>, <code>GET /api/admin</code> scope <code>admin</code>.</li>
<li>The MCP server: <code>POST /mcp</code> (Streamable HTTP) needs scope <code>mcp:tools</code>; its tool <code>whoami</code> says who the token speaks for.
Point an MCP client at <code>${escapeHtml(urls.origin)}/mcp</code>: it finds the authorization server by itself.</li>
<li>The device flow's code page: <a href="/device">/device</a>.</li>
</ul>

<h2>Resources</h2>
<p>A token asked for with <code>resource</code> (RFC 8707) is a JWT access token (RFC 9068) for that resource alone.
Each resource publishes its protected resource metadata (RFC 9728), which names this authorization server.</p>
<div class="scroll"><table id="resources">
<thead><tr><th>resource</th><th>Name</th><th>scopes</th><th>Metadata</th></tr></thead>
<tbody>
${resources.map(renderResourceRow).join('\n')}
</tbody></table></div>

<h2>Demo clients</h2>
<p>The clients of <code>CLIENTS_FILE</code> and this page's demo client. Their secrets are not shown: they are in the file.</p>
<div class="scroll"><table id="clients">
<thead><tr><th>client_id</th><th>Name</th><th>Type</th><th>grant_types</th><th>scope</th></tr></thead>
<tbody>
${clients.map(renderClientRow).join('\n')}
</tbody></table></div>

${renderPkceDemo(urls)}

${renderDeviceFlow(clients, urls)}

<h2>Try it with curl</h2>
<p>A token for a confidential client (client credentials), then the protected API with it:</p>
<pre>${escapeHtml(clientCredentialsCurl(clients, urls.tokenEndpoint))}
curl -s -H "Authorization: Bearer &lt;access_token&gt;" ${escapeHtml(urls.origin)}/api/hello</pre>
</main></body></html>
`;
}

/**
 * One row of the clients table. The defaults are those the package applies (RFC 7591 §2).
 * @param {any} client
 */
function renderClientRow(client) {
  const method = authMethod(client);
  const type = method === 'none' ? 'public' : `confidential (${method})`;
  const cells = [client.client_id, client.client_name ?? '', type, grantTypes(client).join(', '), client.scope ?? ''];
  return `<tr>${cells.map((cell) => `<td>${escapeHtml(String(cell))}</td>`).join('')}</tr>`;
}

/**
 * One row of the resources table.
 * @param {ShownResource} resource
 */
function renderResourceRow({ uri, metadataPath, metadata }) {
  const cells = [uri, metadata.resource_name ?? '', (metadata.scopes_supported ?? []).join(' ')].map((cell) => `<td>${escapeHtml(cell)}</td>`);
  return `<tr>${cells.join('')}<td><a href="${escapeHtml(metadataPath)}">${escapeHtml(metadataPath)}</a></td></tr>`;
}

/**
 * The button of the authorization code flow; public/home.js reads its settings from the data attributes.
 * @param {ServerUrls} urls
 */
function renderPkceDemo(urls) {
  const settings = {
    'client-id': DEMO_CLIENT_ID,
    'redirect-uri': demoRedirectUri(urls.issuer),
    scope: 'read',
    issuer: urls.issuer,
    'authorization-endpoint': urls.authorizationEndpoint,
    'token-endpoint': urls.tokenEndpoint,
    api: `${urls.origin}/api/hello`,
  };
  const attributes = Object.entries(settings).map(([name, value]) => ` data-${name}="${escapeHtml(value)}"`).join('');
  return `<section id="pkce-demo"${attributes}>
<h2>Sign in with the authorization code flow and PKCE</h2>
<p>The button plays <code>${escapeHtml(DEMO_CLIENT_ID)}</code>,
a <strong>public client</strong>: it has no secret, like any single-page app. This page's script
makes a PKCE verifier and its S256 challenge, sends you to the authorization endpoint to sign in
(the shipped user is <code>demo</code> / <code>demo-password-change-me</code>) and allow access,
checks <code>state</code> and <code>iss</code> when you come back, exchanges the code with the
verifier at the token endpoint, and calls <code>/api/hello</code> with the access token.</p>
<p><button id="pkce-start" type="button">Sign in with the demo client</button></p>
<p id="pkce-status" role="status"></p>
<div id="pkce-result" hidden>
<h3>Token response</h3>
<pre id="token-response"></pre>
<h3><code>GET /api/hello</code> with the access token</h3>
<pre id="hello-response"></pre>
</div>
</section>`;
}

/**
 * RFC 8628 from the command line, with a public client of the device grant when there is one.
 * @param {any[]} clients
 * @param {ServerUrls} urls
 */
function renderDeviceFlow(clients, urls) {
  const device = clients.find((client) => grantTypes(client).includes(DEVICE_CODE_GRANT_TYPE) && authMethod(client) === 'none');
  const clientId = device?.client_id ?? '<client_id>';
  const deviceUrl = `${urls.origin}/device`;
  return `<h2>Try the device flow</h2>
<ol>
<li>Start a device authorization, as a device would${device ? ` (client <code>${escapeHtml(clientId)}</code>)` : ''}; note its <code>user_code</code> and <code>device_code</code>:
<pre>${escapeHtml(`curl -s -d client_id=${clientId} -d scope=read ${urls.deviceAuthorizationEndpoint}`)}</pre></li>
<li>Open <a href="/device">${escapeHtml(deviceUrl)}</a>, enter the <code>user_code</code>, sign in and allow.</li>
<li>Poll the token endpoint with the <code>device_code</code> (before you allow, it answers <code>authorization_pending</code>):
<pre>${escapeHtml(`curl -s -d grant_type=${DEVICE_CODE_GRANT_TYPE} \\\n  -d client_id=${clientId} -d device_code=<device_code> ${urls.tokenEndpoint}`)}</pre></li>
</ol>`;
}

/**
 * The README's client credentials line for this server; the secret stays a placeholder.
 * @param {any[]} clients
 * @param {string} tokenEndpoint
 */
function clientCredentialsCurl(clients, tokenEndpoint) {
  const client = clients.find((each) => grantTypes(each).includes('client_credentials') && authMethod(each) === 'client_secret_basic');
  return `curl -s -u ${client?.client_id ?? '<client_id>'}:<client_secret> -d grant_type=client_credentials \\\n  ${tokenEndpoint}`;
}

/** @param {any} client */
function authMethod(client) {
  return client.token_endpoint_auth_method ?? (client.client_secret === undefined ? 'none' : 'client_secret_basic');
}

/**
 * @param {any} client
 * @returns {string[]}
 */
function grantTypes(client) {
  return client.grant_types ?? ['authorization_code'];
}

module.exports = { homeRoutes };
