'use strict';
const { randomBytes } = require('node:crypto');
const express = require('express');
const {
  oauthServer,
  clientCredentials,
  authorizationCode,
  refreshToken,
  passwordGrant,
  deviceAuthorization,
  jwtBearer,
  memoryStore,
  redisStore,
} = require('..');
const { signedCookieSession } = require('./session');
const { loginRoutes, findUser } = require('./login');
const { loginCsrfToken } = require('./login-csrf');
const { deviceRoutes } = require('./device');
const { homeRoutes } = require('./home');
const { mcpRoutes } = require('./mcp');
const { describeToken } = require('./token-description');

/**
 * The example-app: the package mounted in an Express app as a user would mount it.
 * @param {{ issuer: string, clients: any[], users: { username: string, password: string }[], host?: string, port?: number, redisUrl?: string, sessionSecret?: string, devicePollInterval?: number, dpopRequireNonce?: boolean, dpopNonceSecret?: string, clientMetadataAllowHttpLoopback?: boolean, trustedIssuers?: import('..').TrustedIssuer[] }} config
 */
function createApp(config) {
  const store = config.redisUrl ? redisStore({ url: config.redisUrl }) : memoryStore();
  // Without SESSION_SECRET, a random key per start (sessions end with the process).
  const secret = config.sessionSecret ?? randomBytes(32).toString('base64url');
  const secure = config.issuer.startsWith('https:');
  const session = signedCookieSession({ secret, secure });
  const resourceUris = exampleResourceUris(config.issuer);
  const oauth = oauthServer({
    issuer: config.issuer,
    clients: config.clients,
    grants: [
      clientCredentials(),
      authorizationCode(),
      refreshToken(),
      // Legacy (RFC 9700 §2.4): only for clients whose grant_types list "password".
      passwordGrant({ verifyUser: async (username, password) => findUser(config.users, username, password)?.username }),
      deviceAuthorization({ verificationUri: `${new URL(config.issuer).origin}/device`, interval: config.devicePollInterval }),
      // RFC 7523 §2.1: a JWT from an issuer of TRUSTED_ISSUERS_FILE (none by default) for a token
      // whose `sub` is the assertion's; for clients whose grant_types list it.
      jwtBearer({ trustedIssuers: config.trustedIssuers ?? [] }),
    ],
    store,
    // RFC 8707: the app's two resource servers. A token asked for one of them has it as its only
    // audience and is a JWT access token (RFC 9068); a token asked for without `resource` stays opaque.
    resources: [
      { uri: resourceUris.api, scopes: ['read', 'admin'], name: 'Example API' },
      { uri: resourceUris.mcp, scopes: ['mcp:tools'], name: 'Example MCP server' },
    ],
    // The keys that sign them are generated and rotated by the package. With Redis every instance
    // must sign with the same keys, so the private keys are kept in Redis too: a demo's choice
    // (whoever reads that Redis can sign tokens); a production app gives its own in `keys`.
    ...(config.redisUrl && { signingKeys: { keepPrivateKeysInStore: true } }),
    // DPoP (RFC 9449) is on: tokens asked for with a proof are bound to the client's key.
    ...(config.dpopRequireNonce && { dpop: { requireNonce: true, nonceSecret: config.dpopNonceSecret } }),
    // The app's own login decides who the user is; the package's default consent page asks them.
    authorization: {
      getUser: (req) => session.user(req),
      login: (_req, res, returnTo) => res.redirect(`/login?returnTo=${encodeURIComponent(returnTo)}`),
    },
    // Open dynamic client registration (RFC 7591) at /oauth/register, limited per address; a
    // registered client (an MCP client, say) may have `read` and `mcp:tools`, never `admin`.
    registration: { scopes: ['read', 'mcp:tools'] },
    // Client ID Metadata Documents: a client_id that is an https URL with a path is the URL of
    // the client's metadata, fetched by the server (MCP clients prefer this to registering);
    // such a client may have the same scopes as a registered one.
    clientIdMetadataDocuments: { allowHttpLoopback: config.clientMetadataAllowHttpLoopback === true, scopes: ['read', 'mcp:tools'] },
    // A private_key_jwt client's jwks_uri is client metadata too: fetched on loopback only with the same switch.
    clientFetch: { allowHttpLoopback: config.clientMetadataAllowHttpLoopback === true },
  });

  // The API also takes the opaque tokens issued without a resource, as it did before resources;
  // the MCP server only tokens for itself (MCP authorization: audience validation).
  const api = oauth.resource(resourceUris.api, { acceptTokensWithoutAudience: true });
  const mcp = oauth.resource(resourceUris.mcp);

  const app = express();
  app.disable('x-powered-by');
  // The API first: its requests, the most frequent, then pass no other router on their way.
  app.get('/api/hello', api.requireToken('read'), sendTokenDescription);
  app.get('/api/admin', api.requireToken('admin'), sendTokenDescription);
  app.use('/oauth', oauth);
  // RFC 8414 §3.1: the metadata of issuer …/oauth is at /.well-known/oauth-authorization-server/oauth.
  app.get(oauth.metadataPath, oauth.metadataHandler);
  app.use(loginRoutes({ users: config.users, session, limits: oauth.limits, csrf: loginCsrfToken({ secret, secure }), origins: ownOrigins(config) }));
  app.use(deviceRoutes());
  // RFC 9728 §3.1: /.well-known/oauth-protected-resource/api and …/mcp, named in every challenge (§5.1).
  for (const resource of [api, mcp]) app.get(resource.metadataPath, resource.metadataHandler);
  app.use(homeRoutes({ clients: config.clients, oauth, resources: [api, mcp] }));

  app.use(mcpRoutes(mcp.requireToken('mcp:tools')));

  // For a load balancer or orchestrator: 200 while the token store answers, 503 while it does not.
  app.get('/healthz', async (_req, res) => {
    const { ok } = await oauth.health();
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable' });
  });

  return { app, oauth, store };
}

/**
 * What the protected API answers: who the token speaks for.
 * @param {import('express').Request} req
 * @param {import('express').Response} res
 */
function sendTokenDescription(req, res) {
  res.json(describeToken(/** @type {import('..').TokenInfo} */ (req.oauth)));
}

/**
 * The identifiers of the app's resources (RFC 8707 §2), on the origin of ISSUER.
 * @param {string} issuer
 */
function exampleResourceUris(issuer) {
  const { origin } = new URL(issuer);
  return { api: `${origin}/api`, mcp: `${origin}/mcp` };
}

/**
 * The origins of the app's own pages: ISSUER's and, for an http ISSUER (local development), the
 * address it listens on, which its start-up line prints.
 * @param {{ issuer: string, host?: string, port?: number }} config
 */
function ownOrigins({ issuer, host, port }) {
  const origins = [new URL(issuer).origin];
  // PORT=0 (a port the system picks) is not known here.
  if (issuer.startsWith('http:') && host !== undefined && port) {
    origins.push(new URL(`http://${host.includes(':') ? `[${host}]` : host}:${port}`).origin);
  }
  return origins;
}

module.exports = { createApp };
