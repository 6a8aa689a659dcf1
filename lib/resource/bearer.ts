import { InvalidRequestError } from '../errors';

export interface BearerMethods {
  /** RFC 6750 §2.2: `access_token` in a form-encoded body (default false). */
  body: boolean;
  /** RFC 6750 §2.3: `access_token` in the query; leaks into logs and history (default false). */
  query: boolean;
}

export type TokenSource = 'header' | 'body' | 'query';

/** How the token was presented: RFC 6750 Bearer (any method), or RFC 9449 §7.1 DPoP (the Authorization header only). */
export type TokenScheme = 'Bearer' | 'DPoP';

/** RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="; RFC 9449 §7.1 uses the same token68. */
const TOKEN_HEADER = /^(bearer|dpop) +([A-Za-z0-9\-._~+/]+=*) *$/i;
const BEARER_SCHEME = /^bearer(?: |$)/i;
const BEARER_OR_DPOP_SCHEME = /^(?:bearer|dpop)(?: |$)/i;

/** A token found in a request. */
export interface FoundToken {
  token: string;
  source: TokenSource;
  scheme: TokenScheme;
}

/** Where a request may carry its token: the Authorization header, and the parameters read when enabled. */
export interface TokenCarriers {
  authorization: string | undefined;
  /** The form body's parameters (RFC 6750 §2.2), when that method is enabled and the request has such a body. */
  body?: Readonly<Record<string, unknown>>;
  /** The query's parameters (RFC 6750 §2.3), when that method is enabled. */
  query?: Readonly<Record<string, unknown>>;
}

/**
 * Finds the access token of a request, or `undefined` when it carries none. A malformed
 * Bearer (or, with `acceptDpop`, DPoP) header, or a token sent by more than one method
 * (RFC 6750 §2), is `invalid_request`.
 */
export function extractBearerToken({ authorization, body, query }: TokenCarriers, acceptDpop = false): FoundToken | undefined {
  const found: FoundToken[] = [];

  if (authorization !== undefined && (acceptDpop ? BEARER_OR_DPOP_SCHEME : BEARER_SCHEME).test(authorization)) {
    const match = TOKEN_HEADER.exec(authorization);
    if (match === null) throw new InvalidRequestError('The Authorization header is not a valid Bearer or DPoP credential.');
    found.push({ token: match[2], source: 'header', scheme: match[1].toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer' });
  }
  const inBody = singleString(body?.access_token, 'body');
  if (inBody !== undefined) found.push({ token: inBody, source: 'body', scheme: 'Bearer' });
  const inQuery = singleString(query?.access_token, 'query');
  if (inQuery !== undefined) found.push({ token: inQuery, source: 'query', scheme: 'Bearer' });

  if (found.length > 1) throw new InvalidRequestError('The access token was sent by more than one method.');
  return found[0];
}

function singleString(value: unknown, where: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new InvalidRequestError(`The access_token ${where} parameter is repeated or malformed.`);
  return value;
}
