/**
 * RFC 6749 §3.1.2.3, RFC 9700 §4.1.3: a redirect URI must equal a registered one, by exact
 * string comparison, but for the port of an http loopback URI (RFC 8252 §7.3): a native app
 * listens on whatever port the system gives it.
 */
export function isRegisteredRedirectUri(registered: readonly string[], given: string): boolean {
  if (registered.includes(given)) return true;
  const portless = withoutLoopbackPort(given);
  return portless !== undefined && registered.some((uri) => withoutLoopbackPort(uri) === portless);
}

/**
 * RFC 8252 §7.3: http on 127.0.0.1 or [::1]; also `localhost` (§8.3 says NOT RECOMMENDED, but
 * it may be registered). The authority must end at the port: no userinfo, no longer host name.
 */
const LOOPBACK_URI = /^http:\/\/(127\.0\.0\.1|\[::1\]|localhost)(?::([1-9][0-9]{0,4}))?([/?].*)?$/;

/** The URI with its port left out, when it is an http loopback URI; the rest stays as written. */
function withoutLoopbackPort(uri: string): string | undefined {
  const match = LOOPBACK_URI.exec(uri);
  if (match === null || Number(match[2] ?? 80) > 65535) return undefined;
  return `http://${match[1]}${match[3] ?? ''}`;
}

/** RFC 8252 §7.3: an http URI on a loopback host (127.0.0.1, [::1], localhost), which matches on any port. */
export function isLoopbackRedirectUri(uri: string): boolean {
  return withoutLoopbackPort(uri) !== undefined;
}
