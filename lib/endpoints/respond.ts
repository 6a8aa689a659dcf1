import type { Response } from 'express';
import { toOAuthError } from '../errors';

/** RFC 6749 §5.1: responses carrying tokens or credentials must not be cached. */
export function setNoStore(res: Response): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Pragma', 'no-cache');
}

/**
 * Writes any error as the RFC 6749 §5.2 JSON error response. Errors that are not OAuth errors
 * become `server_error` with no internals; the host app sees the original through `onError`.
 */
export function sendError(res: Response, error: unknown, onError: (error: unknown) => void): void {
  const oauthError = toOAuthError(error);
  if (oauthError !== error) onError(error);
  if (res.headersSent) return;
  for (const [name, value] of Object.entries(oauthError.headers)) res.setHeader(name, value);
  res.status(oauthError.status).json(oauthError.toJSON());
}
