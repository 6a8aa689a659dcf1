import { ClientMetadataError, normalizeClient, type Client, type ClientMetadata } from '../clients/client';
import { InvalidClientMetadataError, InvalidRedirectUriError } from '../errors';
import { checkClientMetadata, type MetadataRules, type RegisteredClientMetadata, type RegistrableAuthMethod } from '../registration/metadata';
import { clientMetadataOf } from '../registration/registered-clients';
import { ClientMetadataDocumentError } from './client-id-url';

/**
 * §4.1: a document is public, so it names no shared secret and no method that uses one:
 * `none` and `private_key_jwt` (both registrable, which the compiler checks).
 */
export const DOCUMENT_AUTH_METHODS: readonly string[] = ['none', 'private_key_jwt'] satisfies readonly RegistrableAuthMethod[];
const SECRET_FIELDS = ['client_secret', 'client_secret_expires_at'] as const;

/**
 * The client a fetched metadata document describes. The document is RFC 7591 client metadata
 * (§4.1), checked as a registration's is (redirect URIs, grant and response types, URLs; fields
 * this server does not know are ignored; the scope narrowed to `rules.scopes`), and besides:
 * - its `client_id` is the URL it was fetched from, compared as strings (§4.1);
 * - it has no `client_secret` nor `client_secret_expires_at`, and its method is one of
 *   `DOCUMENT_AUTH_METHODS` (`none` when it names none: a document cannot give it a secret);
 * - it may use the authorization code grant, and so lists it (the default, RFC 7591 §2).
 */
export function clientOfMetadataDocument(url: URL, document: Record<string, unknown>, rules: MetadataRules): Client {
  const clientId = url.href;
  if (document.client_id !== clientId) throw new ClientMetadataDocumentError('its client_id is not the URL it was fetched from');
  for (const name of SECRET_FIELDS) {
    if (document[name] !== undefined && document[name] !== null) throw new ClientMetadataDocumentError(`it has a ${name}, and a public document cannot hold a secret`);
  }
  const method = document.token_endpoint_auth_method ?? 'none';
  if (typeof method !== 'string' || !DOCUMENT_AUTH_METHODS.includes(method)) {
    throw new ClientMetadataDocumentError(`its token_endpoint_auth_method must be ${DOCUMENT_AUTH_METHODS.join(' or ')}`);
  }

  const checked = checkedAsRegistration({ ...document, token_endpoint_auth_method: method }, rules);
  if (!checked.grant_types.includes('authorization_code')) throw new ClientMetadataDocumentError('its grant_types must include authorization_code');
  const client = clientOf(clientMetadataOf({ ...checked, client_id: clientId }));
  // Shown on the consent page beside the name the document claims (draft -01, Security Considerations: phishing).
  return Object.freeze({ ...client, metadataDocumentHost: url.host });
}

/** The checks of a registration (RFC 7591 §2), their refusals told as the document's. */
function checkedAsRegistration(document: Record<string, unknown>, rules: MetadataRules): RegisteredClientMetadata {
  try {
    return checkClientMetadata(document, rules);
  } catch (error) {
    if (error instanceof InvalidClientMetadataError || error instanceof InvalidRedirectUriError) {
      throw new ClientMetadataDocumentError(error.description.replace(/\.$/, ''));
    }
    throw error;
  }
}

function clientOf(metadata: ClientMetadata): Client {
  try {
    return normalizeClient(metadata, { hashPlaintextSecret: false });
  } catch (error) {
    if (error instanceof ClientMetadataError) throw new ClientMetadataDocumentError('its metadata cannot be used here');
    throw error;
  }
}
