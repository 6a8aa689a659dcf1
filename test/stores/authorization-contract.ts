import { grantTokens as tokensOfGrant } from '../helpers/grant-tokens';
import type { AuthorizationCodeRecord, AuthorizationTransactionRecord, GrantTokens, PushedRequestRecord } from '../../lib/stores/store';
import { generateGrantId, generateTokenValue, hashTokenValue } from '../../lib/tokens/token-value';
import type { StoreUnderTest } from './store-contract';
import { savePendingDevice } from './device-contract';

/** The Store operations of the authorization code and refresh token grants (part of the store contract). */
export function authorizationContract(current: () => StoreUnderTest) {
  const store = () => current().store;
  const now = () => current().now();

  const code = (lifetime = 60, grantId = generateGrantId()): AuthorizationCodeRecord => ({
    grantId,
    clientId: 'spa',
    sub: 'alice',
    scope: ['read'],
    redirectUri: 'https://app.example/cb',
    redirectUriInRequest: true,
    codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    codeChallengeMethod: 'S256',
    issuedAt: now(),
    expiresAt: now() + lifetime,
  });

  /** Tokens of a grant for `clientId`, as the issuer makes them (values carry the grant id), issued `at`. */
  const grantTokens = (grantId: string, lifetime = 60, { clientId = 'spa', at = now() } = {}): GrantTokens => tokensOfGrant(grantId, { at, lifetime, clientId });
  /** A saved code, as the authorization endpoint saves it: the code carries its grant id. */
  async function savedCode(lifetime = 60): Promise<{ hash: string; record: AuthorizationCodeRecord }> {
    const record = code(lifetime);
    const hash = hashTokenValue(generateTokenValue('', record.grantId));
    await store().saveAuthorizationCode(hash, record);
    return { hash, record };
  }
  /** Whether every token of `tokens` is still found. */
  async function live(tokens: GrantTokens): Promise<boolean> {
    const [access, refresh] = await Promise.all([store().findAccessToken(tokens.accessToken.hash), store().findRefreshToken(refreshHash(tokens))]);
    return access !== undefined && refresh !== undefined;
  }
  const NO_GRACE = 0;
  const refreshHash = (tokens: GrantTokens) => tokens.refreshToken?.hash as string;

  const transaction = (lifetime = 60): AuthorizationTransactionRecord => ({
    clientId: 'spa',
    sub: 'alice',
    scope: ['read'],
    redirectUri: 'https://app.example/cb',
    redirectUriInRequest: false,
    state: 'xyz',
    csrfTokenHash: hashTokenValue('csrf'),
    expiresAt: now() + lifetime,
  });

  describe('authorization codes', () => {
    test('a code is found, used or not, until it expires; finding it changes nothing', async () => {
      const { hash, record } = await savedCode();
      await expect(store().findAuthorizationCode(hash)).resolves.toEqual(record);
      await expect(store().findAuthorizationCode(hash)).resolves.toEqual(record);
      await expect(store().exchangeAuthorizationCode(hash, grantTokens(record.grantId))).resolves.toBe('exchanged');
      await expect(store().findAuthorizationCode(hash)).resolves.toEqual(record);
    });

    test('an exchange uses the code and saves its tokens in one step; a second use revokes them (RFC 6749 §4.1.2)', async () => {
      const { hash, record } = await savedCode();
      const first = grantTokens(record.grantId);
      await expect(store().exchangeAuthorizationCode(hash, first)).resolves.toBe('exchanged');
      expect(await live(first)).toBe(true);
      await expect(store().exchangeAuthorizationCode(hash, grantTokens(record.grantId))).resolves.toBe('alreadyUsed');
      expect(await live(first)).toBe(false);
      await expect(store().findAccessToken(first.accessToken.hash)).resolves.toBeUndefined();
      await expect(store().saveGrantTokens(grantTokens(record.grantId))).resolves.toBe(false);
    });

    test('of concurrent exchanges of one code, exactly one is exchanged; the next is a reuse, after which the grant is revoked', async () => {
      const { hash, record } = await savedCode();
      const attempts = Array.from({ length: 4 }, () => grantTokens(record.grantId));
      const results = await Promise.all(attempts.map((tokens) => store().exchangeAuthorizationCode(hash, tokens)));
      expect(results.filter((result) => result === 'exchanged')).toHaveLength(1);
      expect(results.filter((result) => result === 'alreadyUsed')).toHaveLength(1);
      expect(results.filter((result) => result === 'unknown')).toHaveLength(2);
    });

    test("an exchange for another client's tokens changes nothing: the code stays unused, the grant stands", async () => {
      const { hash, record } = await savedCode();
      const foreign = grantTokens(record.grantId, 60, { clientId: 'web' });
      await expect(store().exchangeAuthorizationCode(hash, foreign)).resolves.toBe('unknown');
      await expect(store().findAccessToken(foreign.accessToken.hash)).resolves.toBeUndefined();
      const own = grantTokens(record.grantId);
      await expect(store().exchangeAuthorizationCode(hash, own)).resolves.toBe('exchanged');
      await expect(store().exchangeAuthorizationCode(hash, grantTokens(record.grantId, 60, { clientId: 'web' }))).resolves.toBe('unknown');
      expect(await live(own)).toBe(true);
    });

    test('an unknown code is neither found nor exchanged, nor a code for tokens of another grant', async () => {
      const unknown = hashTokenValue(generateTokenValue('', generateGrantId()));
      await expect(store().findAuthorizationCode(unknown)).resolves.toBeUndefined();
      await expect(store().exchangeAuthorizationCode(unknown, grantTokens(generateGrantId()))).resolves.toBe('unknown');
      const { hash } = await savedCode();
      await expect(store().exchangeAuthorizationCode(hash, grantTokens(generateGrantId()))).resolves.toBe('unknown');
    });
  });

  describe('grant tokens', () => {
    test('tokens saved under a grant are found: the access token as any other, the refresh token not yet rotated', async () => {
      const tokens = grantTokens(generateGrantId());
      await expect(store().saveGrantTokens(tokens)).resolves.toBe(true);
      await expect(store().findAccessToken(tokens.accessToken.hash)).resolves.toEqual(tokens.accessToken.record);
      await expect(store().findRefreshToken(refreshHash(tokens))).resolves.toEqual({ record: tokens.refreshToken?.record, rotated: false });
    });

    test('a grant-bound hash whose grant id part was changed is not found', async () => {
      const tokens = grantTokens(generateGrantId());
      await store().saveGrantTokens(tokens);
      const moved = `${generateGrantId()}.${tokens.accessToken.hash.split('.')[1]}`;
      await expect(store().findAccessToken(moved)).resolves.toBeUndefined();
    });

    test('rotation uses up the presented refresh token and saves the new tokens', async () => {
      const grantId = generateGrantId();
      const first = grantTokens(grantId);
      const second = grantTokens(grantId);
      await store().saveGrantTokens(first);
      await expect(store().rotateRefreshToken(refreshHash(first), second, NO_GRACE)).resolves.toBe('rotated');
      await expect(store().findRefreshToken(refreshHash(first))).resolves.toMatchObject({ rotated: true });
      await expect(store().findRefreshToken(refreshHash(second))).resolves.toMatchObject({ rotated: false });
      await expect(store().findAccessToken(second.accessToken.hash)).resolves.toBeDefined();
    });

    test('presenting a rotated refresh token again revokes every token of the grant, and the grant takes no new ones', async () => {
      const grantId = generateGrantId();
      const first = grantTokens(grantId);
      const second = grantTokens(grantId);
      await store().saveGrantTokens(first);
      await store().rotateRefreshToken(refreshHash(first), second, NO_GRACE);
      await expect(store().rotateRefreshToken(refreshHash(first), grantTokens(grantId), NO_GRACE)).resolves.toBe('reused');
      for (const tokens of [first, second]) {
        await expect(store().findAccessToken(tokens.accessToken.hash)).resolves.toBeUndefined();
        await expect(store().findRefreshToken(refreshHash(tokens))).resolves.toBeUndefined();
      }
      await expect(store().saveGrantTokens(grantTokens(grantId))).resolves.toBe(false);
    });

    test('of two concurrent rotations of one refresh token, one rotates and the other is reuse', async () => {
      const grantId = generateGrantId();
      const first = grantTokens(grantId);
      await store().saveGrantTokens(first);
      const results = await Promise.all([
        store().rotateRefreshToken(refreshHash(first), grantTokens(grantId), NO_GRACE),
        store().rotateRefreshToken(refreshHash(first), grantTokens(grantId), NO_GRACE),
      ]);
      expect(results.sort()).toEqual(['reused', 'rotated']);
    });

    test('an unknown refresh token is neither found nor rotated', async () => {
      const grantId = generateGrantId();
      const unknown = hashTokenValue(generateTokenValue('', grantId));
      await expect(store().findRefreshToken(unknown)).resolves.toBeUndefined();
      await expect(store().rotateRefreshToken(unknown, grantTokens(grantId), NO_GRACE)).resolves.toBe('unknown');
    });

    test('revoking a grant forgets its tokens only, and refuses tokens issued under it afterwards', async () => {
      const revoked = grantTokens(generateGrantId());
      const other = grantTokens(generateGrantId());
      await store().saveGrantTokens(revoked);
      await store().saveGrantTokens(other);
      await store().revokeGrant(revoked.grantId);
      await expect(store().findAccessToken(revoked.accessToken.hash)).resolves.toBeUndefined();
      await expect(store().findRefreshToken(refreshHash(revoked))).resolves.toBeUndefined();
      await expect(store().findAccessToken(other.accessToken.hash)).resolves.toBeDefined();
      await expect(store().findRefreshToken(refreshHash(other))).resolves.toBeDefined();
      await expect(store().saveGrantTokens(grantTokens(revoked.grantId))).resolves.toBe(false);
      await expect(store().rotateRefreshToken(refreshHash(other), grantTokens(revoked.grantId), NO_GRACE)).resolves.toBe('unknown');
    });

    test('a refresh token is never rotated into tokens of another grant', async () => {
      const first = grantTokens(generateGrantId());
      await store().saveGrantTokens(first);
      const foreign = grantTokens(generateGrantId());
      await expect(store().rotateRefreshToken(refreshHash(first), foreign, NO_GRACE)).resolves.toBe('unknown');
      await expect(store().findRefreshToken(refreshHash(first))).resolves.toMatchObject({ rotated: false });
      await expect(store().findAccessToken(foreign.accessToken.hash)).resolves.toBeUndefined();
    });

    test("a refresh token presented for another client's tokens changes nothing, rotated or not", async () => {
      const grantId = generateGrantId();
      const first = grantTokens(grantId);
      await store().saveGrantTokens(first);
      await expect(store().rotateRefreshToken(refreshHash(first), grantTokens(grantId, 60, { clientId: 'web' }), NO_GRACE)).resolves.toBe('unknown');
      await expect(store().findRefreshToken(refreshHash(first))).resolves.toMatchObject({ rotated: false });
      const second = grantTokens(grantId);
      await store().rotateRefreshToken(refreshHash(first), second, NO_GRACE);
      await expect(store().rotateRefreshToken(refreshHash(first), grantTokens(grantId, 60, { clientId: 'web' }), NO_GRACE)).resolves.toBe('unknown');
      expect(await live(second)).toBe(true);
    });

    test('within the reuse grace, the same client presenting the rotated token changes nothing; after it, the grant is revoked', async () => {
      const grantId = generateGrantId();
      const first = grantTokens(grantId);
      // One reading of the clock: on a store with the system clock, a slow machine must not move the times.
      const start = now();
      const second = grantTokens(grantId, 60, { at: start + 100 });
      await store().saveGrantTokens(first);
      await expect(store().rotateRefreshToken(refreshHash(first), second, 10)).resolves.toBe('rotated');
      await expect(store().rotateRefreshToken(refreshHash(first), grantTokens(grantId, 60, { at: start + 109 }), 10)).resolves.toBe('justRotated');
      expect(await live(second)).toBe(true);
      await expect(store().findRefreshToken(refreshHash(first))).resolves.toMatchObject({ rotated: true });
      await expect(store().rotateRefreshToken(refreshHash(first), grantTokens(grantId, 60, { at: start + 110 }), 10)).resolves.toBe('reused');
      expect(await live(second)).toBe(false);
    });
  });

  describe('authorization transactions', () => {
    test('a pending request is taken once', async () => {
      const hash = hashTokenValue(generateTokenValue());
      const record = transaction();
      await store().saveAuthorizationTransaction(hash, record);
      await expect(store().takeAuthorizationTransaction(hash)).resolves.toEqual(record);
      await expect(store().takeAuthorizationTransaction(hash)).resolves.toBeUndefined();
    });

    test('of two concurrent takes, exactly one gets the request', async () => {
      const hash = hashTokenValue(generateTokenValue());
      await store().saveAuthorizationTransaction(hash, transaction());
      const taken = await Promise.all([store().takeAuthorizationTransaction(hash), store().takeAuthorizationTransaction(hash)]);
      expect(taken.filter((record) => record !== undefined)).toHaveLength(1);
    });
  });

  const pushed = (lifetime = 60): PushedRequestRecord => ({
    clientId: 'spa',
    params: { response_type: 'code', client_id: 'spa', state: 'xyz', resource: ['https://rs.example/a', 'https://rs.example/b'] },
    expiresAt: now() + lifetime,
  });

  describe('pushed authorization requests (RFC 9126)', () => {
    test('a pushed request is taken once, with every parameter, repeated ones included', async () => {
      const hash = hashTokenValue(generateTokenValue());
      const record = pushed();
      await store().savePushedRequest(hash, record);
      await expect(store().takePushedRequest(hash, 'spa')).resolves.toEqual(record);
      await expect(store().takePushedRequest(hash, 'spa')).resolves.toBeUndefined();
    });

    test("another client's take finds nothing and changes nothing: the request stays for its own client", async () => {
      const hash = hashTokenValue(generateTokenValue());
      await store().savePushedRequest(hash, pushed());
      await expect(store().takePushedRequest(hash, 'web')).resolves.toBeUndefined();
      await expect(store().takePushedRequest(hash, 'spa')).resolves.toMatchObject({ clientId: 'spa' });
    });

    test('of concurrent takes, exactly one gets the request', async () => {
      const hash = hashTokenValue(generateTokenValue());
      await store().savePushedRequest(hash, pushed());
      const taken = await Promise.all(Array.from({ length: 4 }, () => store().takePushedRequest(hash, 'spa')));
      expect(taken.filter((record) => record !== undefined)).toHaveLength(1);
    });

    test('an unknown request is not found', async () => {
      await expect(store().takePushedRequest(hashTokenValue(generateTokenValue()), 'spa')).resolves.toBeUndefined();
    });
  });

  describe('remembered consent', () => {
    test("is found for the user and the client it was saved for, and replaced by a later one", async () => {
      const expiresAt = now() + 60;
      await store().saveConsent('alice', 'spa', { scope: ['read'], expiresAt });
      await expect(store().findConsent('alice', 'spa')).resolves.toEqual({ scope: ['read'], expiresAt });
      await expect(store().findConsent('bob', 'spa')).resolves.toBeUndefined();
      await expect(store().findConsent('alice', 'web')).resolves.toBeUndefined();
      await store().saveConsent('alice', 'spa', { scope: ['read', 'write'], expiresAt });
      await expect(store().findConsent('alice', 'spa')).resolves.toMatchObject({ scope: ['read', 'write'] });
    });

    test('keeps ids that look alike apart', async () => {
      await store().saveConsent('a:b', 'c', { scope: ['read'], expiresAt: now() + 60 });
      await expect(store().findConsent('a', 'b:c')).resolves.toBeUndefined();
    });
  });

  test('codes, refresh tokens, pending and pushed requests and consents are forgotten once they expire; device codes are kept for expired_token', async () => {
    await store().saveConsent('carol', 'spa', { scope: ['read'], expiresAt: now() + 1 });
    const device = await savePendingDevice(store(), now(), 1);
    const { hash: codeHash } = await savedCode(1);
    const transactionHash = hashTokenValue(generateTokenValue());
    const tokens = grantTokens(generateGrantId(), 1);
    await store().saveAuthorizationTransaction(transactionHash, transaction(1));
    const pushedHash = hashTokenValue(generateTokenValue());
    await store().savePushedRequest(pushedHash, pushed(1));
    await store().saveGrantTokens(tokens);
    await current().advance(2);
    await expect(store().findAuthorizationCode(codeHash)).resolves.toBeUndefined();
    await expect(store().takeAuthorizationTransaction(transactionHash)).resolves.toBeUndefined();
    await expect(store().takePushedRequest(pushedHash, 'spa')).resolves.toBeUndefined();
    await expect(store().findRefreshToken(refreshHash(tokens))).resolves.toBeUndefined();
    await expect(store().findConsent('carol', 'spa')).resolves.toBeUndefined();
    await expect(store().pollDeviceCode(device.deviceCodeHash, 'tv', now())).resolves.toMatchObject({ status: 'pending', record: { expiresAt: device.record.expiresAt } });
  });
}
