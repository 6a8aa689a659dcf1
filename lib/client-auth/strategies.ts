import { decodeJwt } from 'jose';
import passport from 'passport';
import { BasicStrategy } from 'passport-http';
import type { Request } from 'express';
import type { ClientAuthMethod } from '../clients/client';
import { parseBasicCredentials } from './basic-credentials';
import { runStrategy, type StrategyActions } from './run-strategy';

type Params = Readonly<Record<string, string | undefined>>;

/** What a request presented for client authentication (RFC 6749 §2.3), before anything is checked. */
export type PresentedCredentials =
  | { method: 'client_secret_basic' | 'client_secret_post'; clientId: string; secret: string }
  | { method: 'none'; clientId: string }
  | { method: 'private_key_jwt'; clientId: string; assertion: string };

/** RFC 7523 §2.2: the `client_assertion_type` of a JWT client assertion. */
export const JWT_CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * One Passport strategy per authentication method, each only reading what its method carries:
 * it succeeds with the presented credentials, or fails when the request does not carry them
 * well-formed. Checking them is the authenticator's job, the same for every method. A new
 * method (a client assertion) is one more strategy here and one more verifier there.
 */
export type CredentialReaders = Record<ClientAuthMethod, (req: Request, params: Params) => Promise<PresentedCredentials | undefined>>;

export function credentialReaders(realm: string): CredentialReaders {
  // client_secret_basic (§2.3.1): passport-http reads the header; the pair is read again from it,
  // since passport-http splits at every colon and does not form-urldecode (see parseBasicCredentials).
  const basic = new BasicStrategy({ passReqToCallback: true, realm }, (req, _userid, _password, done) => {
    const credentials = parseBasicCredentials(req.headers.authorization);
    if (credentials === undefined) return done(null, false);
    done(null, { method: 'client_secret_basic', clientId: credentials.clientId, secret: credentials.clientSecret });
  });
  // client_secret_post (§2.3.1): both in the checked form parameters.
  const post = bodyStrategy('client-post', ({ client_id: clientId, client_secret: secret }) =>
    clientId === undefined || secret === undefined ? undefined : { method: 'client_secret_post', clientId, secret },
  );
  // none (§2.1, §3.2.1): a public client names itself.
  const none = bodyStrategy('client-none', ({ client_id: clientId }) => (clientId === undefined ? undefined : { method: 'none', clientId }));
  // private_key_jwt (RFC 7523 §2.2, RFC 7521 §4.2): the assertion names the client in `sub`.
  const assertion = bodyStrategy('client-assertion', readClientAssertion);

  return {
    // passport-http splits the header at every space; RFC 7235 §2.1 allows 1*SP after the scheme.
    client_secret_basic: (req) => runStrategy(basic, withOneSpaceAfterScheme(req)),
    client_secret_post: (req, params) => runStrategy(post, req, { params }),
    none: (req, params) => runStrategy(none, req, { params }),
    private_key_jwt: (req, params) => runStrategy(assertion, req, { params }),
  };
}

/**
 * RFC 7521 §4.2: `client_assertion_type` and `client_assertion`, and `client_id` only if it names
 * the same client as the assertion (which may be left out, §4.2). The client is the
 * assertion's `sub` (RFC 7523 §3 item 2.B), read here unverified: the verifier checks it, with
 * every other claim, against the keys of the client it names.
 */
function readClientAssertion(params: Params): PresentedCredentials | undefined {
  const { client_assertion_type: type, client_assertion: assertion, client_id: clientId } = params;
  if (type !== JWT_CLIENT_ASSERTION_TYPE || assertion === undefined) return undefined;
  let sub: unknown;
  try {
    sub = decodeJwt(assertion).sub;
  } catch {
    return undefined;
  }
  if (typeof sub !== 'string' || sub.length === 0) return undefined;
  if (clientId !== undefined && clientId !== sub) return undefined;
  return { method: 'private_key_jwt', clientId: sub, assertion };
}

/**
 * A strategy reading credentials from the checked form parameters (not req.body, where an empty
 * value is still present, RFC 6749 §3.1), given as Passport's per-call option `params`.
 */
function bodyStrategy(name: string, read: (params: Params) => PresentedCredentials | undefined): passport.Strategy {
  const strategy = new passport.Strategy();
  strategy.name = name;
  strategy.authenticate = function (this: StrategyActions<PresentedCredentials>, _req: Request, options?: { params?: Params }) {
    const presented = read(options?.params ?? {});
    if (presented === undefined) this.fail();
    else this.success(presented);
  };
  return strategy;
}

/** The request as passport-http should see it: one space between the scheme and the credentials. */
function withOneSpaceAfterScheme(req: Request): Request {
  const authorization = req.headers.authorization as string;
  const normalized = authorization.replace(/^(\S+) +/, '$1 ');
  if (normalized === authorization) return req;
  return Object.create(req, { headers: { value: { ...req.headers, authorization: normalized } } }) as Request;
}
