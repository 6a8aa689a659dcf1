import type { DeviceAuthorizationOptions } from '../grants/device-code';
import { renderDeviceResultPage } from '../pages/default-pages';
import type { PasswordGrantOptions } from '../grants/password';
import type { AttemptLimit } from '../limits/attempt-limiter';
import { checkFunction, checkOptionsObject, checkPositiveInteger, isHttpsOrLoopback, requireFunction, OptionPath, type KnownKeys } from './checks';
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
