import { ClientMetadataDocumentError, metadataDocumentUrl } from '../../lib/client-id-metadata/client-id-url';
import { clientOfMetadataDocument } from '../../lib/client-id-metadata/document';

const URL_ID = 'https://app.example.com/oauth/client.json';
const RULES = { grantTypes: ['authorization_code', 'refresh_token'], scopes: ['read', 'mcp:tools'], defaultScopes: ['read'] };
const read = (document: Record<string, unknown>) => clientOfMetadataDocument(new URL(URL_ID), document, RULES);
const minimal = { client_id: URL_ID, redirect_uris: ['https://app.example.com/cb'] };

function problemOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ClientMetadataDocumentError);
    return (error as ClientMetadataDocumentError).problem;
  }
  throw new Error('expected a ClientMetadataDocumentError');
}

describe('metadataDocumentUrl: which client_ids name a document (draft -01 §3)', () => {
  test.each([URL_ID, 'https://app.example.com:8443/c', 'https://app.example.com/c?v=1', 'http://127.0.0.1:3000/client.json'])('%s is one', (clientId) => {
    expect(metadataDocumentUrl(clientId)?.href).toBe(clientId);
  });

  test.each(['mcp-agent', 'urn:example:client', 'https://app.example.com', 'https://app.example.com/', 'ftp://app.example.com/c'])('%s is none (an ordinary id)', (clientId) => {
    expect(metadataDocumentUrl(clientId)).toBeUndefined();
  });

  test.each([
    ['https://app.example.com/c#frag', 'the client_id URL has a fragment'],
    ['https://user@app.example.com/c', 'the client_id URL has user information'],
    ['https://app.example.com/a/./c', 'the client_id URL has a . or .. path segment'],
    ['https://app.example.com/a/%2e/c', 'the client_id URL has a . or .. path segment'],
    ['https://app.example.com/..', 'the client_id URL has a . or .. path segment'],
    ['https://APP.example.com/c', 'the client_id URL is not in normal form (RFC 3986 section 6.2.2)'],
    ['https://app.example.com:443/c', 'the client_id URL is not in normal form (RFC 3986 section 6.2.2)'],
    ['https://app.example.com/a b', 'the client_id URL is not in normal form (RFC 3986 section 6.2.2)'],
    ['https://[bad/c', 'the client_id is not a valid URL'],
  ])('%s is refused: %s', (clientId, problem) => {
    expect(problemOf(() => metadataDocumentUrl(clientId))).toBe(problem);
  });
});

describe('clientOfMetadataDocument (draft -01 §4.1)', () => {
  test('a minimal document: a public client of the code grant, the default scopes, named by its host', () => {
    const client = read(minimal);
    expect(client).toMatchObject({
      id: URL_ID,
      authMethod: 'none',
      grantTypes: ['authorization_code'],
      redirectUris: ['https://app.example.com/cb'],
      scope: ['read'],
      metadataDocumentHost: 'app.example.com',
    });
    expect(client.registered).toBeUndefined();
  });

  test('fields this server does not know are ignored; its own client options cannot be given to itself', () => {
    const client = read({ ...minimal, frobnicate: true, introspect_any: true, access_token_lifetime: 999999, client_name: 'Claimed' });
    expect(client).toMatchObject({ name: 'Claimed', introspectAny: false });
    expect(client.accessTokenLifetime).toBeUndefined();
  });

  test('the scope is narrowed to the scopes such clients may have; refresh_token is kept when listed; DPoP binding is kept', () => {
    const client = read({ ...minimal, scope: 'read admin mcp:tools', grant_types: ['authorization_code', 'refresh_token'], dpop_bound_access_tokens: true });
    expect(client).toMatchObject({ scope: ['read', 'mcp:tools'], grantTypes: ['authorization_code', 'refresh_token'], dpopBoundAccessTokens: true });
  });

  test('a native application may use a private-use scheme and loopback redirect URIs (RFC 8252)', () => {
    const client = read({ ...minimal, application_type: 'native', redirect_uris: ['com.example.app:/cb', 'http://127.0.0.1/cb'] });
    expect(client.redirectUris).toEqual(['com.example.app:/cb', 'http://127.0.0.1/cb']);
  });

  test.each([
    ['no client_id', { redirect_uris: minimal.redirect_uris }, 'its client_id is not the URL it was fetched from'],
    ['another client_id', { ...minimal, client_id: 'https://evil.example/client.json' }, 'its client_id is not the URL it was fetched from'],
    ['a client_id differing only in case', { ...minimal, client_id: URL_ID.replace('client', 'Client') }, 'its client_id is not the URL it was fetched from'],
    ['a client_secret', { ...minimal, client_secret: 'x' }, 'it has a client_secret, and a public document cannot hold a secret'],
    ['a client_secret_expires_at', { ...minimal, client_secret_expires_at: 0 }, 'it has a client_secret_expires_at, and a public document cannot hold a secret'],
    ['client_secret_jwt', { ...minimal, token_endpoint_auth_method: 'client_secret_jwt' }, expect.stringMatching(/^its token_endpoint_auth_method must be none/)],
    ['a method that is no string', { ...minimal, token_endpoint_auth_method: 7 }, expect.stringMatching(/^its token_endpoint_auth_method must be none/)],
    ['no redirect_uris', { client_id: URL_ID }, 'redirect_uris are required for the authorization_code grant'],
    ['a redirect URI with a fragment', { ...minimal, redirect_uris: ['https://app.example.com/cb#x'] }, 'redirect_uris[0] has a fragment'],
    ['a javascript: redirect URI', { ...minimal, redirect_uris: ['javascript:alert(1)'] }, expect.stringMatching(/^redirect_uris\[0\] has a scheme/)],
    ['response_types that disagree', { ...minimal, response_types: ['token'] }, 'response_types may only list code'],
  ])('refused: %s', (_case, document, problem) => {
    expect(problemOf(() => read(document as Record<string, unknown>))).toEqual(problem);
  });
});
