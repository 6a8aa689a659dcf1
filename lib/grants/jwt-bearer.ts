import { decodeJwt, decodeProtectedHeader, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { AssertionRefusedError, replayRecordExpiry, verifyAssertion, type AssertionClaims } from '../assertions/verify-assertion';
import type { Client } from '../clients/client';
import { InvalidGrantError, InvalidRequestError, InvalidScopeError } from '../errors';
import { checkJwtBearerOptions, type CheckedTrustedIssuer } from '../options/grants';
import { parseScope, resolveScope } from '../scope';
import { onceKey } from '../stores/store';
import { scopeAtResource } from '../tokens/issuer';
import type { Grant, TokenRequestContext } from './grant';

/** RFC 7523 §2.1: the grant type of a JWT used as an authorization grant. */
export const JWT_BEARER_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** The Identity Assertion JWT Authorization Grant (draft-ietf-oauth-identity-assertion-authz-grant, MCP cross-app access): its JWT `typ`. */
export const ID_JAG_TYPE = 'oauth-id-jag+jwt';

/** An issuer whose assertions the server accepts, with its public keys. */
export interface TrustedIssuer {
  /** The assertions' `iss` (RFC 7523 §3 item 1). */
  issuer: string;
  /** Its public keys, inline; or `jwks_uri`, where it publishes them (fetched through the guarded fetch). */
  jwks?: JSONWebKeySet;
  jwks_uri?: string;
}

export interface JwtBearerOptions {
  trustedIssuers: readonly TrustedIssuer[];
  /**
   * The token's `sub` for the assertion's `sub` (RFC 7523 §3 item 2.A): map it to one of the
   * host's users, or resolve undefined to refuse the assertion (`invalid_grant`). Without it
   * the assertion's `sub` is the token's.
   */
  mapSubject?: (sub: string, claims: JWTPayload, client: Client) => string | undefined | Promise<string | undefined>;
}

/**
 * RFC 7523 §2.1: a JWT from a trusted issuer is exchanged for an access token whose `sub` is
 * the assertion's (mapped by `mapSubject`). The assertion follows the rules of RFC 7523 §3
 * (`verifyAssertion`), its `jti` is used once (used up last, when the request is otherwise
 * good), and it may be an Identity Assertion JWT Authorization Grant (`typ: oauth-id-jag+jwt`):
 * then it names the client that redeems it (`client_id`), this server as its only audience,
 * and optionally the resource and scope.
 * Only for clients that authenticate: the assertion is a bearer credential, and tying its use
 * to a client limits who can redeem a stolen one.
 */
export function jwtBearer(options: JwtBearerOptions): Grant {
  const { trustedIssuers, mapSubject } = checkJwtBearerOptions(options);
  const issuers = new Map(trustedIssuers.map((trusted) => [trusted.issuer, trusted]));

  return {
    type: JWT_BEARER_GRANT_TYPE,
    parameters: ['assertion', 'scope'],
    confidentialClientsOnly: true,
    async handle(context) {
      const { client, params, tokens, resource, assertions } = context;
      const { assertion } = params;
      // RFC 7521 §4.1: the assertion parameter is required.
      if (assertion === undefined || assertion === '') throw new InvalidRequestError('The assertion parameter is missing.');
      const { trusted, idJag } = readAssertion(assertion, issuers);
      // A trusted issuer's jwks_uri is fetched as a client's is: the server's guarded fetch, cache and `clientFetch` settings.
      const claims = await verified(assertion, trusted, idJag, context, assertions.keysOf(trusted));
      // ID-JAG: issued for this client only.
      if (idJag && claims.client_id !== client.id) throw new InvalidGrantError('The assertion was issued for another client.');
      const sub = mapSubject === undefined ? claims.sub : await mapSubject(claims.sub, claims, client);
      if (typeof sub !== 'string' || sub === '') throw new InvalidGrantError('The assertion subject is not accepted.');

      // RFC 6749 §3.3: within the client's scope, and within the ID-JAG's when it names one.
      const assertedScope = idJag && typeof claims.scope === 'string' ? parseScope(claims.scope) : undefined;
      const requested = resolveScope(params.scope ?? assertedScope?.join(' '), client.scope);
      if (assertedScope !== undefined && !requested.every((value) => assertedScope.includes(value))) {
        throw new InvalidScopeError('The requested scope exceeds the scope of the assertion.');
      }
      // ID-JAG: its resource is the token's audience; the request may only name the same one.
      const audience = resource.choose(idJag ? assertedResources(claims) : undefined);
      const scope = scopeAtResource(requested, audience);
      // RFC 7523 §3 item 7: the jti is used once, on every instance. Used up last, once the request
      // is otherwise good: one refused for its own scope or resource can be sent again, corrected.
      if (!(await assertions.rememberOnce(onceKey('jwt-bearer', trusted.issuer, claims.jti), replayRecordExpiry(claims)))) {
        throw new InvalidGrantError('The assertion was already used.');
      }
      return tokens.issue({ client, scope, sub, resource: audience });
    },
  };
}

/** The trusted issuer the unverified assertion names, and whether it is an ID-JAG; invalid_grant otherwise. */
function readAssertion(assertion: string, issuers: ReadonlyMap<string, CheckedTrustedIssuer>): { trusted: CheckedTrustedIssuer; idJag: boolean } {
  let iss: unknown;
  let typ: unknown;
  try {
    iss = decodeJwt(assertion).iss;
    typ = decodeProtectedHeader(assertion).typ;
  } catch {
    throw new InvalidGrantError('The assertion is not a JWT.');
  }
  const trusted = typeof iss === 'string' ? issuers.get(iss) : undefined;
  if (trusted === undefined) throw new InvalidGrantError('The assertion is not from a trusted issuer.');
  const idJag = typeof typ === 'string' && typ.toLowerCase().replace(/^application\//, '') === ID_JAG_TYPE;
  return { trusted, idJag };
}

/** RFC 7523 §3 through `verifyAssertion`; an ID-JAG names this server's issuer identifier only, with its own `typ`. */
async function verified(assertion: string, trusted: CheckedTrustedIssuer, idJag: boolean, context: TokenRequestContext, keys: JWTVerifyGetKey): Promise<AssertionClaims> {
  const { issuer, tokenEndpointUrl } = context.assertions;
  try {
    return await verifyAssertion(assertion, keys, {
      issuer: trusted.issuer,
      audiences: idJag ? [issuer] : [issuer, tokenEndpointUrl],
      ...(idJag && { typ: ID_JAG_TYPE }),
      now: context.now,
    });
  } catch (error) {
    if (error instanceof AssertionRefusedError) throw new InvalidGrantError('The assertion is not valid.');
    throw error;
  }
}

/** The ID-JAG's `resource` claim: one resource, or a list; none when absent. */
function assertedResources(claims: AssertionClaims): string[] | undefined {
  const { resource } = claims;
  if (resource === undefined) return undefined;
  const list = Array.isArray(resource) ? resource : [resource];
  if (list.length === 0 || !list.every((item) => typeof item === 'string')) throw new InvalidGrantError('The assertion resource is not valid.');
  return list as string[];
}
