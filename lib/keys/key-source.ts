import type { LoadedKey } from './loaded-key';

/** Where the signing keys come from: the host app's (host-keys.ts) or generated in the store (generated-keys.ts). */
export interface KeySource {
  /** The key that signs now. */
  signing(): Promise<LoadedKey>;
  /** Every key published now. */
  published(): Promise<LoadedKey[]>;
  /** The published key named `kid`, or `undefined`. */
  find(kid: string): Promise<LoadedKey | undefined>;
  close(): void;
}
