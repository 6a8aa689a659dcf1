import type { AuthorizationCodeRecord, AuthorizationTransactionRecord, GrantTokens } from '../../lib/stores/store';
import { generateGrantId, generateTokenValue, hashTokenValue } from '../../lib/tokens/token-value';
import type { StoreUnderTest } from './store-contract';
import { savePendingDevice } from './device-contract';

/** The Store operations of the authorization code and refresh token grants (part of the store contract). */
export function authorizationContract(current: () => StoreUnderTest) {
  const store = () => current().store;
  const now = () => current().now();

  const code = (lifetime = 60): AuthorizationCodeRecord => ({
    grantId: generateGrantId(),
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

  /** Tokens of a grant, as the issuer makes them: values carry the grant id. */
  const grantTokens = (grantId: string, lifetime = 60): GrantTokens => ({
    grantId,
    accessToken: {
      hash: hashTokenValue(generateTokenValue('', grantId)),
      record: { clientId: 'spa', scope: ['read'], sub: 'alice', grantId, issuedAt: now(), expiresAt: now() + lifetime },
    },
    refreshToken: {
      hash: hashTokenValue(generateTokenValue('', grantId)),
      record: { grantId, clientId: 'spa', sub: 'alice', scope: ['read'], issuedAt: now(), expiresAt: now() + lifetime, grantExpiresAt: now() + 600 },
    },
  });
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
    test('a code is used once: the first use gets the record, later ones learn it was used', async () => {
      const hash = hashTokenValue(generateTokenValue());
      const record = code();
      await store().saveAuthorizationCode(hash, record);
      await expect(store().useAuthorizationCode(hash)).resolves.toEqual({ record, alreadyUsed: false });
      await expect(store().useAuthorizationCode(hash)).resolves.toEqual({ record, alreadyUsed: true });
    });

    test('of two concurrent uses of one code, exactly one is the first', async () => {
      const hash = hashTokenValue(generateTokenValue());
      await store().saveAuthorizationCode(hash, code());
      const uses = await Promise.all([store().useAuthorizationCode(hash), store().useAuthorizationCode(hash)]);
      expect(uses.map((use) => use?.alreadyUsed).sort()).toEqual([false, true]);
    });

    test('an unknown code is not found', async () => {
      await expect(store().useAuthorizationCode(hashTokenValue('never-issued'))).resolves.toBeUndefined();
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
      await expect(store().rotateRefreshToken(refreshHash(first), second)).resolves.toBe('rotated');
      await expect(store().findRefreshToken(refreshHash(first))).resolves.toMatchObject({ rotated: true });
      await expect(store().findRefreshToken(refreshHash(second))).resolves.toMatchObject({ rotated: false });
      await expect(store().findAccessToken(second.accessToken.hash)).resolves.toBeDefined();
    });

    test('presenting a rotated refresh token again revokes every token of the grant, and the grant takes no new ones', async () => {
      const grantId = generateGrantId();
      const first = grantTokens(grantId);
      const second = grantTokens(grantId);
      await store().saveGrantTokens(first);
      await store().rotateRefreshToken(refreshHash(first), second);
      await expect(store().rotateRefreshToken(refreshHash(first), grantTokens(grantId))).resolves.toBe('reused');
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
        store().rotateRefreshToken(refreshHash(first), grantTokens(grantId)),
        store().rotateRefreshToken(refreshHash(first), grantTokens(grantId)),
      ]);
      expect(results.sort()).toEqual(['reused', 'rotated']);
    });

    test('an unknown refresh token is neither found nor rotated', async () => {
      const grantId = generateGrantId();
      const unknown = hashTokenValue(generateTokenValue('', grantId));
      await expect(store().findRefreshToken(unknown)).resolves.toBeUndefined();
      await expect(store().rotateRefreshToken(unknown, grantTokens(grantId))).resolves.toBe('unknown');
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
      await expect(store().rotateRefreshToken(refreshHash(other), grantTokens(revoked.grantId))).resolves.toBe('unknown');
    });

    test('a refresh token is never rotated into tokens of another grant', async () => {
      const first = grantTokens(generateGrantId());
      await store().saveGrantTokens(first);
      const foreign = grantTokens(generateGrantId());
      await expect(store().rotateRefreshToken(refreshHash(first), foreign)).resolves.toBe('unknown');
      await expect(store().findRefreshToken(refreshHash(first))).resolves.toMatchObject({ rotated: false });
      await expect(store().findAccessToken(foreign.accessToken.hash)).resolves.toBeUndefined();
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

  test('codes, refresh tokens, pending requests and consents are forgotten once they expire; device codes are kept for expired_token', async () => {
    await store().saveConsent('carol', 'spa', { scope: ['read'], expiresAt: now() + 1 });
    const device = await savePendingDevice(store(), now(), 1);
    const codeHash = hashTokenValue(generateTokenValue());
    const transactionHash = hashTokenValue(generateTokenValue());
    const tokens = grantTokens(generateGrantId(), 1);
    await store().saveAuthorizationCode(codeHash, code(1));
    await store().saveAuthorizationTransaction(transactionHash, transaction(1));
    await store().saveGrantTokens(tokens);
    await current().advance(2);
    await expect(store().useAuthorizationCode(codeHash)).resolves.toBeUndefined();
    await expect(store().takeAuthorizationTransaction(transactionHash)).resolves.toBeUndefined();
    await expect(store().findRefreshToken(refreshHash(tokens))).resolves.toBeUndefined();
    await expect(store().findConsent('carol', 'spa')).resolves.toBeUndefined();
    await expect(store().pollDeviceCode(device.deviceCodeHash, 'tv', now())).resolves.toMatchObject({ status: 'pending', record: { expiresAt: device.record.expiresAt } });
  });
}
