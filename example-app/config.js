'use strict';
const { readFileSync } = require('node:fs');
const path = require('node:path');
const { withDemoClient } = require('./demo-client');

/**
 * The example-app's configuration, from the environment (see shared/example-app-contract.md).
 * Every problem is thrown as an Error whose message is one line naming it.
 * @param {NodeJS.ProcessEnv} env
 */
function readConfig(env) {
  const port = env.PORT === undefined ? 3000 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, got ${JSON.stringify(env.PORT)}`);
  const host = env.HOST || '127.0.0.1';
  const issuer = env.ISSUER || `http://localhost:${port}/oauth`;
  const clientsFile = env.CLIENTS_FILE || path.join(__dirname, 'clients.json');
  const usersFile = env.USERS_FILE || path.join(__dirname, 'users.json');
  return {
    port,
    host,
    issuer,
    redisUrl: env.REDIS_URL || undefined,
    clientsFile,
    // The home page's PKCE demo client is added to those of the file.
    clients: withDemoClient(readJsonArray(clientsFile, 'CLIENTS_FILE'), issuer),
    users: readUsers(usersFile),
    // Seconds a device must wait between polls (RFC 8628 §3.2); default 5.
    devicePollInterval: readPositiveInteger(env.DEVICE_POLL_INTERVAL, 'DEVICE_POLL_INTERVAL'),
    // Signs the login cookies; without it, a random key per start (sessions end with the process).
    sessionSecret: env.SESSION_SECRET || undefined,
    // RFC 9449 §8, §9: DPOP_REQUIRE_NONCE=1 makes DPoP proofs carry a server nonce; the nonces'
    // key (DPOP_NONCE_SECRET, 32 characters or more) must be the same on every instance.
    dpopRequireNonce: env.DPOP_REQUIRE_NONCE === '1',
    dpopNonceSecret: env.DPOP_NONCE_SECRET || undefined,
    // RFC 7523 §2.1: the issuers whose JWT assertions the JWT bearer grant accepts; none by default.
    trustedIssuers: env.TRUSTED_ISSUERS_FILE ? readTrustedIssuers(env.TRUSTED_ISSUERS_FILE) : [],
    // Development only: CLIENT_METADATA_ALLOW_HTTP_LOOPBACK=1 lets Client ID Metadata Documents be
    // served on loopback (http://127.0.0.1:<port>/…, http://localhost:<port>/…); off by default.
    clientMetadataAllowHttpLoopback: env.CLIENT_METADATA_ALLOW_HTTP_LOOPBACK === '1',
  };
}

/**
 * TRUSTED_ISSUERS_FILE: `[{ "issuer": "…", "jwks": { "keys": […] } }]` (or `"jwks_uri"` instead
 * of `"jwks"`); the keys themselves are checked by the package at start-up.
 * @param {string} file
 * @returns {import('..').TrustedIssuer[]}
 */
function readTrustedIssuers(file) {
  const issuers = readJsonArray(file, 'TRUSTED_ISSUERS_FILE');
  issuers.forEach((entry, index) => {
    if (typeof entry?.issuer !== 'string' || entry.issuer === '' || (entry.jwks === undefined) === (entry.jwks_uri === undefined)) {
      throw new Error(`TRUSTED_ISSUERS_FILE ${file}: entry ${index} needs a non-empty string issuer and one of jwks and jwks_uri`);
    }
  });
  return issuers;
}

/**
 * @param {string | undefined} value
 * @param {string} variable
 * @returns {number | undefined}
 */
function readPositiveInteger(value, variable) {
  if (value === undefined || value === '') return undefined;
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number <= 0) throw new Error(`${variable} must be a positive whole number, got ${JSON.stringify(value)}`);
  return number;
}

/**
 * USERS_FILE: `[{ "username": "…", "password": "…" }]`.
 * @param {string} file
 * @returns {{ username: string, password: string }[]}
 */
function readUsers(file) {
  const users = readJsonArray(file, 'USERS_FILE');
  users.forEach((user, index) => {
    if (typeof user?.username !== 'string' || user.username === '' || typeof user.password !== 'string' || user.password === '') {
      throw new Error(`USERS_FILE ${file}: entry ${index} needs a non-empty string username and password`);
    }
  });
  return users;
}

/**
 * @param {string} file
 * @param {string} variable
 * @returns {any[]}
 */
function readJsonArray(file, variable) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`${variable} ${file} cannot be read: ${/** @type {NodeJS.ErrnoException} */ (error).code ?? String(error)}`);
  }
  let value;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${variable} ${file} is not valid JSON: ${/** @type {Error} */ (error).message}`);
  }
  if (!Array.isArray(value)) throw new Error(`${variable} ${file} must hold a JSON array`);
  return value;
}

module.exports = { readConfig, readJsonArray };
