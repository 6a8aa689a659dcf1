'use strict';
const { randomBytes } = require('node:crypto');
const { cookieName, readCookie } = require('./cookies');
const { signer } = require('./signing');

const LIFETIME_SECONDS = 600;

/**
 * The login form's CSRF token, bound to the browser before anyone signs in: each login page
 * sets a random nonce in an HttpOnly, SameSite=Strict cookie and puts the nonce's HMAC in the
 * form; a sign-in must bring both. Another site can neither read the cookie nor sign a nonce.
 * Over https the cookie is `__Host-login_csrf` (Path=/); over http it is sent to /login only.
 * @param {{ secret: string, secure: boolean }} options
 */
function loginCsrfToken(options) {
  const { sign, verify } = signer(options.secret);
  const name = cookieName('login_csrf', options.secure);
  const attributes = options.secure ? 'Path=/; HttpOnly; SameSite=Strict; Secure' : 'Path=/login; HttpOnly; SameSite=Strict';
  // Its own label, so that no session signature is ever a valid form token.
  const signed = (/** @type {string} */ nonce) => `login-csrf.${nonce}`;

  return {
    /**
     * Sets a fresh cookie and returns the token for the form.
     * @param {import('express').Response} res
     */
    issue(res) {
      const nonce = randomBytes(32).toString('base64url');
      res.append('Set-Cookie', `${name}=${nonce}; Max-Age=${LIFETIME_SECONDS}; ${attributes}`);
      return sign(signed(nonce));
    },

    /**
     * Whether the form's token was issued with the browser's cookie.
     * @param {import('express').Request} req
     * @param {unknown} token
     */
    matches(req, token) {
      const nonce = readCookie(req.headers.cookie, name);
      return nonce !== undefined && nonce !== '' && typeof token === 'string' && verify(signed(nonce), token);
    },
  };
}

/**
 * Whether a browser says the request comes from a page of this app: `Sec-Fetch-Site`, when
 * sent, is `same-origin` (a page on another port of this host is `same-site`), and `Origin`,
 * when sent, is one of `origins`. A request with neither (an old browser, curl) passes here.
 * @param {import('express').Request} req
 * @param {string[]} origins
 */
function fromOwnOrigin(req, origins) {
  const site = req.get('sec-fetch-site');
  const origin = req.get('origin');
  return (site === undefined || site === 'same-origin') && (origin === undefined || origins.includes(origin));
}

module.exports = { loginCsrfToken, fromOwnOrigin };
