import type { RequestHandler } from 'express';
import { jsonDocumentHandler } from '../http/json-document';
import {
  buildProtectedResourceMetadata,
  protectedResourceMetadataUrl,
  type ProtectedResourceMetadata,
  type ProtectedResourceMetadataSettings,
} from './protected-resource-metadata';
import { tokenGuard, type RequireToken, type TokenGuardSettings } from './token-guard';

/**
 * One resource (RFC 8707 §2, RFC 9728): the middleware that admits only tokens for it, and
 * the metadata document that lets clients find its authorization server.
 *
 * ```ts
 * const api = oauth.resource('https://app.example/api');
 * app.get(api.metadataPath, api.metadataHandler);
 * app.get('/api/reports', api.requireToken('reports:read'), handler);
 * ```
 */
export interface ProtectedResource {
  /** The resource identifier: tokens for this audience are accepted. */
  readonly uri: string;
  /** RFC 6750 + RFC 9068 §4: lets through requests whose token is for this resource and grants `scope`. */
  readonly requireToken: RequireToken;
  /** RFC 9728 §2 */
  readonly metadata: ProtectedResourceMetadata;
  /** RFC 9728 §3.1: the path, on the resource's host, where `metadataHandler` must be mounted. */
  readonly metadataPath: string;
  readonly metadataHandler: RequestHandler;
}

export interface ProtectedResourceSettings {
  metadata: Omit<ProtectedResourceMetadataSettings, 'bearerMethods' | 'dpopAlgorithms'>;
  /** Whether tokens issued without any resource are accepted too (default false). */
  acceptTokensWithoutAudience: boolean;
  guard: Omit<TokenGuardSettings, 'audienceRule'>;
}

export function protectedResource({ metadata: metadataSettings, acceptTokensWithoutAudience, guard }: ProtectedResourceSettings): ProtectedResource {
  const uri = metadataSettings.resource;
  const metadataUrl = protectedResourceMetadataUrl(uri);
  const dpopAlgorithms = guard.dpop?.requests.algorithms;
  const metadata = buildProtectedResourceMetadata({ ...metadataSettings, bearerMethods: guard.methods, ...(dpopAlgorithms !== undefined && { dpopAlgorithms }) });
  return {
    uri,
    requireToken: tokenGuard({ ...guard, audienceRule: { audience: uri, acceptTokensWithoutAudience, resourceMetadataUrl: metadataUrl.href } }),
    metadata,
    metadataPath: metadataUrl.pathname,
    metadataHandler: jsonDocumentHandler(metadata),
  };
}
