import { isLoopbackRedirectUri } from '../authorization/redirect-uri';
import { InvalidRedirectUriError } from '../errors';

export type ApplicationType = 'web' | 'native';

/** RFC 8252 §7.1: a private-use scheme in reverse domain name form, e.g. `com.example.app`. */
const PRIVATE_USE_SCHEME = /^[a-z][a-z0-9-]*(?:\.[a-z0-9-]+)+$/;

/**
 * The redirect URIs a client may register. Every one is absolute, without a fragment (RFC 6749
 * §3.1.2), and is
 * - an https URL (any client; RFC 8252 §7.2 for native apps), or
 * - an http URL on a loopback host (RFC 8252 §7.3; any port matches at authorization time), or
 * - for `native` applications only, a private-use scheme in reverse domain name form (RFC 8252 §7.1).
 * Anything else (plain http elsewhere, `javascript:`, `data:`, a scheme that is no domain) is refused.
 */
export function checkRedirectUris(value: unknown, applicationType: ApplicationType): string[] {
  if (!Array.isArray(value) || !value.every((uri) => typeof uri === 'string' && uri.length > 0)) {
    throw new InvalidRedirectUriError('redirect_uris must be an array of URIs.');
  }
  (value as string[]).forEach((uri, index) => checkRedirectUri(uri, applicationType, (problem) => new InvalidRedirectUriError(`redirect_uris[${index}] ${problem}.`)));
  return [...new Set(value as string[])];
}

/** `refused` names the URI by its place: the URI itself may hold characters error_description may not. */
function checkRedirectUri(uri: string, applicationType: ApplicationType, refused: (problem: string) => InvalidRedirectUriError): void {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw refused('is not an absolute URI');
  }
  // RFC 6749 §3.1.2: "The endpoint URI MUST NOT include a fragment component."
  if (uri.includes('#')) throw refused('has a fragment');
  if (url.username !== '' || url.password !== '') throw refused('has user information');
  const scheme = url.protocol.slice(0, -1);
  if (scheme === 'https') return;
  if (scheme === 'http') {
    if (isLoopbackRedirectUri(uri)) return;
    throw refused('uses http on a host that is not loopback (127.0.0.1, [::1], localhost)');
  }
  if (!PRIVATE_USE_SCHEME.test(scheme)) throw refused('has a scheme that is neither https, loopback http, nor a reverse domain name (RFC 8252 section 7.1)');
  if (applicationType !== 'native') throw refused('has a private-use scheme, which only a native application_type may register');
}
