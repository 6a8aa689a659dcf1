import type { RequestHandler } from 'express';
import type { ClientAuthenticator } from '../client-auth/authenticate';
import { isConfidential } from '../clients/client';
import { InvalidDpopProofError, InvalidRequestError, UnauthorizedClientError, UnsupportedGrantTypeError } from '../errors';
import type { Grant } from '../grants/grant';
import type { Store } from '../stores/store';
import type { TokenIssuer } from '../tokens/issuer';
import type { Clock } from '../clock';
import type { AttemptLimits } from '../limits/password-limits';
import { AS_RECEIVED, type FormParams, type FormParamsWithRepeats } from '../http/form-params';
import { resourceRequest, type Resources } from '../resource/resources';
import type { Request, Response } from 'express';
import { sendError, sendJson, setNoStore } from '../http/respond';
import type { DpopRequests } from '../dpop/dpop';
import type { AssertionGrantContext } from '../grants/grant';

export interface EnabledGrant {
  grant: Grant;
  tokens: TokenIssuer;
}

export interface TokenEndpointSettings {
  grants: ReadonlyMap<string, EnabledGrant>;
  clientAuth: ClientAuthenticator;
  /** RFC 8707 §2.2: `resource` may come more than once (and is then refused as `invalid_target`). */
  readParams: (req: Request, res: Response) => Promise<FormParamsWithRepeats>;
  store: Store;
  clock: Clock;
  limits: AttemptLimits;
  resources: Resources;
  /** What grants that take assertions (RFC 7523 §2.1) check them against. */
  assertions: AssertionGrantContext;
  /** DPoP (RFC 9449), unless turned off, and the token endpoint's URL, the `htu` of its proofs (§4.3). */
  dpop?: { requests: DpopRequests; tokenEndpointUrl: string };
  onError: (error: unknown) => void;
}

/**
 * RFC 6749 §3.2: the token endpoint, as a short pipeline. Each step throws an OAuthError that
 * ends the request with the §5.2 error response.
 */
export function tokenEndpoint(settings: TokenEndpointSettings): RequestHandler {
  const { grants, clientAuth, readParams, store, clock, limits, resources, assertions, dpop, onError } = settings;

  return async (req, res) => {
    setNoStore(res);
    dpop?.requests.offerNonce(res);
    try {
      const params = await readParams(req, res);

      const grantType = params.grant_type;
      if (grantType === undefined) throw new InvalidRequestError('The grant_type parameter is missing.');
      const enabled = grants.get(grantType);
      if (enabled === undefined) throw new UnsupportedGrantTypeError('The grant type is not supported by this server.');

      // RFC 9449 §5: every grant takes a proof; its tokens are then bound to the key. Checked
      // before the client, so that a proof refused for its nonce (§8) leaves the client's
      // one-use assertion unused for the retry.
      const jkt = await dpop?.requests.proofKey(req, dpop.tokenEndpointUrl);
      const client = await clientAuth.authenticate(req, params);

      // RFC 6749 §5.2 unauthorized_client: the client is not registered for this grant type.
      if (!client.grantTypes.includes(grantType)) {
        throw new UnauthorizedClientError('The client is not authorized to use this grant type.');
      }
      if (enabled.grant.confidentialClientsOnly && !isConfidential(client)) {
        throw new UnauthorizedClientError('This grant type is only for confidential clients.');
      }

      const grantParams = declaredParams(params, enabled.grant.parameters);
      const resource = resourceRequest(resources, params[AS_RECEIVED].resource);
      // RFC 9449 §5.2: dpop_bound_access_tokens.
      if (jkt === undefined && client.dpopBoundAccessTokens) throw new InvalidDpopProofError('This client must send a DPoP proof with every token request.');
      const tokens: TokenIssuer = jkt === undefined ? enabled.tokens : { issue: (request) => enabled.tokens.issue({ ...request, dpopJkt: jkt }) };
      const context = { client, params: grantParams, store, now: clock(), tokens, limits, resource, assertions, ...(jkt !== undefined && { dpop: { jkt } }) };
      const response = await enabled.grant.handle(context);
      sendJson(res, 200, response);
    } catch (error) {
      sendError(res, error, onError);
    }
  };
}

/** A grant sees the parameters it declares (`Grant.parameters`), never the client's credentials. */
function declaredParams(params: FormParams, names: readonly string[]): FormParams {
  const declared: Record<string, string> = Object.create(null);
  for (const name of names) {
    const value = params[name];
    if (value !== undefined) declared[name] = value;
  }
  return declared;
}
