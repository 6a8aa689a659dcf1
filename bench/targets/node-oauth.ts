import express from 'express';
import ExpressOAuthServer from '@node-oauth/express-oauth-server';
import type { AuthorizationCode, Client, RefreshToken, Token, User } from '@node-oauth/oauth2-server';
import {
  AUTHORIZE_PATH,
  BENCH_USER,
  CLIENT_ID,
  CODE_LIFETIME,
  REDIRECT_URI,
  RESOURCE_PATH,
  SCOPE,
  TOKEN_LIFETIME,
  TOKEN_PATH,
  peerStore,
  verifySecret,
  type BuiltApp,
  type ServerSettings,
} from '../common';

const seconds = (date: Date | undefined) => Math.floor((date as Date).getTime() / 1000);
const clientOf = (id: string): Client => ({ id, grants: [] });

/**
 * @node-oauth/oauth2-server through its Express integration, @node-oauth/express-oauth-server
 * (it installs and runs on Express 5), with the model its docs ask for the grants measured:
 * client credentials (getClient, getUserFromClient, validateScope, saveToken), authorization
 * code (saveAuthorizationCode, getAuthorizationCode, revokeAuthorizationCode; it checks PKCE
 * itself), refresh token (getRefreshToken, revokeToken: it issues a new refresh token on each
 * use by default), and getAccessToken + verifyScope for `authenticate()`. Its own token
 * generator and option defaults are kept. Tokens and codes go to the same Redis (or Maps)
 * under their SHA-256, as ours. Its `authorize()` gets an authenticateHandler that returns the
 * signed-in bench user, and grants at once (it has no consent step of its own).
 */
export async function build(settings: ServerSettings): Promise<BuiltApp> {
  const store = peerStore(settings.store, settings.redisUrl);
  const client = { id: CLIENT_ID, grants: ['client_credentials', 'authorization_code', 'refresh_token'], redirectUris: [REDIRECT_URI], scope: [SCOPE] };

  const oauth = new ExpressOAuthServer({
    accessTokenLifetime: TOKEN_LIFETIME,
    authorizationCodeLifetime: CODE_LIFETIME,
    model: {
      // The authorize endpoint looks the client up without a secret (clientSecret is null there).
      async getClient(clientId: string, clientSecret: string | null) {
        if (clientId !== CLIENT_ID || (clientSecret !== null && !verifySecret(clientSecret, settings.clientSecretHash))) return false;
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
      async saveToken(token: Token, c: Client, user: User) {
        const record = { clientId: c.id, scope: token.scope ?? [], sub: user.id as string };
        await Promise.all([
          store.accessTokens.save(token.accessToken, { ...record, expiresAt: seconds(token.accessTokenExpiresAt) }),
          token.refreshToken === undefined ? undefined : store.refreshTokens.save(token.refreshToken, { ...record, expiresAt: seconds(token.refreshTokenExpiresAt) }),
        ]);
        return { ...token, client: c, user };
      },
      async getAccessToken(accessToken: string) {
        const record = await store.accessTokens.find(accessToken);
        if (record === undefined) return false;
        return {
          accessToken,
          accessTokenExpiresAt: new Date(record.expiresAt * 1000),
          scope: record.scope,
          client: clientOf(record.clientId),
          user: { id: record.sub ?? record.clientId },
        };
      },
      async verifyScope(token: Token, scope: string[]) {
        return scope.every((s) => (token.scope ?? []).includes(s));
      },
      async saveAuthorizationCode(code: Pick<AuthorizationCode, 'authorizationCode' | 'expiresAt' | 'redirectUri' | 'scope' | 'codeChallenge' | 'codeChallengeMethod'>, c: Client, user: User) {
        const { authorizationCode, expiresAt, redirectUri, scope, codeChallenge, codeChallengeMethod } = code;
        await store.codes.save(authorizationCode, { clientId: c.id, sub: user.id as string, scope: scope ?? [], redirectUri, codeChallenge, codeChallengeMethod, expiresAt: seconds(expiresAt) });
        return { ...code, client: c, user };
      },
      async getAuthorizationCode(authorizationCode: string) {
        const record = await store.codes.find(authorizationCode);
        if (record === undefined) return false;
        const { clientId, sub, scope, redirectUri, codeChallenge, codeChallengeMethod, expiresAt } = record;
        return { authorizationCode, expiresAt: new Date(expiresAt * 1000), redirectUri, scope, codeChallenge, codeChallengeMethod, client: clientOf(clientId), user: { id: sub } };
      },
      async revokeAuthorizationCode(code: AuthorizationCode) {
        return store.codes.remove(code.authorizationCode);
      },
      async getRefreshToken(refreshToken: string) {
        const record = await store.refreshTokens.find(refreshToken);
        if (record === undefined) return false;
        return { refreshToken, refreshTokenExpiresAt: new Date(record.expiresAt * 1000), scope: record.scope, client: clientOf(record.clientId), user: { id: record.sub } };
      },
      async revokeToken(token: RefreshToken) {
        return store.refreshTokens.remove(token.refreshToken);
      },
    },
  });

  const app = express();
  app.get(AUTHORIZE_PATH, oauth.authorize({ authenticateHandler: { handle: () => ({ id: BENCH_USER }) } }));
  app.post(TOKEN_PATH, express.urlencoded({ extended: false }), oauth.token());
  app.get(RESOURCE_PATH, oauth.authenticate({ scope: [SCOPE] }), (_req, res) => {
    res.json({ ok: true, client: (res.locals.oauth as { token: { client: { id: string } } }).token.client.id });
  });
  return { handler: app, close: () => store.close() };
}
