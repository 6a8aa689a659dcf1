import type { PkcePolicy } from '../authorization/request';
import type { AuthorizationOptions } from '../endpoints/authorization-options';
import { renderConsentPage, renderErrorPage } from '../endpoints/pages';
import { checkBoolean, checkFunction, checkNonNegativeInteger, checkOptionsObject, checkPositiveInteger, requireFunction, OptionPath, type KnownKeys } from './checks';

export type CheckedAuthorizationOptions = Required<Omit<AuthorizationOptions, 'pkce'>> & { pkce: PkcePolicy };

const AUTHORIZATION_KEYS: KnownKeys<AuthorizationOptions> = {
  getUser: true, login: true, renderConsent: true, renderError: true,
  codeLifetime: true, consentLifetime: true, maxPendingConsents: true, maxStateLength: true, rememberConsent: true, pkce: true,
};
const PKCE_KEYS: KnownKeys<NonNullable<AuthorizationOptions['pkce']>> = { requireForConfidentialClients: true, allowPlain: true };

export function checkAuthorizationOptions(at: OptionPath, value: unknown): CheckedAuthorizationOptions {
  if (value === undefined) {
    throw at.error('is required with authorizationCode() and deviceAuthorization(): give at least { getUser(req), login(req, res, returnTo) }');
  }
  const options = checkOptionsObject(at, value, AUTHORIZATION_KEYS, '{ getUser(req), login(req, res, returnTo), … }');
  const pkce = checkOptionsObject(at.at('pkce'), options.pkce, PKCE_KEYS, '{ requireForConfidentialClients, allowPlain }');
  return {
    getUser: requireFunction(at.at('getUser'), options.getUser, 'a function'),
    login: requireFunction(at.at('login'), options.login, 'a function'),
    renderConsent: checkFunction(at.at('renderConsent'), options.renderConsent) ?? renderConsentPage,
    renderError: checkFunction(at.at('renderError'), options.renderError) ?? renderErrorPage,
    codeLifetime: checkPositiveInteger(at.at('codeLifetime'), options.codeLifetime, 60),
    consentLifetime: checkPositiveInteger(at.at('consentLifetime'), options.consentLifetime, 600),
    maxPendingConsents: checkPositiveInteger(at.at('maxPendingConsents'), options.maxPendingConsents, 20),
    maxStateLength: checkPositiveInteger(at.at('maxStateLength'), options.maxStateLength, 1024),
    rememberConsent: checkNonNegativeInteger(at.at('rememberConsent'), options.rememberConsent, 0),
    pkce: {
      requireForConfidentialClients: checkBoolean(at.at('pkce').at('requireForConfidentialClients'), pkce.requireForConfidentialClients, true),
      allowPlain: checkBoolean(at.at('pkce').at('allowPlain'), pkce.allowPlain, false),
    },
  };
}
