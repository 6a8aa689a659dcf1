import { InvalidRequestError } from '../errors';

export interface BearerMethods {
  /** RFC 6750 §2.2: `access_token` in a form-encoded body (default false). */
  body: boolean;
  /** RFC 6750 §2.3: `access_token` in the query; leaks into logs and history (default false). */
  query: boolean;
}

export type TokenSource = 'header' | 'body' | 'query';

/** RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
const BEARER_HEADER = /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const BEARER_SCHEME = /^bearer(?: |$)/i;

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
 * Bearer header, or a token sent by more than one method (RFC 6750 §2), is `invalid_request`.
 */
export function extractBearerToken({ authorization, body, query }: TokenCarriers): { token: string; source: TokenSource } | undefined {
  const found: { token: string; source: TokenSource }[] = [];

  if (authorization !== undefined && BEARER_SCHEME.test(authorization)) {
    const match = BEARER_HEADER.exec(authorization);
    if (match === null) throw new InvalidRequestError('The Authorization header is not a valid Bearer credential.');
    found.push({ token: match[1], source: 'header' });
  }
  const inBody = singleString(body?.access_token, 'body');
  if (inBody !== undefined) found.push({ token: inBody, source: 'body' });
  const inQuery = singleString(query?.access_token, 'query');
  if (inQuery !== undefined) found.push({ token: inQuery, source: 'query' });

  if (found.length > 1) throw new InvalidRequestError('The access token was sent by more than one method.');
  return found[0];
}

function singleString(value: unknown, where: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new InvalidRequestError(`The access_token ${where} parameter is repeated or malformed.`);
  return value;
}
