import { tokenInfoFromClaims } from '../../lib/resource/token-claims';

/** RFC 9449 §6.1, §6.2: the remote verifiers of resourceServer() carry a token's DPoP binding to the guard. */
test('claims with a cnf carry its jkt; a cnf without a jkt (another confirmation method) is not accepted', () => {
  const claims = { client_id: 'c', scope: 'read', sub: undefined, expiresAt: 1 };
  expect(tokenInfoFromClaims({ ...claims, cnf: { jkt: 'thumb' } })?.cnf).toEqual({ jkt: 'thumb' });
  expect(tokenInfoFromClaims(claims)).not.toHaveProperty('cnf');
  expect(tokenInfoFromClaims({ ...claims, cnf: { 'x5t#S256': 'cert' } })).toBeUndefined();
  expect(tokenInfoFromClaims({ ...claims, cnf: null })).toBeUndefined();
});
