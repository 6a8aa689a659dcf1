/** The client id and secret of a Basic `Authorization` header, decoded. */
export interface BasicCredentials {
  clientId: string;
  clientSecret: string;
}

/** True when the Authorization header uses the Basic scheme (scheme names are case-insensitive, RFC 7235 §2.1). */
export function usesBasicScheme(authorization: string | undefined): boolean {
  return authorization !== undefined && /^basic(?: |$)/i.test(authorization);
}

const TOKEN68 = /^[A-Za-z0-9+/]+=*$/;

/**
 * Reads `client_secret_basic` credentials. passport-http splits the decoded pair at every
 * `:` (its issue #20) and does not form-urldecode, so the pair is read again here:
 * - RFC 7617 §2: the user-id ends at the first colon; the password may contain colons.
 * - RFC 6749 §2.3.1: id and secret are application/x-www-form-urlencoded before encoding.
 */
export function parseBasicCredentials(authorization: string | undefined): BasicCredentials | undefined {
  if (!usesBasicScheme(authorization)) return undefined;
  const encoded = (authorization as string).slice(6).trim();
  if (!TOKEN68.test(encoded)) return undefined;
  const pair = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = pair.indexOf(':');
  if (colon < 0) return undefined;
  const clientId = formUrlDecode(pair.slice(0, colon));
  const clientSecret = formUrlDecode(pair.slice(colon + 1));
  if (!clientId || !clientSecret) return undefined;
  return { clientId, clientSecret };
}

/** application/x-www-form-urlencoded decoding of one value; undefined when malformed. */
export function formUrlDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}
