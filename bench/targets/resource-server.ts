import type express from 'express';
import { resourceServer } from 'express-oauth2-server';
import { CLIENT_ID, ISSUER_PATH, JWT_RESOURCE, RESOURCE_PATH, SCOPE, type BuiltApp, type ServerSettings } from '../common';
import { issuerApp } from './jwt-bearer';
import { oursServer } from './ours';

/**
 * The package's `resourceServer()`: `requireToken` for an app that does not run the authorization
 * server. Here the authorization server runs in the same process, on the same port, so that one
 * child process is one server as elsewhere; the resource server still reaches it only through
 * HTTP (RFC 8414 discovery, then the JWKS or the introspection endpoint), on loopback
 * (`allowHttpLoopback`).
 *
 * - `introspection: false`: JWT access tokens for JWT_RESOURCE, verified against `jwks_uri`;
 *   the issuer is the one express-oauth2-jwt-bearer checks (ours, or the jose issuer while ours
 *   cannot sign), so both check the same token.
 * - `introspection: true`: ours issues opaque tokens (without a resource), checked at the RFC 7662
 *   endpoint with the bench client's credentials, answers kept in its bounded cache
 *   (`acceptTokensWithoutAudience`, since these tokens have no `aud`).
 */
export async function build(settings: ServerSettings, { introspection }: { introspection: boolean }): Promise<BuiltApp> {
  const { app, close } = introspection ? await introspectionIssuer(settings) : await issuerApp(settings);
  const api = resourceServer({
    issuer: `http://127.0.0.1:${settings.port}${ISSUER_PATH}`,
    resource: JWT_RESOURCE,
    allowHttpLoopback: true,
    ...(introspection && { introspection: { clientId: CLIENT_ID, clientSecret: settings.clientSecret }, acceptTokensWithoutAudience: true }),
  });
  app.get(RESOURCE_PATH, api.requireToken(SCOPE), (req, res) => {
    res.json({ ok: true, client: req.oauth?.clientId });
  });
  return {
    handler: app,
    close: async () => {
      await api.close();
      await close();
    },
  };
}

/** Ours with opaque tokens, its RFC 8414 metadata mounted at the path-insertion URL, where discovery looks. */
async function introspectionIssuer(settings: ServerSettings): Promise<{ app: express.Express; close(): Promise<void> }> {
  const { app, oauth } = await oursServer(settings);
  app.get(oauth.metadataPath, oauth.metadataHandler);
  return { app, close: () => oauth.close() };
}
