/**
 * The OAuth error family. Each class carries the RFC error code, its HTTP status and a
 * description that is safe to show to the client. Unexpected errors are never shown:
 * they become `server_error` (RFC 6749 §5.2, §4.1.2.1).
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'unsupported_response_type'
  | 'server_error'
  | 'temporarily_unavailable'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'authorization_pending'
  | 'slow_down'
  | 'expired_token'
  | 'invalid_target'
  | 'invalid_request_uri'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce'
  | 'invalid_redirect_uri'
  | 'invalid_client_metadata';

export abstract class OAuthError extends Error {
  abstract readonly code: OAuthErrorCode;
  abstract readonly status: number;
  /** Extra response headers, e.g. `WWW-Authenticate` for `invalid_client` (RFC 6749 §5.2). */
  headers: Record<string, string> = {};

  /** `cause`: the error this one stands for, when it wraps one (never shown to the client). */
  constructor(
    readonly description: string,
    options?: { cause?: unknown },
  ) {
    super(description, options);
  }

  override get name(): string {
    return `OAuthError(${this.code})`;
  }

  /** The JSON error body of RFC 6749 §5.2. */
  toJSON(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.code, error_description: this.description };
  }
}

export class InvalidRequestError extends OAuthError {
  readonly code = 'invalid_request';
  readonly status: number = 400;
}

/** A body or parameter count over the limits: RFC 9110 §15.5.14 Content Too Large. */
export class PayloadTooLargeError extends InvalidRequestError {
  override readonly status = 413;
}

/** Too many wrong attempts from one place (RFC 8628 §5.1 for user codes): 429 Too Many Requests. */
export class TooManyAttemptsError extends InvalidRequestError {
  override readonly status = 429;
}

export class InvalidClientError extends OAuthError {
  readonly code = 'invalid_client';
  readonly status: number = 401;
}

export class InvalidGrantError extends OAuthError {
  readonly code = 'invalid_grant';
  readonly status: number = 400;
}

export class UnauthorizedClientError extends OAuthError {
  readonly code = 'unauthorized_client';
  readonly status: number = 400;
}

/** An authenticated client that is not allowed at an endpoint: 403 (RFC 7662 §2.3 leaves the code open). */
export class ForbiddenClientError extends UnauthorizedClientError {
  override readonly status = 403;
}

export class UnsupportedGrantTypeError extends OAuthError {
  readonly code = 'unsupported_grant_type';
  readonly status: number = 400;
}

/** RFC 8707 §2: the requested resource is invalid, missing, unknown, or malformed. */
export class InvalidTargetError extends OAuthError {
  readonly code = 'invalid_target';
  readonly status: number = 400;
}

/** RFC 9101 §7 (as RFC 9126 §4 uses it): the request_uri is unknown, expired, used, or another client's. */
export class InvalidRequestUriError extends OAuthError {
  readonly code = 'invalid_request_uri';
  readonly status: number = 400;
}

/** RFC 7591 §3.2.2: a redirect URI of the registration request is invalid. */
export class InvalidRedirectUriError extends OAuthError {
  readonly code = 'invalid_redirect_uri';
  readonly status: number = 400;
}

/** RFC 7591 §3.2.2: a client metadata field is invalid, or the server refused it. */
export class InvalidClientMetadataError extends OAuthError {
  readonly code = 'invalid_client_metadata';
  readonly status: number = 400;
}

export class InvalidScopeError extends OAuthError {
  readonly code = 'invalid_scope';
  readonly status: number = 400;
}

export class AccessDeniedError extends OAuthError {
  readonly code = 'access_denied';
  readonly status: number = 403;
}

/** RFC 8628 §3.5: access_denied at the token endpoint is a §5.2 error response, 400. */
export class DeviceAccessDeniedError extends AccessDeniedError {
  override readonly status: number = 400;
}

export class UnsupportedResponseTypeError extends OAuthError {
  readonly code = 'unsupported_response_type';
  readonly status: number = 400;
}

export class ServerError extends OAuthError {
  readonly code = 'server_error';
  readonly status: number = 500;
  constructor() {
    super('The server met an unexpected condition.');
  }
}

export class TemporarilyUnavailableError extends OAuthError {
  readonly code = 'temporarily_unavailable';
  readonly status: number = 503;
  constructor(description = 'The authorization server is temporarily unable to handle the request.') {
    super(description);
  }
}

/**
 * One client, address or user holds as many pending records (device authorizations, consent
 * pages) as its quota allows. RFC 6585 §4: 429 with Retry-After, because it is this party that
 * must wait, not the server that is down (503). The code stays `temporarily_unavailable`
 * (RFC 6749 §4.1.2.1): retrying later helps, where `invalid_request` would say the request is wrong.
 */
export class QuotaExceededError extends TemporarilyUnavailableError {
  override readonly status: number = 429;
  constructor(retryAfterSeconds: number) {
    super('Too many requests are pending: try again later.');
    this.headers['Retry-After'] = String(Math.max(1, Math.ceil(retryAfterSeconds)));
  }
}

/** RFC 6750 §3.1 */
export class InvalidTokenError extends OAuthError {
  readonly code = 'invalid_token';
  readonly status: number = 401;
}

/** RFC 6750 §3.1 */
export class InsufficientScopeError extends OAuthError {
  readonly code = 'insufficient_scope';
  readonly status: number = 403;
}

/** RFC 8628 §3.5: the user has not yet decided; the device keeps polling. */
export class AuthorizationPendingError extends OAuthError {
  readonly code = 'authorization_pending';
  readonly status: number = 400;
}

/** RFC 8628 §3.5: polling faster than the interval; the interval grows by 5 seconds. */
export class SlowDownError extends OAuthError {
  readonly code = 'slow_down';
  readonly status: number = 400;
}

/** RFC 8628 §3.5: the device_code has expired; the device must start again. */
export class ExpiredTokenError extends OAuthError {
  readonly code = 'expired_token';
  readonly status: number = 400;
}

/**
 * RFC 9449 §5 (token endpoint, 400) and §7.1 (resources, 401 with a `DPoP` challenge): the
 * DPoP proof is missing where one is required, malformed, or fails a check of §4.3.
 */
export class InvalidDpopProofError extends OAuthError {
  readonly code = 'invalid_dpop_proof';
  readonly status: number = 400;
}

/** RFC 9449 §8, §9: the proof must carry the server's nonce, sent in the `DPoP-Nonce` header. */
export class UseDpopNonceError extends OAuthError {
  readonly code = 'use_dpop_nonce';
  readonly status: number = 400;
  constructor(description: string, nonce: string) {
    super(description);
    this.headers['DPoP-Nonce'] = nonce;
  }
}

/** Anything that is not already an OAuthError becomes a `server_error` with no internals. */
export function toOAuthError(error: unknown): OAuthError {
  return error instanceof OAuthError ? error : new ServerError();
}
