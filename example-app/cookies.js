'use strict';

/**
 * A cookie's name: over https with the `__Host-` prefix, which browsers accept only with Secure,
 * Path=/ and no Domain (RFC 6265bis §4.1.3.2), so no other host or subdomain can set it; over
 * http (local development) the plain name, since browsers refuse `__Host-` without Secure.
 * @param {string} name
 * @param {boolean} secure
 */
function cookieName(name, secure) {
  return secure ? `__Host-${name}` : name;
}

/**
 * The value of the first cookie with this name in a Cookie header, or undefined.
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

module.exports = { cookieName, readCookie };
