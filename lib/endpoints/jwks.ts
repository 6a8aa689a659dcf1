import type { RequestHandler } from 'express';
import { sendError } from '../http/respond';
import type { SigningKeys } from '../keys/signing-keys';

/** How long a JWKS may be cached; a new key is published longer than this before it signs (lib/keys/rotation.ts). */
export const JWKS_MAX_AGE_SECONDS = 300;

/**
 * `GET /jwks`: the public keys that verify JWT access tokens (RFC 9068 §4, RFC 8414 `jwks_uri`),
 * as a JWK Set (RFC 7517 §5, media type of §8.5). When the keys cannot be read (the store is
 * down), 503 `temporarily_unavailable`: never an empty set, which would fail every token.
 */
export function jwksEndpoint(keys: Pick<SigningKeys, 'publicJwks'>, onError: (error: unknown) => void): RequestHandler {
  return async (_req, res) => {
    try {
      const body = JSON.stringify(await keys.publicJwks());
      res.statusCode = 200;
      res.setHeader('Content-Type', 'application/jwk-set+json');
      res.setHeader('Cache-Control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`);
      res.end(body);
    } catch (error) {
      sendError(res, error, onError);
    }
  };
}
