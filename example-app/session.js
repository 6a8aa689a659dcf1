'use strict';
const { cookieName, readCookie } = require('./cookies');
const { signer } = require('./signing');

const LIFETIME_SECONDS = 3600;

/**
 * The example-app's login session: a signed cookie (HMAC-SHA256) naming the user, with an
 * expiry; no server-side state, so every instance with the same secret accepts it. The cookie
 * is HttpOnly and SameSite=Lax (sent on top-level navigations, such as the client's redirect to
 * /oauth/authorize, but not on cross-site POSTs); over https it is Secure and `__Host-example_session`.
 * @param {{ secret: string, secure: boolean }} options
 */
function signedCookieSession(options) {
  const { sign, verify } = signer(options.secret);
  const name = cookieName('example_session', options.secure);
  const attributes = `Path=/; HttpOnly; SameSite=Lax${options.secure ? '; Secure' : ''}`;

  return {
    /**
     * The signed-in username, or undefined.
     * @param {import('express').Request} req
     * @returns {string | undefined}
     */
    user(req) {
      const value = readCookie(req.headers.cookie, name);
      if (value === undefined) return undefined;
      const [payload, signature] = value.split('.');
      if (payload === undefined || signature === undefined || !verify(payload, signature)) return undefined;
      const { u, exp } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      return typeof u === 'string' && typeof exp === 'number' && exp > Date.now() / 1000 ? u : undefined;
    },

    /**
     * @param {import('express').Response} res
     * @param {string} username
     */
    signIn(res, username) {
      const payload = Buffer.from(JSON.stringify({ u: username, exp: Math.floor(Date.now() / 1000) + LIFETIME_SECONDS })).toString('base64url');
      res.append('Set-Cookie', `${name}=${payload}.${sign(payload)}; Max-Age=${LIFETIME_SECONDS}; ${attributes}`);
    },
  };
}

module.exports = { signedCookieSession };
