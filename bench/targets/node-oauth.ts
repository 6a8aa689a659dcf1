import express from 'express';
import ExpressOAuthServer from '@node-oauth/express-oauth-server';
import type { Client, Token } from '@node-oauth/oauth2-server';
import {
  CLIENT_ID,
  RESOURCE_PATH,
  SCOPE,
  TOKEN_LIFETIME,
  TOKEN_PATH,
  tokenRepo,
  verifySecret,
  type BuiltApp,
  type ServerSettings,
} from '../common';

/**
 * @node-oauth/oauth2-server through its Express integration, @node-oauth/express-oauth-server
 * (it installs and runs on Express 5), with the model its docs ask for the client credentials
 * grant: getClient, getUserFromClient, validateScope, saveToken, and getAccessToken +
 * verifyScope for `authenticate()`. Its own token generator and option defaults are kept.
 * Tokens go to the same Redis (or a Map) under their SHA-256, as ours.
 */
export async function build(settings: ServerSettings): Promise<BuiltApp> {
  const tokens = tokenRepo(settings.store, settings.redisUrl);
  const client = { id: CLIENT_ID, grants: ['client_credentials'], scope: [SCOPE] };

  const oauth = new ExpressOAuthServer({
    accessTokenLifetime: TOKEN_LIFETIME,
    model: {
      async getClient(clientId: string, clientSecret: string) {
        if (clientId !== CLIENT_ID || !verifySecret(clientSecret, settings.clientSecretHash)) return false;
        return client;
      },
      // The library's client credentials grant needs a "user"; the client acts for itself.
      async getUserFromClient(c: Client) {
        return { id: c.id };
      },
      async validateScope(_user: unknown, c: Client, scope?: string[]) {
        const allowed = c.scope as string[];
        const requested = scope ?? allowed;
        return requested.every((s) => allowed.includes(s)) ? requested : false;
      },
      async saveToken(token: Token, c: Client, user: { id: string }) {
        const expiresAt = Math.floor((token.accessTokenExpiresAt as Date).getTime() / 1000);
        await tokens.save(token.accessToken, { clientId: c.id, scope: token.scope ?? [], expiresAt });
        return { ...token, client: c, user };
      },
      async getAccessToken(accessToken: string) {
        const record = await tokens.find(accessToken);
        if (record === undefined) return false;
        return {
          accessToken,
          accessTokenExpiresAt: new Date(record.expiresAt * 1000),
          scope: record.scope,
          client: { id: record.clientId, grants: ['client_credentials'] },
          user: { id: record.clientId },
        };
      },
      async verifyScope(token: Token, scope: string[]) {
        return scope.every((s) => (token.scope ?? []).includes(s));
      },
    },
  });

  const app = express();
  app.post(TOKEN_PATH, express.urlencoded({ extended: false }), oauth.token());
  app.get(RESOURCE_PATH, oauth.authenticate({ scope: [SCOPE] }), (_req, res) => {
    res.json({ ok: true, client: (res.locals.oauth as { token: { client: { id: string } } }).token.client.id });
  });
  return { handler: app, close: () => tokens.close() };
}
