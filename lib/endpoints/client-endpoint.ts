import type { Request, RequestHandler, Response } from 'express';
import type { ClientAuthenticator } from '../client-auth/authenticate';
import type { Client } from '../clients/client';
import type { FormParams } from '../http/form-params';
import { sendError, sendJson, setNoStore } from '../http/respond';

export interface ClientEndpointSettings<P extends FormParams = FormParams> {
  clientAuth: ClientAuthenticator;
  readParams: (req: Request, res: Response) => Promise<P>;
  onError: (error: unknown) => void;
}

/**
 * An endpoint a client calls with its credentials and form parameters (RFC 7009 §2.1,
 * RFC 7662 §2.1, RFC 9126 §2.1): parse, authenticate, then `handle`. A JSON result is sent
 * with `successStatus` (200 unless given); no result is an empty 200. Every failure is the
 * RFC 6749 §5.2 error response.
 */
export function clientEndpoint<P extends FormParams>(
  settings: ClientEndpointSettings<P>,
  handle: (client: Client, params: P, req: Request) => Promise<object | undefined>,
  successStatus = 200,
): RequestHandler {
  const { clientAuth, readParams, onError } = settings;
  return async (req, res) => {
    setNoStore(res);
    try {
      const params = await readParams(req, res);
      const client = await clientAuth.authenticate(req, params);
      const result = await handle(client, params, req);
      if (result === undefined) res.status(200).end();
      else sendJson(res, successStatus, result);
    } catch (error) {
      sendError(res, error, onError);
    }
  };
}
