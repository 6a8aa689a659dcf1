import type { Response } from 'express';
import { toOAuthError } from '../errors';

/** RFC 6749 §5.1: responses carrying tokens or credentials must not be cached. */
export function setNoStore(res: Response): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Pragma', 'no-cache');
}

/**
 * Writes a JSON body directly: these answers are never cached (no-store) or are errors, so
 * Express's ETag (a SHA-1 of every body) and content negotiation would be work for nothing.
 */
export function sendJson(res: Response, status: number, body: object): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
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
  sendJson(res, oauthError.status, oauthError.toJSON());
}
