import type { RequestHandler } from 'express';
import { InvalidRequestError } from '../errors';

/** Any other method on an endpoint: 405 with `Allow` (RFC 9110 §15.5.6) and an OAuth error body. */
export function methodNotAllowed(...allowed: string[]): RequestHandler {
  const allow = allowed.join(', ');
  const body = new InvalidRequestError(`This endpoint accepts ${allow} only.`).toJSON();
  return (_req, res) => {
    res.setHeader('Allow', allow);
    res.status(405).json(body);
  };
}
