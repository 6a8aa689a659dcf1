import type { DeviceAuthorizationOptions } from '../grants/device-code';
import { renderDeviceResultPage } from '../pages/default-pages';
import type { PasswordGrantOptions } from '../grants/password';
import type { AttemptLimit } from '../limits/attempt-limiter';
import type { JwtBearerOptions, TrustedIssuer } from '../grants/jwt-bearer';
import type { KeySource } from '../assertions/key-sets';
import { checkKeySource } from '../assertions/key-source';
import { checkFunction, checkOptionsObject, checkPositiveInteger, requireFunction, OptionPath, type KnownKeys } from './checks';
import { isHttpsOrLoopback } from '../http/address-policy';
import { checkAttemptLimit } from './limits';
import { DEFAULT_PASSWORD_LIMIT } from '../limits/password-limits';

/** The options of the grant factories, named as oauthServer's errors name them (`deviceAuthorization.interval`). */
const DEVICE = new OptionPath('oauthServer', 'deviceAuthorization');
const PASSWORD = new OptionPath('oauthServer', 'passwordGrant');

export type CheckedDeviceOptions = Required<Omit<DeviceAuthorizationOptions, 'perAddress'>> & { perAddress: AttemptLimit | false };

const DEVICE_KEYS: KnownKeys<DeviceAuthorizationOptions> = {
  verificationUri: true, codeLifetime: true, interval: true, perAddress: true, maxPendingPerClient: true, maxPendingPerAddress: true, renderResult: true,
};
const DEFAULT_USER_CODE_LIMIT: AttemptLimit = { points: 10, durationSeconds: 600, blockSeconds: 600 };

export function checkDeviceOptions(value: unknown): CheckedDeviceOptions {
  if (value === undefined) throw DEVICE.error('needs { verificationUri }');
  const options = checkOptionsObject(DEVICE, value, DEVICE_KEYS, '{ verificationUri, … }');
  return {
    verificationUri: checkVerificationUri(DEVICE.at('verificationUri'), options.verificationUri),
    codeLifetime: checkPositiveInteger(DEVICE.at('codeLifetime'), options.codeLifetime, 600),
    interval: checkPositiveInteger(DEVICE.at('interval'), options.interval, 5),
    perAddress: checkAttemptLimit(DEVICE.at('perAddress'), options.perAddress, DEFAULT_USER_CODE_LIMIT),
    maxPendingPerClient: checkPositiveInteger(DEVICE.at('maxPendingPerClient'), options.maxPendingPerClient, 1000),
    maxPendingPerAddress: checkPositiveInteger(DEVICE.at('maxPendingPerAddress'), options.maxPendingPerAddress, 100),
    renderResult: checkFunction(DEVICE.at('renderResult'), options.renderResult) ?? renderDeviceResultPage,
  };
}

function checkVerificationUri(at: OptionPath, value: unknown): string {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || url.hash !== '' || !isHttpsOrLoopback(url)) {
    throw at.error('must be the absolute https URL of your code entry page, e.g. "https://example.com/device"');
  }
  return value as string;
}

export type CheckedPasswordOptions = Pick<PasswordGrantOptions, 'verifyUser'> & { perUsername: AttemptLimit | false };

const PASSWORD_KEYS: KnownKeys<PasswordGrantOptions> = { verifyUser: true, perUsername: true };

export function checkPasswordOptions(value: unknown): CheckedPasswordOptions {
  if (value === undefined) throw PASSWORD.error('needs { verifyUser(username, password) }');
  const options = checkOptionsObject(PASSWORD, value, PASSWORD_KEYS, '{ verifyUser(username, password), perUsername? }');
  return {
    verifyUser: requireFunction(PASSWORD.at('verifyUser'), options.verifyUser, 'async (username, password) => user id or undefined'),
    perUsername: checkAttemptLimit(PASSWORD.at('perUsername'), options.perUsername, DEFAULT_PASSWORD_LIMIT),
  };
}

const JWT_BEARER = new OptionPath('oauthServer', 'jwtBearer');
const JWT_BEARER_KEYS: KnownKeys<JwtBearerOptions> = { trustedIssuers: true, mapSubject: true };
const TRUSTED_ISSUER_KEYS: KnownKeys<TrustedIssuer> = { issuer: true, jwks: true, jwks_uri: true };

export interface CheckedJwtBearerOptions {
  trustedIssuers: readonly CheckedTrustedIssuer[];
  mapSubject?: JwtBearerOptions['mapSubject'];
}

export interface CheckedTrustedIssuer extends KeySource {
  readonly issuer: string;
}

/** The JWT bearer grant's options (RFC 7523 §2.1): each trusted issuer with its public keys, inline or published. */
export function checkJwtBearerOptions(value: unknown): CheckedJwtBearerOptions {
  if (value === undefined) throw JWT_BEARER.error('needs { trustedIssuers: [{ issuer, jwks | jwks_uri }] }');
  const options = checkOptionsObject(JWT_BEARER, value, JWT_BEARER_KEYS, '{ trustedIssuers, mapSubject? }');
  const at = JWT_BEARER.at('trustedIssuers');
  // An empty list trusts no one yet: every assertion is refused.
  if (!Array.isArray(options.trustedIssuers)) throw at.error('must be an array of { issuer, jwks | jwks_uri }');
  const seen = new Set<string>();
  const trustedIssuers = (options.trustedIssuers as unknown[]).map((entry, index) => {
    const entryAt = at.at(String(index));
    const trusted = checkOptionsObject(entryAt, entry, TRUSTED_ISSUER_KEYS, '{ issuer, jwks | jwks_uri }');
    if (typeof trusted.issuer !== 'string' || trusted.issuer.length === 0) throw entryAt.at('issuer').error('must be the non-empty `iss` of the assertions');
    if (seen.has(trusted.issuer)) throw entryAt.at('issuer').error(`lists ${JSON.stringify(trusted.issuer)} twice`);
    seen.add(trusted.issuer);
    const notOne = () => {
      throw entryAt.error('needs exactly one of jwks and jwks_uri');
    };
    const keys = checkKeySource(
      trusted,
      {
        both: notOne,
        neither: notOne,
        jwks: (problem) => {
          throw entryAt.at('jwks').error(problem);
        },
        jwksUri: () => {
          // https, or http on localhost: fetched by the server's guarded fetch, which takes loopback only with `clientFetch.allowHttpLoopback`.
          throw entryAt.at('jwks_uri').error('must be an absolute https URL without fragment (http only on localhost)');
        },
      },
      { httpsOnly: false },
    );
    return { issuer: trusted.issuer, ...keys };
  });
  return {
    trustedIssuers,
    ...(options.mapSubject !== undefined && { mapSubject: checkFunction(JWT_BEARER.at('mapSubject'), options.mapSubject) }),
  };
}
