import { exportJWK, importPKCS8, type JWK } from 'jose';
import type { OptionPath } from '../options/checks';
import type { CheckedHostKey } from '../options/signing-keys';
import type { KeySource } from './key-source';
import { loadKey, type LoadedKey } from './loaded-key';

/**
 * The host app's keys (`signingKeys.keys`), imported once: the first signs, all are published.
 * Imports run from the start; a failure (a kid met twice once thumbprints are known) rejects
 * every call with the option's error.
 */
export function hostKeySource(at: OptionPath, keys: readonly CheckedHostKey[]): KeySource {
  const loading = loadHostKeys(at, keys);
  loading.catch(() => {});
  return {
    signing: async () => (await loading)[0] as LoadedKey,
    published: () => loading,
    find: async (kid) => (await loading).find((key) => key.kid === kid),
    close() {},
  };
}

async function loadHostKeys(at: OptionPath, keys: readonly CheckedHostKey[]): Promise<LoadedKey[]> {
  const loaded = await Promise.all(
    keys.map(async ({ material, alg }, index) => {
      try {
        return await loadKey(typeof material === 'string' ? await jwkOfPem(material, alg) : material, alg);
      } catch {
        // The importer's message is not repeated: it could quote the key.
        throw at.at(String(index)).error('could not be imported: its private part is damaged or does not match its public part');
      }
    }),
  );
  loaded.forEach((key, index) => {
    const first = loaded.findIndex((other) => other.kid === key.kid);
    // RFC 7517 §4.5: the kid tells the keys of a set apart.
    if (first !== index) throw at.at(String(index)).error(`has the kid ${JSON.stringify(key.kid)} of \`keys.${first}\` (given or computed, RFC 7638): each key needs its own kid`);
  });
  return loaded;
}

/** A PKCS#8 key as a JWK, through jose, so that PEM and JWK keys are imported alike. */
async function jwkOfPem(pem: string, alg: string): Promise<JWK> {
  return exportJWK(await importPKCS8(pem, alg, { extractable: true }));
}
