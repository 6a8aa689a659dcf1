import type { Request } from 'express';
import type { Client, ClientAuthMethod } from '../clients/client';
import type { ClientRegistry } from '../clients/registry';
import type { SecretVerifier } from '../clients/secrets';
import { ClientMetadataDocumentError } from '../client-id-metadata/client-id-url';
import { InvalidClientError, InvalidRequestError } from '../errors';
import { AttemptBlockedError, type AttemptLimiter } from '../limits/attempt-limiter';
import { clientAuthAttempts, type ClientAuthLimits } from '../limits/brute-force';
import { usesBasicScheme } from './basic-credentials';
import type { ClientAssertionOutcome, ClientAssertionVerifier } from './client-assertion';
import { credentialReaders, type PresentedCredentials } from './strategies';

/** Why client authentication failed; given to the host app's hook, never to the client. */
export type ClientAuthFailureReason =
  | 'no_credentials'
  | 'malformed_credentials'
  | 'unknown_client'
  /** The client_id names a Client ID Metadata Document that could not be fetched or is not valid. */
  | 'unusable_metadata_document'
  | 'wrong_method'
  | 'wrong_secret'
  | Exclude<ClientAssertionOutcome, 'ok'>
  | 'rate_limited';

/** What the host app learns when client authentication fails: never the secret. */
export interface ClientAuthFailedEvent {
  clientId?: string;
  method: ClientAuthMethod | 'unknown';
  reason: ClientAuthFailureReason;
}

type Params = Readonly<Record<string, string | undefined>>;

export interface ClientAuthenticator {
  /** The authenticated (or, for `none`, identified) client; throws `invalid_client` or `invalid_request`. */
  authenticate(req: Request, params: Params): Promise<Client>;
}

/** A verifier's answer: the client, or why it was refused. */
type Verdict = { client: Client } | { failure: 'wrong_secret' | Exclude<ClientAssertionOutcome, 'ok'> } | { failure: 'rate_limited'; retryAfterMs: number };

/**
 * RFC 6749 §2.3 client authentication, as plain steps:
 * 1. which method the request used (one only, §2.3);
 * 2. what it presented, read by that method's Passport strategy (`credentialReaders`);
 * 3. the client it names, which must have registered that method (RFC 7591 §2);
 * 4. the method's verifier; only a real check of a guessable secret goes through `limiter`
 *    (`clientAuthAttempts`): requests that test none are refused and count nothing.
 */
export function clientAuthenticator(
  clients: ClientRegistry,
  secrets: SecretVerifier,
  realm: string,
  onFailure: (event: ClientAuthFailedEvent) => void,
  limits: { limiter: AttemptLimiter; clientAuth: ClientAuthLimits | false },
  verifyAssertion: ClientAssertionVerifier,
): ClientAuthenticator {
  const basicChallenge = `Basic realm="${realm}"`;
  const read = credentialReaders(realm);
  const attemptOf = clientAuthAttempts(limits.clientAuth);

  /** client_secret_basic and client_secret_post: the same secret check, limited unless the secret is unguessable. */
  async function verifySecret(client: Client, secret: string, req: Request): Promise<Verdict> {
    const secretHash = client.secretHash as string;
    const check = async () => ((await secrets.verify(secret, secretHash)) ? client : undefined);
    // A generated 256-bit secret (RFC 6749 §10.10): no number of guesses finds it, so it is not limited.
    if (secrets.isUnguessable(secretHash)) return (await check()) === undefined ? { failure: 'wrong_secret' } : { client };
    // A guessable secret is counted by the brute-force limits. One this server already verified
    // right is not a guess: it waits for no slot, but a block still refuses it.
    const knownRight = () => (secrets.isRememberedRight(secret, secretHash) ? client : undefined);
    try {
      const checked = await limits.limiter.attempt(attemptOf(client.id, req.ip ?? 'unknown'), check, knownRight);
      return checked === undefined ? { failure: 'wrong_secret' } : { client };
    } catch (error) {
      if (error instanceof AttemptBlockedError) return { failure: 'rate_limited', retryAfterMs: error.retryAfterMs };
      throw error;
    }
  }

  /**
   * private_key_jwt (RFC 7523 §3): no number of guesses forges a signature of the client's
   * private key, so, as for a generated secret, the brute-force limits are not involved: they
   * would cost every request their state and only let whoever names the client lock it out.
   * Replays are refused by the assertion's single-use `jti`.
   */
  async function verifyClientAssertion(client: Client, assertion: string): Promise<Verdict> {
    const outcome = await verifyAssertion(client, assertion);
    return outcome === 'ok' ? { client } : { failure: outcome };
  }

  const verifiers: { [M in ClientAuthMethod]: (client: Client, presented: Extract<PresentedCredentials, { method: M }>, req: Request) => Promise<Verdict> } = {
    client_secret_basic: (client, { secret }, req) => verifySecret(client, secret, req),
    client_secret_post: (client, { secret }, req) => verifySecret(client, secret, req),
    none: async (client) => ({ client }),
    private_key_jwt: (client, { assertion }) => verifyClientAssertion(client, assertion),
  };

  return {
    async authenticate(req, params) {
      const method = presentedMethod(req, params);
      const fail = (event: ClientAuthFailedEvent, retryAfterMs?: number): never => {
        onFailure(event);
        const error = new InvalidClientError('Client authentication failed.');
        // RFC 6749 §5.2: 401 with a WWW-Authenticate matching the scheme the client used.
        if (method === 'client_secret_basic') error.headers['WWW-Authenticate'] = basicChallenge;
        // RFC 9110 §10.2.3: when a blocked client may try again.
        if (retryAfterMs !== undefined) error.headers['Retry-After'] = String(Math.ceil(retryAfterMs / 1000));
        throw error;
      };
      if (method === undefined) return fail({ method: 'unknown', reason: 'no_credentials' });

      const presented = await read[method](req, params);
      // A secret without a client_id (RFC 6749 §2.3.1) names no client to look up.
      if (presented === undefined) return fail({ method: method === 'client_secret_basic' || method === 'private_key_jwt' ? method : 'unknown', reason: 'malformed_credentials' });
      // A client_id in the body must name the same client as the header.
      if (method === 'client_secret_basic' && params.client_id !== undefined && params.client_id !== presented.clientId) {
        throw new InvalidRequestError('client_id in the body differs from the one in the Authorization header.');
      }

      const { clientId } = presented;
      let client: Client | undefined;
      try {
        client = await clients.find(clientId);
      } catch (error) {
        // A metadata document that cannot be used names no client that could authenticate.
        if (error instanceof ClientMetadataDocumentError) return fail({ clientId, method, reason: 'unusable_metadata_document' });
        throw error;
      }
      if (client === undefined) return fail({ clientId, method, reason: 'unknown_client' });
      // A client must use the method it registered (RFC 7591 §2, token_endpoint_auth_method).
      if (client.authMethod !== method) return fail({ clientId, method, reason: 'wrong_method' });

      const verdict = await (verifiers[method] as (client: Client, presented: PresentedCredentials, req: Request) => Promise<Verdict>)(client, presented, req);
      if ('client' in verdict) return verdict.client;
      return fail({ clientId, method, reason: verdict.failure }, verdict.failure === 'rate_limited' ? verdict.retryAfterMs : undefined);
    },
  };
}

/** RFC 6749 §2.3: the one method a request used; "MUST NOT use more than one authentication method in each request". */
function presentedMethod(req: Request, params: Params): ClientAuthMethod | undefined {
  const triedBasic = usesBasicScheme(req.headers.authorization);
  // RFC 7521 §4.2: a client assertion is its own method.
  const triedAssertion = params.client_assertion !== undefined || params.client_assertion_type !== undefined;
  if ([triedBasic, params.client_secret !== undefined, triedAssertion].filter(Boolean).length > 1) {
    throw new InvalidRequestError('The request uses more than one client authentication method.');
  }
  if (triedBasic) return 'client_secret_basic';
  if (params.client_secret !== undefined) return 'client_secret_post';
  if (triedAssertion) return 'private_key_jwt';
  return params.client_id !== undefined ? 'none' : undefined;
}
