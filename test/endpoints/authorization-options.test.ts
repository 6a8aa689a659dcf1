import { authorizationCode } from '../../lib/grants/authorization-code';
import { clientCredentials } from '../../lib/grants/client-credentials';
import { refreshToken } from '../../lib/grants/refresh-token';
import { OAuthServerOptionsError, type OAuthServerOptions } from '../../lib/options';
import { oauthServer } from '../../lib/server';

const base: OAuthServerOptions = { issuer: 'https://as.example', clients: [] };
const users = { getUser: () => undefined, login: () => undefined };

describe('authorization options, checked at start-up', () => {
  test.each([
    ['authorizationCode() without the authorization option', { grants: [authorizationCode()] }, /`authorization` is required/],
    ['the authorization option without authorizationCode()', { grants: [clientCredentials()], authorization: users }, /only used with the authorizationCode\(\) grant/],
    ['no getUser', { grants: [authorizationCode()], authorization: { login: users.login } }, /authorization\.getUser` is required/],
    ['no login', { grants: [authorizationCode()], authorization: { getUser: users.getUser } }, /authorization\.login` is required/],
    ['a consent renderer that is not a function', { grants: [authorizationCode()], authorization: { ...users, renderConsent: 'consent.html' } }, /renderConsent` must be a function/],
    ['a code lifetime of 0', { grants: [authorizationCode()], authorization: { ...users, codeLifetime: 0 } }, /codeLifetime` must be a positive whole number/],
    ['a negative rememberConsent', { grants: [authorizationCode()], authorization: { ...users, rememberConsent: -1 } }, /rememberConsent` must be a whole number, 0 or more/],
    ['a PKCE flag that is not a boolean', { grants: [authorizationCode()], authorization: { ...users, pkce: { allowPlain: 'yes' } } }, /pkce\.allowPlain` must be true or false/],
    ['a refresh token lifetime that is not a number', { grants: [authorizationCode(), refreshToken()], authorization: users, refreshTokenLifetime: '30d' }, /refreshTokenLifetime`/],
  ])('%s is refused', (_name, options, message) => {
    const create = () => oauthServer({ ...base, ...(options as Partial<OAuthServerOptions>) });
    expect(create).toThrow(OAuthServerOptionsError);
    expect(create).toThrow(message);
  });

  test('the authorization code and refresh token grants start with the minimal options, and the metadata says so', () => {
    const server = oauthServer({ ...base, grants: [authorizationCode(), refreshToken()], authorization: users });
    expect(server.metadata).toMatchObject({
      authorization_endpoint: 'https://as.example/authorize',
      grant_types_supported: ['authorization_code', 'refresh_token'],
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
    });
    void server.close();
  });

  test('the metadata lists plain only when it is allowed', () => {
    const server = oauthServer({ ...base, grants: [authorizationCode()], authorization: { ...users, pkce: { allowPlain: true } } });
    expect(server.metadata.code_challenge_methods_supported).toEqual(['S256', 'plain']);
    void server.close();
  });
});
