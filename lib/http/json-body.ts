import bodyParser from 'body-parser';
import type { Request, Response } from 'express';
import { InvalidRequestError } from '../errors';
import { bodyError } from './form-params';

/**
 * Reads an application/json body (RFC 7591 §3, RFC 7592 §2.2) of at most `maxBodySize` bytes.
 * A body the host app already parsed as JSON is taken as it is. Anything else is `invalid_request`.
 */
export function jsonBodyReader(maxBodySize: number): (req: Request, res: Response) => Promise<unknown> {
  const parse = bodyParser.json({ limit: maxBodySize, strict: false, type: 'application/json' });
  return (req, res) =>
    new Promise((resolve, reject) => {
      if (!req.is('application/json')) return reject(new InvalidRequestError('The request body must be application/json.'));
      parse(req, res, (error?: unknown) => (error === undefined ? resolve(req.body as unknown) : reject(bodyError(error))));
    });
}
