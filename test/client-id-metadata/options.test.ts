import { authorizationCode } from '../../lib/grants/authorization-code';
import { clientCredentials } from '../../lib/grants/client-credentials';
import { OAuthServerOptionsError, type OAuthServerOptions } from '../../lib/options';
import { oauthServer } from '../../lib/server';
import { ISSUER } from '../helpers/test-app';

const withCodeFlow = (clientIdMetadataDocuments: unknown): OAuthServerOptions =>
  ({
    issuer: ISSUER,
    clients: [],
    grants: [clientCredentials(), authorizationCode()],
    authorization: { getUser: () => undefined, login: () => undefined },
    clientIdMetadataDocuments,
  }) as OAuthServerOptions;

function startupError(options: OAuthServerOptions): string {
  try {
    void oauthServer(options).close();
  } catch (error) {
    expect(error).toBeInstanceOf(OAuthServerOptionsError);
    return (error as Error).message;
  }
  throw new Error('expected oauthServer() to throw');
}

describe('the clientIdMetadataDocuments option is checked at start-up', () => {
  test.each([
    ['not an object', 'yes', /`clientIdMetadataDocuments` must be \{ allowHttpLoopback\?/],
    ['a misspelt key', { allowLoopback: true }, /`clientIdMetadataDocuments.allowLoopback` is not an option: use allowHttpLoopback, scopes/],
    ['allowHttpLoopback not a boolean', { allowHttpLoopback: 'yes' }, /`clientIdMetadataDocuments.allowHttpLoopback` must be true or false/],
    ['a scope that is no scope token', { scopes: ['a b'] }, /`clientIdMetadataDocuments.scopes` must be an array of scope tokens/],
    ['default scopes beyond the scopes', { scopes: ['read'], defaultScopes: ['admin'] }, /`clientIdMetadataDocuments.defaultScopes` has admin, not in `scopes`/],
    ['a size that is no size', { maxDocumentSize: 'big' }, /`clientIdMetadataDocuments.maxDocumentSize` must be a positive number of bytes/],
    ['a timeout of 0', { fetchTimeoutMs: 0 }, /`clientIdMetadataDocuments.fetchTimeoutMs` must be a positive whole number/],
    ['a misspelt cache key', { cache: { max: 5 } }, /`clientIdMetadataDocuments.cache.max` is not an option/],
    ['maxSeconds below minSeconds', { cache: { minSeconds: 600, maxSeconds: 60 } }, /`clientIdMetadataDocuments.cache.maxSeconds` must be at least cache.minSeconds \(600\)/],
  ])('%s', (_case, value, message) => {
    expect(startupError(withCodeFlow(value))).toMatch(message);
  });

  test('without the authorization code grant, the option says what it needs', () => {
    expect(startupError({ issuer: ISSUER, clients: [], clientIdMetadataDocuments: {} })).toMatch(/`clientIdMetadataDocuments` is only used with the authorizationCode\(\) grant/);
  });

  test('{} and false are accepted: on with the defaults, and off', () => {
    const on = oauthServer(withCodeFlow({}));
    const off = oauthServer(withCodeFlow(false));
    expect(on.metadata.client_id_metadata_document_supported).toBe(true);
    expect(off.metadata).not.toHaveProperty('client_id_metadata_document_supported');
    void on.close();
    void off.close();
  });
});
