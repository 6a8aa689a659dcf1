import type { Clock } from '../clock';
import { TemporarilyUnavailableError } from '../errors';
import type { GuardedFetch } from '../http/guarded-fetch';
import { sharedInFlight } from '../in-flight';
import { tokenCache } from './token-cache';
import { tokenDigest } from '../tokens/token-value';
import { tokenInfoFromClaims } from './token-claims';
import type { TokenInfo } from './token-guard';

export interface IntrospectionSettings {
  issuer: string;
  resource: string;
  fetcher: GuardedFetch;
  /** The issuer's `introspection_endpoint`, or `undefined` when it has none. */
  endpoint: () => Promise<URL | undefined>;
  clientId: string;
  clientSecret: string;
  /** How long an active answer is used (never past the token's `exp`). */
  cacheSeconds: number;
  /** How long an inactive answer is used: shorter, since a token just issued may not yet be known everywhere. */
  negativeCacheSeconds: number;
  maxEntries: number;
  /**
   * After the endpoint failed, how long further tokens are answered 503 without asking it: an
   * issuer that is down or hangs is not sent one request per request of this resource.
   */
  retrySeconds: number;
  /** Whether an active token whose answer names no audience is accepted. */
  acceptTokensWithoutAudience: boolean;
  clockToleranceSeconds: number;
  clock: Clock;
  onError: (error: unknown) => void;
}

/** The introspection endpoint cannot answer: the request fails closed. */
export class IntrospectionUnavailableError extends TemporarilyUnavailableError {
  constructor() {
    super('The authorization server cannot tell whether the access token is active.');
  }
}

/**
 * RFC 7662: asks the issuer about an opaque token, authenticated with client_secret_basic
 * (RFC 6749 §2.3.1). Answers are cached under the token's hash, active ones for `cacheSeconds`
 * at most (a revocation is seen within that bound), inactive ones for `negativeCacheSeconds`.
 * Requests for the same token while one is in flight share its answer.
 */
export function introspectionVerifier(settings: IntrospectionSettings): { verify(token: string): Promise<TokenInfo | undefined>; clear(): void } {
  const { fetcher, endpoint, clock, cacheSeconds, negativeCacheSeconds, maxEntries, retrySeconds, onError } = settings;
  // Two caches: a flood of made-up tokens must not push out the answers about good ones.
  const active = tokenCache<TokenInfo>(maxEntries, clock);
  const inactive = tokenCache<true>(maxEntries, clock);
  const shared = sharedInFlight<string, TokenInfo | undefined>();
  // RFC 6749 §2.3.1: the id and secret are form-encoded before they are joined and base64-encoded.
  const authorization = `Basic ${Buffer.from(`${formEncode(settings.clientId)}:${formEncode(settings.clientSecret)}`).toString('base64')}`;

  let failedAt: number | undefined;

  const introspect = async (token: string, digest: string): Promise<TokenInfo | undefined> => {
    if (failedAt !== undefined && clock() < failedAt + retrySeconds) throw new IntrospectionUnavailableError();
    const url = await endpoint();
    if (url === undefined) {
      onError(new Error(`The issuer ${settings.issuer} publishes no introspection_endpoint: opaque tokens cannot be checked.`));
      throw new IntrospectionUnavailableError();
    }
    let answer: Record<string, unknown>;
    try {
      answer = await fetcher.postForm(url, { form: { token, token_type_hint: 'access_token' }, headers: { Authorization: authorization } });
    } catch (error) {
      failedAt = clock();
      onError(error);
      throw new IntrospectionUnavailableError();
    }
    failedAt = undefined;
    const now = clock();
    const info = activeTokenInfo(answer, settings, now);
    if (info === undefined) inactive.set(digest, true, now + negativeCacheSeconds);
    else active.set(digest, info, Math.min(info.expiresAt, now + cacheSeconds));
    return info;
  };

  const verify = async (token: string): Promise<TokenInfo | undefined> => {
    const digest = tokenDigest(token);
    const known = active.get(digest);
    if (known !== undefined) return known;
    if (inactive.get(digest) !== undefined) return undefined;
    return shared(digest, () => introspect(token, digest));
  };
  return {
    verify,
    clear() {
      active.clear();
      inactive.clear();
    },
  };
}

function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}

/** RFC 7662 §2.2: the answer as a route sees it, or `undefined` unless it is an active access token for this resource. */
function activeTokenInfo(answer: Record<string, unknown>, settings: IntrospectionSettings, now: number): TokenInfo | undefined {
  const { active, exp, nbf, iss, aud, token_type: tokenType } = answer;
  if (active !== true) return undefined;
  // RFC 7662 §2.2 token_type: a refresh token taken for an access token would outlive its purpose.
  // RFC 9449 §6.2: a DPoP-bound access token is of type DPoP.
  if (tokenType !== undefined && !(typeof tokenType === 'string' && /^(bearer|dpop|access_token)$/i.test(tokenType))) return undefined;
  if (iss !== undefined && iss !== settings.issuer) return undefined;
  if (exp !== undefined && (typeof exp !== 'number' || exp <= now - settings.clockToleranceSeconds)) return undefined;
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now + settings.clockToleranceSeconds)) return undefined;
  // RFC 7662 §2.2 aud, RFC 8707 §2: a token for other resources is not good here.
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : undefined;
  if (aud !== undefined && audiences === undefined) return undefined;
  if (audiences !== undefined && !audiences.includes(settings.resource)) return undefined;
  if (audiences === undefined && !settings.acceptTokensWithoutAudience) return undefined;
  return tokenInfoFromClaims({
    client_id: answer.client_id,
    scope: answer.scope,
    sub: answer.sub,
    // An answer without exp (it is optional) is good for the cache's time.
    expiresAt: typeof exp === 'number' ? exp : now + settings.cacheSeconds,
    ...(audiences !== undefined && { audience: settings.resource }),
    cnf: answer.cnf,
  });
}
