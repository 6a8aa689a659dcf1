'use strict';
const { createHmac, randomBytes, timingSafeEqual } = require('node:crypto');

const COOKIE = 'example_session';
const LIFETIME_SECONDS = 3600;

/**
 * The example-app's login session: a signed cookie (HMAC-SHA256) naming the user, with an
 * expiry; no server-side state, so every instance with the same secret accepts it. The cookie
 * is HttpOnly and SameSite=Lax (sent on top-level navigations, such as the client's redirect to
 * /oauth/authorize, but not on cross-site POSTs), and Secure when the app is served over https.
 * @param {{ secret?: string, secure: boolean }} options
 */
function signedCookieSession(options) {
  const key = options.secret ?? randomBytes(32).toString('base64url');
  const attributes = `Path=/; HttpOnly; SameSite=Lax${options.secure ? '; Secure' : ''}`;

  /** @param {string} payload */
  const sign = (payload) => createHmac('sha256', key).update(payload).digest('base64url');

  return {
    /**
     * The signed-in username, or undefined.
     * @param {import('express').Request} req
     * @returns {string | undefined}
     */
    user(req) {
      const value = readCookie(req.headers.cookie, COOKIE);
      if (value === undefined) return undefined;
      const [payload, signature] = value.split('.');
      if (payload === undefined || signature === undefined) return undefined;
      const expected = Buffer.from(sign(payload));
      const given = Buffer.from(signature);
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
      const { u, exp } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      return typeof u === 'string' && typeof exp === 'number' && exp > Date.now() / 1000 ? u : undefined;
    },

    /**
     * @param {import('express').Response} res
     * @param {string} username
     */
    signIn(res, username) {
      const payload = Buffer.from(JSON.stringify({ u: username, exp: Math.floor(Date.now() / 1000) + LIFETIME_SECONDS })).toString('base64url');
      res.append('Set-Cookie', `${COOKIE}=${payload}.${sign(payload)}; Max-Age=${LIFETIME_SECONDS}; ${attributes}`);
    },
  };
}

/**
 * @param {string | undefined} header
 * @param {string} name
 */
function readCookie(header, name) {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

module.exports = { signedCookieSession };
