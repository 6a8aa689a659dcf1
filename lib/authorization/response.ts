/**
 * The URI the user agent is sent to: the redirect URI with the response parameters added to
 * its query, keeping the query it already has (RFC 6749 §3.1.2, §4.1.2). Absent values are left out.
 */
export function authorizationResponseUri(redirectUri: string, params: Readonly<Record<string, string | undefined>>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined) query.append(name, value);
  }
  const separator = !redirectUri.includes('?') ? '?' : /[?&]$/.test(redirectUri) ? '' : '&';
  return redirectUri + separator + query.toString();
}
