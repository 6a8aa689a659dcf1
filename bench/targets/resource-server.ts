import type { RequestHandler } from 'express';
import * as pkg from 'express-oauth2-server';
import { CLIENT_ID, ISSUER_PATH, JWT_RESOURCE, RESOURCE_PATH, SCOPE, type BuiltApp, type ServerSettings } from '../common';
import { oursServer } from './ours';

/** The part of `resourceServer()` (issue 14) that the bench uses. */
type ResourceServerFactory = (options: Record<string, unknown>) => { requireToken(scope: string): RequestHandler; close(): Promise<void> };

/**
 * The package's `resourceServer()`: `requireToken` for an app that does not run the authorization
 * server. Here the authorization server (ours) runs in the same process, on the same port, so
 * that one child process is one server as elsewhere; the resource server still reaches it only
 * through HTTP (RFC 8414 discovery, then the JWKS or the introspection endpoint), on loopback
 * (`allowHttpLoopback`).
 *
 * - `introspection: false`: JWT access tokens for JWT_RESOURCE, verified against `jwks_uri`.
 * - `introspection: true`: opaque tokens (issued without a resource) checked at the RFC 7662
 *   endpoint with the bench client's credentials, answers kept in its bounded cache
 *   (`acceptTokensWithoutAudience`, since these tokens have no `aud`).
 *
 * Throws, naming what is missing, while `resourceServer` is not exported by this build of the package.
 */
export async function build(settings: ServerSettings, { introspection }: { introspection: boolean }): Promise<BuiltApp> {
  const resourceServer = (pkg as unknown as { resourceServer?: ResourceServerFactory }).resourceServer;
  if (typeof resourceServer !== 'function') throw new Error('resourceServer() is not exported by express-oauth2-server on this branch (lib/resource/resource-server.ts not merged yet)');
  const { app, oauth } = await oursServer(settings, { jwt: !introspection });
  // Without `jwt`, ours does not mount its RFC 8414 metadata at the path-insertion URL: the resource server needs it.
  if (introspection) app.get(oauth.metadataPath, oauth.metadataHandler);
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
      await oauth.close();
    },
  };
}
