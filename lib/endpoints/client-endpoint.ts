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

/** What an endpoint may add to the usual steps. */
export interface ClientEndpointSteps<P extends FormParams, E> {
  /**
   * A check of the request that does not depend on the client, run before the client is
   * authenticated: one refused there leaves the client's credentials unused (RFC 9449 §8: a
   * DPoP proof refused for its nonce must not use up a client assertion's single-use `jti`).
   * Its result goes to `handle`.
   */
  beforeClient?: (req: Request, params: P) => Promise<E>;
  /** The status of a JSON result (default 200). */
  successStatus?: number;
}

/**
 * An endpoint a client calls with its credentials and form parameters (RFC 7009 §2.1,
 * RFC 7662 §2.1, RFC 9126 §2.1): parse, authenticate, then `handle`. A JSON result is sent
 * with `successStatus`; no result is an empty 200. Every failure is the RFC 6749 §5.2 error
 * response.
 */
export function clientEndpoint<P extends FormParams, E = undefined>(
  settings: ClientEndpointSettings<P>,
  handle: (client: Client, params: P, req: Request, early: E) => Promise<object | undefined>,
  { beforeClient, successStatus = 200 }: ClientEndpointSteps<P, E> = {},
): RequestHandler {
  const { clientAuth, readParams, onError } = settings;
  return async (req, res) => {
    setNoStore(res);
    try {
      const params = await readParams(req, res);
      const early = (await beforeClient?.(req, params)) as E;
      const client = await clientAuth.authenticate(req, params);
      const result = await handle(client, params, req, early);
      if (result === undefined) res.status(200).end();
      else sendJson(res, successStatus, result);
    } catch (error) {
      sendError(res, error, onError);
    }
  };
}
