import type { Response } from 'express';
import { toOAuthError, type OAuthError } from '../errors';

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
 * The one place where a failure becomes what the client or the user is told: an OAuth error
 * as it is; anything else `server_error`, with no internals, the original going to the host
 * app's `onError`. Every answer (JSON, page, redirect, RFC 6750 challenge) starts here.
 */
export function reportedOAuthError(error: unknown, onError: (error: unknown) => void): OAuthError {
  const oauthError = toOAuthError(error);
  if (oauthError !== error) onError(error);
  return oauthError;
}

/** Writes any error as the RFC 6749 §5.2 JSON error response. */
export function sendError(res: Response, error: unknown, onError: (error: unknown) => void): void {
  const oauthError = reportedOAuthError(error, onError);
  if (res.headersSent) return;
  for (const [name, value] of Object.entries(oauthError.headers)) res.setHeader(name, value);
  sendJson(res, oauthError.status, oauthError.toJSON());
}
