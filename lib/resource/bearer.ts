import type { Request } from 'express';
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

/**
 * Finds the access token of a request, or `undefined` when it carries none. A malformed
 * Bearer header, or a token sent by more than one method (RFC 6750 §2), is `invalid_request`.
 */
export function extractBearerToken(req: Request, methods: BearerMethods): { token: string; source: TokenSource } | undefined {
  const found: { token: string; source: TokenSource }[] = [];

  const authorization = req.headers.authorization;
  if (authorization !== undefined && BEARER_SCHEME.test(authorization)) {
    const match = BEARER_HEADER.exec(authorization);
    if (match === null) throw new InvalidRequestError('The Authorization header is not a valid Bearer credential.');
    found.push({ token: match[1], source: 'header' });
  }
  if (methods.body) {
    const value = bodyToken(req);
    if (value !== undefined) found.push({ token: value, source: 'body' });
  }
  if (methods.query) {
    const value = singleString((req.query as Record<string, unknown>).access_token, 'query');
    if (value !== undefined) found.push({ token: value, source: 'query' });
  }

  if (found.length > 1) throw new InvalidRequestError('The access token was sent by more than one method.');
  return found[0];
}

/** RFC 6750 §2.2: only a form-encoded body of a method that has a body, never GET. */
function bodyToken(req: Request): string | undefined {
  if (req.method === 'GET' || !req.is('application/x-www-form-urlencoded')) return undefined;
  const body = req.body as Record<string, unknown> | undefined;
  return body === undefined || body === null ? undefined : singleString(body.access_token, 'body');
}

function singleString(value: unknown, where: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new InvalidRequestError(`The access_token ${where} parameter is repeated or malformed.`);
  return value;
}
