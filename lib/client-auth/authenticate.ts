import passport from 'passport';
import { BasicStrategy } from 'passport-http';
import type { Request } from 'express';
import type { Client, ClientAuthMethod } from '../clients/client';
import type { ClientRegistry } from '../clients/registry';
import type { SecretVerifier } from '../clients/secrets';
import { InvalidClientError, InvalidRequestError } from '../errors';
import { AttemptBlockedError, type AttemptLimiter } from '../limits/attempt-limiter';
import { clientAuthAttempt, type ClientAuthLimits } from '../limits/brute-force';
import { parseBasicCredentials, usesBasicScheme, type PresentedCredentials } from './basic-credentials';
import { runStrategy, type StrategyActions } from './run-strategy';

/** Why client authentication failed; given to the host app's hook, never to the client. */
export type ClientAuthFailureReason =
  | 'no_credentials'
  | 'malformed_credentials'
  | 'unknown_client'
  | 'wrong_method'
  | 'wrong_secret'
  | 'rate_limited';

/** What the host app learns when client authentication fails: never the secret. */
export interface ClientAuthFailedEvent {
  clientId?: string;
  method: ClientAuthMethod | 'unknown';
  reason: ClientAuthFailureReason;
}

type Params = Readonly<Record<string, string | undefined>>;
type Done = (error: unknown, client?: Client | false) => void;

export interface ClientAuthenticator {
  /** The authenticated (or, for `none`, identified) client; throws `invalid_client` or `invalid_request`. */
  authenticate(req: Request, params: Params): Promise<Client>;
}

/**
 * RFC 6749 §2.3 client authentication through Passport strategies of this server's own
 * (servers never share strategies), each run as Passport runs one (see `runStrategy`):
 * - `client-basic`: passport-http's BasicStrategy (client_secret_basic, §2.3.1);
 * - `client-post`: credentials in the body (client_secret_post, §2.3.1);
 * - `client-none`: a public client, identified by client_id only (§2.1, §3.2.1).
 * Only a real check of a guessable secret goes through `limiter` (see `clientAuthAttempt`):
 * requests that test no secret (unknown id, wrong method, no or malformed credentials) are
 * refused and count nothing. While blocked, the attempt fails as any other failure does.
 */
export function clientAuthenticator(
  clients: ClientRegistry,
  secrets: SecretVerifier,
  realm: string,
  onFailure: (event: ClientAuthFailedEvent) => void,
  limits: { limiter: AttemptLimiter; clientAuth: ClientAuthLimits | false },
): ClientAuthenticator {
  const basicChallenge = `Basic realm="${realm}"`;
  // What each request presented, read once by authenticate() before any strategy runs, and
  // what the strategies learned of it (passport-http's BasicStrategy passes no failure info).
  const attempts = new WeakMap<Request, Attempt>();
  const attemptOf = (req: Request): Attempt => attempts.get(req) as Attempt;

  async function verify(attempt: Attempt, clientId: string, secret: string | undefined, method: ClientAuthMethod, done: Done): Promise<void> {
    const failure = (reason: ClientAuthFailureReason) => {
      attempt.failure = { clientId, method, reason };
      done(null, false);
    };
    try {
      const client = await clients.find(clientId);
      if (client === undefined) return failure('unknown_client');
      // A client must use the method it registered (RFC 7591 §2, token_endpoint_auth_method).
      if (client.authMethod !== method) return failure('wrong_method');
      if (method === 'none') return done(null, client);
      const secretHash = client.secretHash as string;
      const check = async () => ((await secrets.verify(secret as string, secretHash)) ? client : undefined);
      // A generated 256-bit secret (RFC 6749 §10.10): no number of guesses finds it, so it is not limited.
      const checked = secrets.isUnguessable(secretHash) ? await check() : await limits.limiter.attempt(clientAuthAttempt(limits.clientAuth, clientId, attempt.address()), check);
      if (checked === undefined) return failure('wrong_secret');
      done(null, checked);
    } catch (error) {
      if (!(error instanceof AttemptBlockedError)) return done(error);
      attempt.retryAfterMs = error.retryAfterMs;
      failure('rate_limited');
    }
  }

  const strategies: Record<ClientAuthMethod, passport.Strategy> = {
    client_secret_basic: new BasicStrategy({ passReqToCallback: true, realm }, (req, _userid, _password, done) => {
      const attempt = attemptOf(req);
      const credentials = attempt.basic;
      if (credentials === undefined) return done(null, false);
      // A client_id in the body must name the same client as the header.
      const bodyClientId = attempt.params.client_id;
      if (bodyClientId !== undefined && bodyClientId !== credentials.clientId) {
        return done(new InvalidRequestError('client_id in the body differs from the one in the Authorization header.'));
      }
      void verify(attempt, credentials.clientId, credentials.clientSecret, 'client_secret_basic', done as Done);
    }),
    client_secret_post: bodyStrategy('client-post', (req, done) => {
      const attempt = attemptOf(req);
      void verify(attempt, attempt.params.client_id as string, attempt.params.client_secret, 'client_secret_post', done);
    }),
    none: bodyStrategy('client-none', (req, done) => {
      const attempt = attemptOf(req);
      void verify(attempt, attempt.params.client_id as string, undefined, 'none', done);
    }),
  };
  const run = (method: ClientAuthMethod, req: Request, attempt: Attempt) => {
    if (method !== 'client_secret_basic') return runStrategy<Client>(strategies[method], req);
    // passport-http splits the header at every space; RFC 7235 §2.1 allows 1*SP after the scheme.
    const view = withOneSpaceAfterScheme(req);
    attempts.set(view, attempt);
    return runStrategy<Client>(strategies[method], view);
  };

  return {
    async authenticate(req, params) {
      const triedBasic = usesBasicScheme(req.headers.authorization);
      // RFC 6749 §2.3: "MUST NOT use more than one authentication method in each request".
      if (triedBasic && params.client_secret !== undefined) {
        throw new InvalidRequestError('The request uses more than one client authentication method.');
      }
      const method: ClientAuthMethod | undefined = triedBasic
        ? 'client_secret_basic'
        : params.client_secret !== undefined
          ? 'client_secret_post'
          : params.client_id !== undefined
            ? 'none'
            : undefined;
      const presented: Attempt = {
        params,
        basic: triedBasic ? parseBasicCredentials(req.headers.authorization) : undefined,
        address: () => req.ip ?? 'unknown',
      };
      attempts.set(req, presented);
      const clientId = triedBasic ? presented.basic?.clientId : params.client_id;

      const fail = (event: ClientAuthFailedEvent): never => {
        onFailure(event);
        const error = new InvalidClientError('Client authentication failed.');
        // RFC 6749 §5.2: 401 with a WWW-Authenticate matching the scheme the client used.
        if (triedBasic) error.headers['WWW-Authenticate'] = basicChallenge;
        // RFC 9110 §10.2.3: when a blocked client may try again.
        if (presented.retryAfterMs !== undefined) error.headers['Retry-After'] = String(Math.ceil(presented.retryAfterMs / 1000));
        throw error;
      };

      // A secret without a client_id (RFC 6749 §2.3.1) names no client to look up.
      if (method === undefined || (method === 'client_secret_post' && clientId === undefined)) {
        return fail({ method: 'unknown', reason: method === undefined ? 'no_credentials' : 'malformed_credentials' });
      }
      const client = await run(method, req, presented);
      if (client !== undefined) return client;
      return fail(presented.failure ?? { method: method === 'client_secret_basic' ? method : 'unknown', reason: 'malformed_credentials' });
    },
  };
}

/** What one request presented for client authentication, and why it failed when it did. */
interface Attempt {
  /** The checked parameters: not req.body, where an empty value is still present (RFC 6749 §3.1). */
  params: Params;
  /** The Basic credentials, read once (RFC 7617, RFC 6749 §2.3.1), when the request used Basic. */
  basic?: PresentedCredentials;
  /** The source address, read only when a secret is checked (Express's req.ip parses the proxy headers). */
  address: () => string;
  failure?: ClientAuthFailedEvent;
  /** Set when the attempt was refused because its limits are blocked. */
  retryAfterMs?: number;
}

/** The request as passport-http should see it: one space between the scheme and the credentials. */
function withOneSpaceAfterScheme(req: Request): Request {
  const authorization = req.headers.authorization as string;
  const normalized = authorization.replace(/^(\S+) +/, '$1 ');
  if (normalized === authorization) return req;
  return Object.create(req, { headers: { value: { ...req.headers, authorization: normalized } } }) as Request;
}

/** A Passport strategy reading client credentials from the already-checked form parameters. */
function bodyStrategy(name: string, verify: (req: Request, done: Done) => void): passport.Strategy {
  const strategy = new passport.Strategy();
  strategy.name = name;
  strategy.authenticate = function (this: StrategyActions<Client>, req: Request) {
    verify(req, (error, client) => {
      if (error) this.error(error);
      else if (client) this.success(client);
      else this.fail();
    });
  };
  return strategy;
}
