import { sameDigest } from '../constant-time';
import type { Request, RequestHandler, Response } from 'express';
import { addressNetwork } from '../address-network';
import type { ClientRegistry } from '../clients/registry';
import { generateClientSecret, type SecretVerifier } from '../clients/secrets';
import type { Clock } from '../clock';
import { InvalidClientMetadataError, InvalidRedirectUriError, InvalidTokenError, ServerError, TemporarilyUnavailableError } from '../errors';
import { sendError, sendJson, setNoStore } from '../http/respond';
import type { CheckedRegistrationOptions, RegistrationContext } from '../options/registration';
import { newRegisteredClientId } from '../registration/client-id';
import { checkClientMetadata, SECRET_AUTH_METHODS, type RegisteredClientMetadata } from '../registration/metadata';
import { extractBearerToken } from '../resource/bearer';
import { quotaKey, type RegisteredClientRecord, type RegisteredClientStore } from '../stores/store';
import { generateTokenValue, hashTokenValue } from '../tokens/token-value';

export interface RegistrationEndpointSettings {
  issuer: string;
  realm: string;
  /** Every client the server knows: a new client id must name none of them. */
  clients: ClientRegistry;
  store: RegisteredClientStore;
  options: CheckedRegistrationOptions;
  clock: Clock;
  readJson: (req: Request, res: Response) => Promise<unknown>;
  secrets: SecretVerifier;
  onError: (error: unknown) => void;
}

export interface RegistrationEndpoints {
  /** RFC 7591 §3: POST to the registration endpoint. */
  register: RequestHandler;
  /** RFC 7592 §2.1: GET the client configuration endpoint. */
  read: RequestHandler;
  /** RFC 7592 §2.2: PUT to it. */
  replace: RequestHandler;
  /** RFC 7592 §2.3: DELETE it. */
  remove: RequestHandler;
}

/** A fresh client id never collides in practice; a few tries make it certain. */
const CLIENT_ID_TRIES = 3;

/**
 * Dynamic client registration (RFC 7591) and its management (RFC 7592). A registration access
 * token is 256 random bits, kept only as its hash and replaced at every update; a generated
 * secret likewise (`generateClientSecret`). Neither can be shown again: a read (GET) answers
 * the current metadata with the registration access token it was made with, and no
 * `client_secret`.
 */
export function registrationEndpoints(settings: RegistrationEndpointSettings): RegistrationEndpoints {
  const { store, options, clock, readJson, secrets, onError } = settings;
  const base = settings.issuer.replace(/\/$/, '');
  const clientUri = (clientId: string) => `${base}/register/${encodeURIComponent(clientId)}`;
  const challenge = `Bearer realm="${settings.realm}", error="invalid_token"`;

  const invalidToken = (description: string): InvalidTokenError => {
    const error = new InvalidTokenError(description);
    error.headers['WWW-Authenticate'] = challenge;
    return error;
  };
  /** The Bearer token of the Authorization header (RFC 6750 §2.1); a missing or malformed one is `invalid_token`. */
  const bearerToken = (req: Request, description: string): string => {
    let found;
    try {
      found = extractBearerToken({ authorization: req.headers.authorization });
    } catch {
      found = undefined;
    }
    if (found === undefined) throw invalidToken(description);
    return found.token;
  };

  /** RFC 7591 §3: with initial access tokens, registration needs one the host app accepts. */
  async function initialAccessToken(req: Request): Promise<string | undefined> {
    if (options.initialAccessToken === undefined) return undefined;
    const token = bearerToken(req, 'A valid initial access token is required to register a client.');
    if (!(await options.initialAccessToken(token, req))) throw invalidToken('A valid initial access token is required to register a client.');
    return token;
  }

  /** The host app's policy may change or refuse what is registered; what it returns passes the same checks. */
  async function applyPolicy(metadata: RegisteredClientMetadata, context: RegistrationContext): Promise<RegisteredClientMetadata> {
    if (options.policy === undefined) return metadata;
    let decided: RegisteredClientMetadata;
    try {
      decided = (await options.policy(metadata, context)) ?? metadata;
    } catch (error) {
      throw error instanceof InvalidClientMetadataError || error instanceof InvalidRedirectUriError ? withSafeDescription(error) : error;
    }
    try {
      return checkClientMetadata(decided, options);
    } catch (error) {
      throw new TypeError(`registration.policy returned metadata that fails the registration checks: ${(error as Error).message}`);
    }
  }

  /** RFC 7592 §3: the client a configuration request names, if the Bearer token is its registration access token. */
  async function authorizedClient(req: Request): Promise<{ record: RegisteredClientRecord; token: string; tokenHash: string }> {
    const token = bearerToken(req, 'The registration access token is missing.');
    const record = await store.findClient(String(req.params.clientId));
    const tokenHash = hashTokenValue(token);
    // RFC 7592 §2: an unknown client is answered as a wrong token is, 401.
    if (record === undefined || !sameDigest(record.registrationTokenHash, tokenHash)) {
      throw invalidToken('The registration access token is invalid, or the client is not registered.');
    }
    return { record, token, tokenHash };
  }

  const handle = (work: (req: Request, res: Response) => Promise<void>): RequestHandler => async (req, res) => {
    setNoStore(res);
    try {
      await work(req, res);
    } catch (error) {
      sendError(res, error, onError);
    }
  };

  return {
    register: handle(async (req, res) => {
      const presented = await initialAccessToken(req);
      const checked = checkClientMetadata(await readJson(req, res), options);
      const metadata = await applyPolicy(checked, { req, operation: 'register', ...(presented !== undefined && { initialAccessToken: presented }) });
      const secret = usesSecret(metadata) ? generateClientSecret() : undefined;
      const registrationToken = generateTokenValue();
      const now = clock();
      // What one address may register (README, "Dynamic client registration").
      const quotas = options.perAddress === false ? [] : [{ key: quotaKey('registration:address', addressNetwork(req.ip ?? 'unknown')), max: options.perAddress.max }];
      const quotaForgetAt = now + (options.perAddress === false ? 0 : options.perAddress.windowSeconds);
      for (let i = 0; i < CLIENT_ID_TRIES; i++) {
        const clientId = newRegisteredClientId();
        if ((await settings.clients.find(clientId)) !== undefined) continue;
        const record: RegisteredClientRecord = {
          metadata: { client_id: clientId, client_id_issued_at: now, ...metadata },
          registrationTokenHash: hashTokenValue(registrationToken),
          ...(secret !== undefined && { secretHash: secret.hash }),
        };
        const outcome = await store.createClient(record, { maxClients: options.maxClients, quotas, quotaForgetAt });
        if (outcome === 'full') throw new TemporarilyUnavailableError('The server has as many registered clients as it may keep.');
        if (outcome === 'created') return sendJson(res, 201, clientInformation(record, registrationToken, secret?.secret));
      }
      throw new ServerError();
    }),

    read: handle(async (req, res) => {
      const { record, token } = await authorizedClient(req);
      sendJson(res, 200, clientInformation(record, token));
    }),

    replace: handle(async (req, res) => {
      const { record, tokenHash } = await authorizedClient(req);
      const body = await readJson(req, res);
      const checked = checkClientMetadata(body, options);
      const { client_id: clientId } = record.metadata;
      const given = body as Record<string, unknown>;
      // RFC 7592 §2.2: the request carries the client's own client_id, and its current secret if any.
      if (given.client_id !== clientId) throw new InvalidClientMetadataError('client_id must be the client_id of the client being updated.');
      if (given.client_secret !== undefined && given.client_secret !== null) {
        const matches = typeof given.client_secret === 'string' && record.secretHash !== undefined && (await secrets.verify(given.client_secret, record.secretHash));
        if (!matches) throw new InvalidClientMetadataError('client_secret must be the current client secret; a client cannot choose its own.');
      }
      const metadata = await applyPolicy(checked, { req, operation: 'update', clientId });
      // The secret stays; a client that becomes confidential gets one, one that becomes public loses it.
      const keptSecret = usesSecret(metadata) ? record.secretHash : undefined;
      const newSecret = usesSecret(metadata) && keptSecret === undefined ? generateClientSecret() : undefined;
      // RFC 7592 §2.2: fields left out are removed, so the record is made anew; the token rotates.
      const registrationToken = generateTokenValue();
      const updated: RegisteredClientRecord = {
        metadata: { client_id: clientId, client_id_issued_at: record.metadata.client_id_issued_at, ...metadata },
        registrationTokenHash: hashTokenValue(registrationToken),
        ...((newSecret?.hash ?? keptSecret) !== undefined && { secretHash: newSecret?.hash ?? keptSecret }),
      };
      // Only while the presented token is still the current one: of two updates with it, one wins.
      if (!(await store.replaceClient(tokenHash, updated))) throw invalidToken('The registration access token is no longer valid.');
      sendJson(res, 200, clientInformation(updated, registrationToken, newSecret?.secret));
    }),

    remove: handle(async (req, res) => {
      const { record, tokenHash } = await authorizedClient(req);
      if (!(await store.deleteClient(record.metadata.client_id, tokenHash))) throw invalidToken('The registration access token is no longer valid.');
      // RFC 7592 §2.3
      res.status(204).end();
    }),
  };

  /** RFC 7591 §3.2.1 and RFC 7592 §3: the client information response. */
  function clientInformation(record: RegisteredClientRecord, registrationToken: string, newSecret?: string): object {
    return {
      ...record.metadata,
      ...(newSecret !== undefined && { client_secret: newSecret }),
      // 0: the secret does not expire.
      ...(record.secretHash !== undefined && { client_secret_expires_at: 0 }),
      registration_access_token: registrationToken,
      registration_client_uri: clientUri(record.metadata.client_id),
    };
  }
}

/** RFC 6749 §5.2: error_description is %x20-21 / %x23-5B / %x5D-7E; a policy's own words are kept to that. */
function withSafeDescription(error: InvalidClientMetadataError | InvalidRedirectUriError): InvalidClientMetadataError | InvalidRedirectUriError {
  const safe = error.description.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, '?');
  if (safe === error.description && safe !== '') return error;
  const Refusal = error instanceof InvalidRedirectUriError ? InvalidRedirectUriError : InvalidClientMetadataError;
  return new Refusal(safe === '' ? 'The client metadata was refused.' : safe);
}

function usesSecret(metadata: RegisteredClientMetadata): boolean {
  return SECRET_AUTH_METHODS.includes(metadata.token_endpoint_auth_method);
}

