import type { Request, RequestHandler, Response } from 'express';
import {
  InsufficientScopeError,
  InvalidRequestError,
  InvalidTokenError,
  type OAuthError,
} from '../errors';
import type { Clock } from '../clock';
import { formatScope, includesAll, parseScope } from '../scope';
import { sendError, sendJson } from '../http/respond';
import { extractBearerToken, type BearerMethods, type TokenCarriers } from './bearer';
import type { RawParams } from '../http/form-params';

/** What a protected route's handler learns about the token that opened it: `req.oauth`. */
export interface TokenInfo {
  clientId: string;
  scope: string[];
  /** The user who granted the token, when there is one. */
  sub?: string;
  /** Seconds since the epoch. */
  expiresAt: number;
  /** The resource the token is for (RFC 8707), when it was issued for one. */
  audience?: string;
}

/**
 * Checks a token's value: what it grants, or `undefined` when it is unknown, forged or revoked
 * (or rejects with an `InvalidTokenError` saying why). Rejects otherwise when it cannot tell (the store or the issuer cannot be reached): the request then
 * fails closed.
 */
export type AccessTokenVerifier = (token: string) => Promise<TokenInfo | undefined>;

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by `requireToken` on the requests it lets through. */
      oauth?: TokenInfo;
    }
  }
}

/** Which tokens a guarded route accepts, by audience (RFC 8707, RFC 9068 §4). */
export interface AudienceRule {
  /** The resource the route belongs to; tokens for another audience are invalid there. */
  audience?: string;
  /** Whether tokens issued without a resource are accepted too (always, when `audience` is absent). */
  acceptTokensWithoutAudience: boolean;
  /** RFC 9728 §5.1: the URL of the resource's metadata, named in every challenge. */
  resourceMetadataUrl?: string;
}

export interface TokenGuardSettings {
  verify: AccessTokenVerifier;
  audienceRule: AudienceRule;
  clock: Clock;
  realm: string;
  methods: BearerMethods;
  /** The server's own readers, so that its limits apply to tokens in a body or query too. */
  readForm: (req: Request, res: Response) => Promise<RawParams>;
  readQuery: (req: Request) => RawParams;
  onError: (error: unknown) => void;
}

export type RequireToken = (scope?: string | readonly string[]) => RequestHandler;

/**
 * RFC 6750: protects a route with a Bearer token that grants every scope asked for. The HTTP
 * side only (reading the token, the audience and scope rules, the challenges); whether a token
 * is good is the `verify` function's answer.
 */
export function tokenGuard(settings: TokenGuardSettings): RequireToken {
  const { verify, audienceRule, clock, realm, methods, readForm, readQuery, onError } = settings;
  const metadataAttribute = audienceRule.resourceMetadataUrl === undefined ? '' : `, resource_metadata="${audienceRule.resourceMetadataUrl}"`;
  const challengeBase = `Bearer realm="${realm}"${metadataAttribute}`;
  const invalidToken = new InvalidTokenError('The access token is invalid, expired or revoked.');
  // RFC 6750 §2.2: a form-encoded body of a request that has one, never GET; §2.3: the query.
  const readCarriers = async (req: Request, res: Response): Promise<TokenCarriers> => ({
    authorization: req.headers.authorization,
    ...(methods.body && req.method !== 'GET' && req.is('application/x-www-form-urlencoded') && { body: await readBody(req, res) }),
    ...(methods.query && { query: readQuery(req) }),
  });
  // The route's own handler comes next and may want the rest of the form, as body-parser gives it.
  const readBody = async (req: Request, res: Response): Promise<RawParams> => {
    const body = await readForm(req, res);
    req.body ??= Object.fromEntries(Object.entries(body));
    return body;
  };

  // A token that could not be read or checked is not accepted. RFC 6750 §3.1 has no code for
  // the server's failures, so the answer is the JSON error alone, with no challenge.
  const failClosed = (res: Response, error: unknown): void => sendError(res, error, onError);

  return (scope) => {
    const required = requiredScope(scope);
    const insufficient = new InsufficientScopeError('The access token does not grant the scope this resource requires.');
    // RFC 6750 §3: the challenge names the scope the resource needs.
    const scopeAttribute = required.length > 0 ? `, scope="${formatScope(required)}"` : '';

    const check: RequestHandler = async (req, res, next) => {
      let found;
      try {
        found = extractBearerToken(methods.body || methods.query ? await readCarriers(req, res) : { authorization: req.headers.authorization });
      } catch (error) {
        // RFC 6750 §3.1: a malformed request is invalid_request; anything else is no client's fault.
        return error instanceof InvalidRequestError ? refuse(res, error) : failClosed(res, error);
      }
      // RFC 6750 §3.1: a request with no authentication information gets no error code.
      if (found === undefined) {
        res.setHeader('WWW-Authenticate', challengeBase + scopeAttribute);
        return void res.status(401).end();
      }

      let info;
      try {
        info = await verify(found.token);
      } catch (error) {
        // A verifier may say why a token is invalid; anything else it throws is the server's trouble.
        return error instanceof InvalidTokenError ? refuse(res, error) : failClosed(res, error);
      }
      if (info === undefined || info.expiresAt <= clock() || !isForThisResource(info, audienceRule)) return refuse(res, invalidToken);
      if (!includesAll(info.scope, required)) return refuse(res, insufficient);

      // RFC 6750 §2.3: a response to a query-token request should be private.
      if (found.source === 'query') res.setHeader('Cache-Control', 'private');
      req.oauth = info;
      next();
    };

    function refuse(res: Response, error: OAuthError): void {
      const scopePart = error === insufficient ? scopeAttribute : '';
      res.setHeader(
        'WWW-Authenticate',
        `${challengeBase}, error="${error.code}", error_description="${error.description}"${scopePart}`,
      );
      sendJson(res, error.status, error.toJSON());
    }

    return check;
  };
}

/** RFC 9068 §4: a token whose audience is not this resource is invalid here. */
function isForThisResource(info: TokenInfo, rule: AudienceRule): boolean {
  if (info.audience === undefined) return rule.audience === undefined || rule.acceptTokensWithoutAudience;
  return info.audience === rule.audience;
}

function requiredScope(scope: string | readonly string[] | undefined): string[] {
  if (scope === undefined) return [];
  const parts = typeof scope === 'string' ? [scope] : scope;
  try {
    return [...new Set(parts.flatMap((part) => parseScope(part)))];
  } catch {
    throw new TypeError(`requireToken: ${JSON.stringify(scope)} is not a list of scope tokens (RFC 6749 §3.3).`);
  }
}
