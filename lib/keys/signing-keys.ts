import type { CryptoKey, JWK } from 'jose';
import type { Clock } from '../clock';
import type { CheckedSigningKeyOptions } from '../options/signing-keys';
import type { Store } from '../stores/store';
import { generatedKeySource } from './generated-keys';
import { hostKeySource } from './host-keys';
import { CLOCK_SKEW_SECONDS, PUBLISH_AHEAD_SECONDS } from './rotation';

/** The keys that sign JWT access tokens (RFC 9068 §2.1) and the JWKS that publishes them (RFC 7517 §5). */
export interface SigningKeys {
  /** The key to sign with now, imported once. Rejects (`TemporarilyUnavailableError`) when the store fails. */
  signingKey(): Promise<{ kid: string; alg: string; key: CryptoKey }>;
  /** The published keys' public parts only, each with `kid`, `alg` and `use: "sig"`. */
  publicJwks(): Promise<{ keys: JWK[] }>;
  /**
   * A published key whose `kid` and `alg` both match the token's header, else `undefined`. An
   * unknown kid reads the store again (at most once per cooldown); a known one needs no store.
   */
  verificationKey(header: { kid?: string; alg?: string }): Promise<CryptoKey | undefined>;
  close(): void;
}

export interface SigningKeySettings {
  options: CheckedSigningKeyOptions;
  store: Store;
  clock: Clock;
  /** The longest lifetime of a JWT access token: a retired key stays published that long (and the clock skew). */
  longestTokenLifetimeSeconds: number;
}

export function signingKeys({ options, store, clock, longestTokenLifetimeSeconds }: SigningKeySettings): SigningKeys {
  const source =
    options.source === 'host'
      ? hostKeySource(options.at, options.keys)
      : generatedKeySource({
          // resolveSigningKeyOptions refuses generated keys with a store without them.
          keyStore: store.signingKeys as NonNullable<Store['signingKeys']>,
          algorithm: options.algorithm,
          clock,
          policy: {
            rotateAfterSeconds: options.rotateAfterSeconds,
            publishAheadSeconds: PUBLISH_AHEAD_SECONDS,
            retireAfterSeconds: longestTokenLifetimeSeconds + CLOCK_SKEW_SECONDS,
          },
        });
  return {
    async signingKey() {
      const { kid, alg, privateKey } = await source.signing();
      return { kid, alg, key: privateKey };
    },
    async publicJwks() {
      return { keys: (await source.published()).map((key) => ({ ...key.publicJwk })) };
    },
    async verificationKey({ kid, alg }) {
      if (kid === undefined || alg === undefined) return undefined;
      const key = await source.find(kid);
      // RFC 8725 §3.1: the algorithm is the key's, never one the token chooses.
      return key !== undefined && key.alg === alg ? key.publicKey : undefined;
    },
    close() {
      source.close();
    },
  };
}
