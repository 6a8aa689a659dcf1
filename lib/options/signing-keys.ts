import { createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import type { Store } from '../stores/store';
import { checkBoolean, checkOneOf, checkOptionsObject, checkPositiveInteger, type KnownKeys, type OptionPath } from './checks';

/** The JWS algorithms a signing key may have (RFC 7518 §3.1; EdDSA with Ed25519, RFC 8037). */
export const SIGNING_ALGORITHMS = ['ES256', 'RS256', 'PS256', 'EdDSA'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export interface SigningKeyOptions {
  /**
   * The host app's private keys: JWK objects (with `d`) or PKCS#8 PEM strings
   * (`-----BEGIN PRIVATE KEY-----`). The first one signs; all are published in the JWKS, so
   * that tokens signed by any of them verify. To rotate without failing a token, deploy in
   * three steps, each after the previous one's tokens and the JWKS caches have expired:
   * 1. add the new key second (published, not signing yet);
   * 2. move it first (it signs; the old key stays published for the tokens it signed);
   * 3. remove the old key once the last token it signed has expired.
   * A key's `alg` is the JWK's `alg`, else `algorithm`; its `kid` the JWK's `kid`, else its
   * RFC 7638 thumbprint. Without `keys`, the server generates and rotates keys in the store.
   */
  keys?: readonly (JWK | string)[];
  /** The algorithm of generated keys, and of given keys that name none (default ES256). */
  algorithm?: SigningAlgorithm;
  /** Generated keys: a new key signs this many seconds after the previous one began (default 2592000, 30 days). */
  rotateAfterSeconds?: number;
  /**
   * Generated keys with a store shared by several processes (Redis): must be `true`, to say
   * that the private keys may be kept in that store, readable by whoever reads the store.
   * Otherwise give `keys`. The memory store needs no opt-in: its keys never leave the process.
   */
  keepPrivateKeysInStore?: boolean;
}

/** A host key as given, checked: its algorithm and, when the JWK names one, its `kid`. */
export interface CheckedHostKey {
  material: JWK | string;
  alg: SigningAlgorithm;
  kid?: string;
}

export type CheckedSigningKeyOptions =
  /** `at`: where the keys were given, for the errors only their import can find (a computed kid met twice). */
  | { source: 'host'; keys: readonly CheckedHostKey[]; at: OptionPath }
  | { source: 'generated'; algorithm: SigningAlgorithm; rotateAfterSeconds: number };

const SIGNING_KEY_KEYS: KnownKeys<SigningKeyOptions> = { keys: true, algorithm: true, rotateAfterSeconds: true, keepPrivateKeysInStore: true };

/** Rotating more often than hourly would keep many keys published (each until its last token expires). */
const SHORTEST_ROTATION_SECONDS = 3600;

/**
 * Checks `signingKeys` at start-up. Host keys are parsed here (by Node, synchronously) so that
 * a wrong key is refused before the server starts; lib/keys imports them with jose. No message
 * carries key material: only the key's index, type, size, `alg` and `kid`.
 */
export function resolveSigningKeyOptions(at: OptionPath, value: unknown, store: Store): CheckedSigningKeyOptions {
  const options = checkOptionsObject(at, value, SIGNING_KEY_KEYS, '{ keys } or { algorithm, rotateAfterSeconds, keepPrivateKeysInStore }');
  const algorithm = checkOneOf(at.at('algorithm'), options.algorithm, SIGNING_ALGORITHMS, 'ES256');
  if (options.keys !== undefined) {
    for (const option of ['rotateAfterSeconds', 'keepPrivateKeysInStore'] as const) {
      if (options[option] !== undefined) throw at.at(option).error('is only used with generated keys: remove it, or remove `keys`');
    }
    return { source: 'host', keys: checkHostKeys(at.at('keys'), options.keys, algorithm), at: at.at('keys') };
  }
  const keepInStore = checkBoolean(at.at('keepPrivateKeysInStore'), options.keepPrivateKeysInStore, false);
  const rotateAfterSeconds = checkPositiveInteger(at.at('rotateAfterSeconds'), options.rotateAfterSeconds, 30 * 24 * 3600);
  if (rotateAfterSeconds < SHORTEST_ROTATION_SECONDS) throw at.at('rotateAfterSeconds').error(`must be at least ${SHORTEST_ROTATION_SECONDS}, got ${rotateAfterSeconds}`);
  if (store.signingKeys === undefined) {
    throw at.error('is needed: the store keeps no signing keys (it has no `signingKeys`), so give your own in `signingKeys.keys`');
  }
  if (!store.signingKeys.inProcess && !keepInStore) {
    throw at.error(
      'must say where the signing keys come from: set `keepPrivateKeysInStore: true` to generate them and keep the private keys in the store ' +
        '(readable by whoever reads the store), or give your own in `keys`',
    );
  }
  return { source: 'generated', algorithm, rotateAfterSeconds };
}

function checkHostKeys(at: OptionPath, value: unknown, algorithm: SigningAlgorithm): CheckedHostKey[] {
  if (!Array.isArray(value) || value.length === 0) throw at.error('must be a non-empty array of private keys (JWK objects or PKCS#8 PEM strings)');
  const checked: { key: CheckedHostKey; publicDer: Buffer }[] = [];
  value.forEach((material: unknown, index) => {
    const { key, keyObject } = checkHostKey(at.at(String(index)), material, algorithm);
    const publicDer = createPublicKey(keyObject).export({ format: 'der', type: 'spki' });
    const twin = checked.findIndex((other) => other.publicDer.equals(publicDer));
    if (twin !== -1) throw at.at(String(index)).error(`is the same key as \`keys.${twin}\`: list each key once`);
    const sameKid = checked.findIndex((other) => key.kid !== undefined && other.key.kid === key.kid);
    if (sameKid !== -1) throw at.at(String(index)).error(`has the kid ${JSON.stringify(key.kid)} of \`keys.${sameKid}\`: each key needs its own kid`);
    checked.push({ key, publicDer });
  });
  return checked.map(({ key }) => key);
}

function checkHostKey(at: OptionPath, material: unknown, algorithm: SigningAlgorithm): { key: CheckedHostKey; keyObject: KeyObject } {
  if (typeof material === 'string') {
    const keyObject = parsePem(at, material);
    return { key: { material, alg: checkFit(at, keyObject, algorithm) }, keyObject };
  }
  if (typeof material !== 'object' || material === null || Array.isArray(material)) {
    throw at.error('must be a private key: a JWK object or a PKCS#8 PEM string');
  }
  const jwk = material as JWK;
  // RFC 7518 §6.4: a symmetric key would be a shared secret: whoever verifies could also sign.
  if (jwk.kty === 'oct') throw at.error('is a symmetric key (kty "oct"): JWT access tokens are signed with an asymmetric private key (EC, RSA or OKP)');
  if (jwk.d === undefined) throw at.error('is a public key (no "d"): the private key is needed to sign');
  if (jwk.kid !== undefined && (typeof jwk.kid !== 'string' || jwk.kid === '')) throw at.error('has a kid that is not a non-empty string');
  // RFC 7517 §4.2: a key for another use must not sign.
  if (jwk.use !== undefined && jwk.use !== 'sig') throw at.error(`has use ${JSON.stringify(jwk.use)}: a signing key has use "sig" or none`);
  const alg = jwk.alg === undefined ? algorithm : checkAlgorithm(at, jwk.alg);
  const keyObject = parseJwk(at, jwk);
  return { key: { material: jwk, alg: checkFit(at, keyObject, alg), ...(jwk.kid !== undefined && { kid: jwk.kid }) }, keyObject };
}

function checkAlgorithm(at: OptionPath, alg: unknown): SigningAlgorithm {
  // RFC 7518 §3.6: "none" is an unsecured JWS, never accepted for an access token.
  if (alg === 'none') throw at.error('has alg "none": an access token must be signed; use ES256, RS256, PS256 or EdDSA');
  if (!SIGNING_ALGORITHMS.includes(alg as SigningAlgorithm)) {
    throw at.error(`has alg ${typeof alg === 'string' ? JSON.stringify(alg.slice(0, 20)) : 'that is not a string'}: use ES256, RS256, PS256 or EdDSA`);
  }
  return alg as SigningAlgorithm;
}

function parseJwk(at: OptionPath, jwk: JWK): KeyObject {
  try {
    return createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' });
  } catch {
    // The parser's own message is not repeated: it could quote the key.
    throw at.error(`is not a valid private JWK of kty ${JSON.stringify(String(jwk.kty).slice(0, 10))}`);
  }
}

const PEM_PROBLEMS: [RegExp, string][] = [
  [/-----BEGIN ENCRYPTED PRIVATE KEY-----/, 'is an encrypted PKCS#8 key: give it decrypted'],
  [/-----BEGIN (RSA|EC) PRIVATE KEY-----/, 'is not PKCS#8: convert it with `openssl pkcs8 -topk8 -nocrypt`'],
  [/-----BEGIN (PUBLIC KEY|CERTIFICATE|RSA PUBLIC KEY)-----/, 'is a public key or certificate: the private key is needed to sign'],
];

function parsePem(at: OptionPath, pem: string): KeyObject {
  for (const [pattern, problem] of PEM_PROBLEMS) if (pattern.test(pem)) throw at.error(problem);
  if (!pem.includes('-----BEGIN PRIVATE KEY-----')) throw at.error('must be a private key: a JWK object or a PKCS#8 PEM string (-----BEGIN PRIVATE KEY-----)');
  try {
    return createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw at.error('is not a readable PKCS#8 private key');
  }
}

/** RFC 7518 §3.3 (RSA at least 2048 bits), §3.4 (ES256 on P-256), RFC 8037 §3.1 (EdDSA on Ed25519): the key must fit its algorithm. */
function checkFit(at: OptionPath, key: KeyObject, alg: SigningAlgorithm): SigningAlgorithm {
  const type = key.asymmetricKeyType;
  const { namedCurve, modulusLength } = key.asymmetricKeyDetails ?? {};
  const fits =
    alg === 'ES256' ? type === 'ec' && namedCurve === 'prime256v1'
    : alg === 'EdDSA' ? type === 'ed25519'
    : type === 'rsa';
  const described =
    type === 'ec' ? `an EC ${namedCurve ?? ''} key`
    : type === 'rsa' ? `an RSA ${modulusLength ?? '?'}-bit key`
    : type === 'ed25519' ? 'an Ed25519 key'
    : `a key of type ${type ?? 'unknown'}`;
  const needs = alg === 'ES256' ? 'an EC P-256 key' : alg === 'EdDSA' ? 'an Ed25519 (OKP) key' : 'an RSA key';
  if (!fits) throw at.error(`is ${described}, which cannot sign ${alg}: ${alg} needs ${needs} (set the key's "alg", or \`signingKeys.algorithm\`)`);
  if (type === 'rsa' && (modulusLength ?? 0) < 2048) throw at.error(`is ${described}: RSA keys must have at least 2048 bits (RFC 7518 §3.3)`);
  return alg;
}
