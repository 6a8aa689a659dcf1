import type { Client } from '../clients/client';
import type { ClientRegistry } from '../clients/registry';
import type { Clock } from '../clock';
import { InvalidDpopProofError, InvalidRequestError } from '../errors';
import type { DpopRequests } from '../dpop/dpop';
import type { Request } from 'express';
import { AS_RECEIVED, type FormParamsWithRepeats } from '../http/form-params';
import type { CheckedAuthorizationOptions } from '../options/authorization';
import type { Resources } from '../resource/resources';
import type { Store } from '../stores/store';
import { pushRequest } from '../authorization/pushed-request';
import { checkedAuthorizationRequest } from './authorize';

/** RFC 9126 §2.2 */
export interface PushedAuthorizationResponse {
  request_uri: string;
  expires_in: number;
}

export interface PushedAuthorizationSettings {
  clients: ClientRegistry;
  store: Store;
  clock: Clock;
  options: CheckedAuthorizationOptions;
  resources: Resources;
  /** DPoP (RFC 9449 §10.1), unless turned off, and this endpoint's URL, the `htu` of its proofs. */
  dpopProofs?: { requests: DpopRequests; endpointUrl: string };
}

/**
 * RFC 9126 §2: `POST /par`. The client authenticates as at the token endpoint (a public client
 * names itself with client_id); its authorization request is checked as the authorization
 * endpoint checks it, and kept for `pushedRequestLifetime` under a new request_uri. Every error
 * is the JSON of RFC 6749 §5.2 (§2.3): nothing is redirected.
 */
export function pushedAuthorizationRequest({ clients, store, clock, options, resources, dpopProofs }: PushedAuthorizationSettings) {
  return {
    /**
     * RFC 9449 §10.1: the key of the request's DPoP proof, if any, which binds the code as
     * dpop_jkt does. Checked before the client, as at the token endpoint (RFC 9449 §8).
     */
    proofKey: async (req: Request): Promise<string | undefined> => dpopProofs?.requests.proofKey(req, dpopProofs.endpointUrl),

    push: async (client: Client, form: FormParamsWithRepeats, jkt: string | undefined): Promise<PushedAuthorizationResponse> => {
      const params = form[AS_RECEIVED];
      // RFC 9126 §2.1: "The request_uri authorization request parameter is one exception, and it MUST NOT be provided."
      if (params.request_uri !== undefined && params.request_uri !== '') {
        throw new InvalidRequestError('A pushed authorization request cannot carry a request_uri.');
      }
      // RFC 9126 §2.1: the request is the authenticated client's.
      if (params.client_id !== undefined && params.client_id !== '' && params.client_id !== client.id) {
        throw new InvalidRequestError('client_id differs from the authenticated client.');
      }
      // RFC 9449 §10.1: with both a proof and dpop_jkt, they must name one key.
      const named = params.dpop_jkt === '' ? undefined : params.dpop_jkt;
      if (jkt !== undefined && named !== undefined && named !== jkt) throw new InvalidDpopProofError('dpop_jkt is not the thumbprint of the DPoP proof key.');
      const request = { ...params, client_id: client.id, ...(jkt !== undefined && { dpop_jkt: jkt }) };
      // RFC 9126 §2.1: "Validate the pushed request as it would an authorization request".
      await checkedAuthorizationRequest(request, { clients, options, resources });
      const policy = { lifetime: options.pushedRequestLifetime, maxPerClient: options.maxPushedRequestsPerClient };
      return { request_uri: await pushRequest(store, client.id, request, clock(), policy), expires_in: options.pushedRequestLifetime };
    },
  };
}
