import { InvalidRequestError } from '../errors';

/*
 * OAuth Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document; the
 * section numbers in this folder are those of draft -01): a client that has registered nowhere
 * uses as its `client_id` the URL of a JSON document of its metadata, which the server fetches.
 */

/**
 * A client_id that names a metadata document which cannot be used: malformed, not fetched, or
 * not valid metadata. Shown to the person at the authorization endpoint (never redirected: the
 * document's redirect URIs are not trusted), `invalid_client` where clients authenticate.
 */
export class ClientMetadataDocumentError extends InvalidRequestError {
  constructor(
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`The client's metadata document cannot be used: ${problem}.`, options);
  }
}

/**
 * The URL of the metadata document a client_id names, or undefined when the client_id is no
 * such URL (an ordinary client id: the client is simply unknown). A client_id is taken for one
 * when it is an http(s) URL with a path; whether http may be fetched is the fetch's decision.
 * §3: the URL has a path, no fragment, no user information and no dot segments. The document's
 * `client_id` is compared with the client_id as a string, unnormalized (§4.1, RFC 3986 §6.2.1),
 * so the client_id must already be in the normal form a URL parser gives it: one client, one id.
 */
export function metadataDocumentUrl(clientId: string): URL | undefined {
  if (!/^https?:\/\//i.test(clientId)) return undefined;
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    throw new ClientMetadataDocumentError('the client_id is not a valid URL');
  }
  if (url.pathname === '/' && !hasDotSegment(clientId)) return undefined;
  if (clientId.includes('#')) throw new ClientMetadataDocumentError('the client_id URL has a fragment');
  if (url.username !== '' || url.password !== '') throw new ClientMetadataDocumentError('the client_id URL has user information');
  if (hasDotSegment(clientId)) throw new ClientMetadataDocumentError('the client_id URL has a . or .. path segment');
  if (url.href !== clientId) throw new ClientMetadataDocumentError('the client_id URL is not in normal form (RFC 3986 section 6.2.2)');
  return url;
}

/** A `.` or `..` segment in the path, percent-encoded or not (RFC 3986 §3.3, §5.2.4). */
function hasDotSegment(clientId: string): boolean {
  const afterAuthority = clientId.replace(/^[a-z]+:\/\/[^/?#]*/i, '');
  const path = afterAuthority.split(/[?#]/, 1)[0] as string;
  return path.split('/').some((segment) => /^(?:\.|%2e){1,2}$/i.test(segment));
}
