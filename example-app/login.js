'use strict';
const { timingSafeEqual, createHash } = require('node:crypto');
const express = require('express');
const { fromOwnOrigin } = require('./login-csrf');

/**
 * The example-app's login: how a host app plugs its own users into the authorization endpoint.
 * GET /login shows the form; POST /login checks USERS_FILE and sends the user back to
 * `returnTo` (a path on this server, given by the authorization endpoint). Passwords are
 * checked under the server's per-username limit (`oauth.limits`), the same counters as the
 * password grant's: a username blocked at one is blocked at the other. Against login CSRF, a
 * sign-in needs the form's token (`csrf`) and, when the browser names them, this app's origin.
 * @param {{ users: { username: string, password: string }[], session: ReturnType<typeof import('./session').signedCookieSession>, limits: import('..').AttemptLimits, csrf: ReturnType<typeof import('./login-csrf').loginCsrfToken>, origins: string[] }} options
 */
function loginRoutes({ users, session, limits, csrf, origins }) {
  const router = express.Router();
  /**
   * @param {import('express').Response} res
   * @param {number} status
   * @param {string} returnTo
   * @param {string} message static HTML
   */
  const sendLoginPage = (res, status, returnTo, message) => sendLoginForm(res, status, returnTo, csrf.issue(res), message);

  router.get('/login', (req, res) => sendLoginPage(res, 200, localPath(req.query.returnTo), ''));

  router.post('/login', express.urlencoded({ extended: false, limit: '4kb' }), async (req, res) => {
    const { username, password, returnTo, csrf_token: csrfToken } = req.body ?? {};
    const target = localPath(decodeField(returnTo));
    // Login CSRF: no other page, not even one on another port of this host, signs the browser in
    // (as the attacker's account). Checked before the password, so a forged post counts no attempt.
    if (!fromOwnOrigin(req, origins) || !csrf.matches(req, csrfToken)) {
      return sendLoginPage(res, 403, target, '<p role="alert">Please sign in from this page.</p>');
    }
    const wrong = () => sendLoginPage(res, 401, target, '<p role="alert">Wrong username or password.</p>');
    // A username that is not one string names nobody: nothing to check, nothing to count.
    if (typeof username !== 'string') return wrong();
    let check;
    try {
      check = await limits.checkPassword(username, async () => findUser(users, username, password));
    } catch {
      return sendLoginPage(res, 503, target, '<p role="alert">Signing in is not possible right now. Please try again shortly.</p>');
    }
    if (check.outcome === 'blocked') {
      res.setHeader('Retry-After', String(check.retryAfterSeconds));
      return sendLoginPage(res, 429, target, '<p role="alert">Too many failed attempts for this username. Please wait a while and try again.</p>');
    }
    if (check.outcome === 'wrong') return wrong();
    session.signIn(res, check.user.username);
    res.redirect(303, target);
  });

  return router;
}

/**
 * The user of USERS_FILE with this username and password, or undefined. Every password is
 * compared (in constant time), so an unknown username takes as long as a wrong password.
 * @param {{ username: string, password: string }[]} users
 * @param {unknown} username
 * @param {unknown} password
 */
function findUser(users, username, password) {
  if (typeof password !== 'string') return undefined;
  let found;
  for (const user of users) {
    if (sameSecret(password, user.password) && user.username === username) found = user;
  }
  return found;
}

/**
 * Only a path on this server is followed after login, never another site (no open redirect).
 * @param {unknown} value
 */
function localPath(value) {
  return typeof value === 'string' && value.startsWith('/') && !value.startsWith('//') && !value.includes('\\') ? value : '/';
}

/**
 * The login form carries returnTo URI-encoded (see sendLoginPage).
 * @param {unknown} value
 */
function decodeField(value) {
  try {
    return typeof value === 'string' ? decodeURIComponent(value) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * @param {string} a
 * @param {string} b
 */
function sameSecret(a, b) {
  const digest = (/** @type {string} */ value) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * @param {import('express').Response} res
 * @param {number} status
 * @param {string} returnTo
 * @param {string} csrfToken base64url
 * @param {string} message static HTML
 */
function sendLoginForm(res, status, returnTo, csrfToken, message) {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
  // encodeURIComponent leaves no character that could end the attribute.
  res.status(status).type('html').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head>
<body>
<h1>Sign in</h1>${message}
<form method="post" action="/login">
<input type="hidden" name="returnTo" value="${encodeURIComponent(returnTo)}">
<input type="hidden" name="csrf_token" value="${csrfToken}">
<label>Username <input name="username" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form>
</body></html>`);
}

module.exports = { loginRoutes, findUser };
