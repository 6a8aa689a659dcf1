import { exportJWK, exportPKCS8, generateKeyPair, type JWK } from 'jose';
import { OptionPath } from '../../lib/options/checks';
import { resolveSigningKeyOptions } from '../../lib/options/signing-keys';
import { signingKeys, type SigningKeys } from '../../lib/keys/signing-keys';
import { memoryStore } from '../../lib/stores/memory/store';
import type { Store } from '../../lib/stores/store';
import type { Clock } from '../../lib/clock';

export const TEST_ALGORITHMS = ['ES256', 'RS256', 'PS256', 'EdDSA'] as const;

/** A fresh private key for `alg`, as a JWK (no kid, no alg) and as PKCS#8 PEM. */
export async function privateKeyFor(alg: string): Promise<{ jwk: JWK; pem: string }> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return { jwk: await exportJWK(privateKey), pem: await exportPKCS8(privateKey) };
}

/** `signingKeys` options checked as oauthServer checks them. */
export function checked(value: unknown, store: Store = memoryStore()) {
  return resolveSigningKeyOptions(new OptionPath('oauthServer', 'signingKeys'), value, store);
}

/** A key set from `signingKeys` options, on `store` (default: a memory store), with a movable clock. */
export function keySet(value: unknown, settings: { store?: Store; clock?: Clock; longestTokenLifetimeSeconds?: number } = {}): SigningKeys {
  const store = settings.store ?? memoryStore();
  return signingKeys({
    options: checked(value, store),
    store,
    clock: settings.clock ?? (() => Math.floor(Date.now() / 1000)),
    longestTokenLifetimeSeconds: settings.longestTokenLifetimeSeconds ?? 3600,
  });
}
