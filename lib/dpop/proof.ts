import { tokenDigest } from '../tokens/token-value';
import { PRIVATE_JWK_MEMBERS } from '../assertions/public-jwks';
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify, type CryptoKey, type FlattenedJWSInput, type JWSHeaderParameters } from 'jose';
import { setBounded } from '../bounded-map';
import { InvalidDpopProofError, UseDpopNonceError } from '../errors';
import type { Clock } from '../clock';
import { onceKey } from '../stores/store';
import { usableJti } from '../stores/replay-records';
import type { DpopNonces } from './nonce';

/** RFC 9449 §4.2 */
const PROOF_TYPE = 'dpop+jwt';

/**
 * RFC 9449 §4.3 point 11, §11.1: a proof is accepted while its `iat` is within this many
 * seconds of the server's clock, either way (clients' clocks drift, both ahead and behind).
 * Its `jti` is remembered as long as it could be accepted.
 */
export const DPOP_IAT_WINDOW_SECONDS = 60;

/** Client keys remembered, imported, with their thumbprints (a few hundred bytes each): a client's next proofs skip the import. */
const KEYS_KEPT = 10_000;

/** What a proof is checked against: the request that carried it. */
export interface DpopProofRequest {
  /** Every `DPoP` header of the request (`req.headersDistinct.dpop`); exactly one is allowed. */
  headers: readonly string[] | undefined;
  /** The request's method, `htm` (RFC 9449 §4.3 point 8). */
  method: string;
  /** The request's URL as the server's configured origin names it (`htu`, §4.3 point 9); its query is ignored. */
  url: string;
  /** The access token presented with the proof, at a resource (`ath`, §4.3 point 12). */
  accessToken?: string;
}

export interface DpopProofSettings {
  /** The JWS algorithms accepted: asymmetric only (RFC 9449 §4.3 point 5). */
  algorithms: readonly string[];
  clock: Clock;
  /** The replay records: `false` when the key was already remembered (`Store.rememberOnce`). */
  rememberOnce(key: string, expiresAt: number): Promise<boolean>;
  /** Server nonces (RFC 9449 §8, §9), when the server requires them. */
  nonces?: DpopNonces;
}

/**
 * RFC 9449 §4.3: checks the DPoP proof of one request and resolves the RFC 7638 thumbprint of
 * its key (`jkt`). Throws `InvalidDpopProofError`, or `UseDpopNonceError` with a fresh nonce.
 */
export type DpopProofChecker = (request: DpopProofRequest) => Promise<string>;

export function dpopProofChecker(settings: DpopProofSettings): DpopProofChecker {
  const { algorithms, clock, rememberOnce, nonces } = settings;
  const verifyOptions = {
    typ: PROOF_TYPE,
    algorithms: [...algorithms],
    requiredClaims: ['jti', 'htm', 'htu', 'iat'],
    // With an age of 0, jose's tolerance is the window either way: iat within now ± the window.
    maxTokenAge: 0,
    clockTolerance: DPOP_IAT_WINDOW_SECONDS,
  };

  // By the header's alg and the jwk exactly as sent: any other member (use, alg) is another entry, checked by EmbeddedJWK.
  const keys = new Map<string, KeyEntry>();
  /**
   * RFC 9449 §4.3 point 7: the key is the `jwk` of the header, and it must be a public key.
   * Resolves with the key's entry (imported once per key, its thumbprint made once).
   */
  const embeddedKeyEntry = async (header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<KeyEntry> => {
    const jwk = header.jwk;
    if (typeof jwk === 'object' && jwk !== null && PRIVATE_JWK_MEMBERS.some((member) => Object.hasOwn(jwk, member))) {
      throw invalidProof('The DPoP proof jwk must be a public key.');
    }
    const cacheKey = `${header.alg} ${JSON.stringify(jwk)}`;
    const known = keys.get(cacheKey);
    if (known !== undefined) return known;
    const entry = { key: await EmbeddedJWK(header, token) };
    setBounded(keys, KEYS_KEPT, cacheKey, entry);
    return entry;
  };

  return async ({ headers, method, url, accessToken }) => {
    // RFC 9449 §4.3 point 1: exactly one DPoP header.
    if (headers === undefined || headers.length !== 1) throw invalidProof('Send exactly one DPoP header.');
    const now = clock();
    let verified;
    let keyEntry: KeyEntry | undefined;
    const publicEmbeddedKey = async (header: JWSHeaderParameters, token: FlattenedJWSInput) => (keyEntry = await embeddedKeyEntry(header, token)).key;
    try {
      verified = await jwtVerify(headers[0], publicEmbeddedKey, { ...verifyOptions, currentDate: new Date(now * 1000) });
    } catch (error) {
      if (error instanceof InvalidDpopProofError) throw error;
      // Everything here works on the proof alone: whatever fails (jose, or WebCrypto refusing a
      // malformed jwk with a DOMException) is the proof's fault, never the server's.
      throw invalidProof('The DPoP proof is not a valid signed proof JWT.');
    }
    const { payload, protectedHeader } = verified;
    const { jti, htm, htu, iat } = payload as { jti: unknown; htm: unknown; htu: unknown; iat: number };

    // RFC 9449 §4.2: `jti` names one proof.
    if (!usableJti(jti)) throw invalidProof('The DPoP proof jti is missing or too long.');
    // RFC 9449 §4.3 point 8
    if (htm !== method) throw invalidProof('The DPoP proof htm is not the method of this request.');
    // RFC 9449 §4.3 point 9
    const proofHtu = typeof htu === 'string' ? normalizedHtu(htu) : undefined;
    if (proofHtu === undefined || proofHtu !== normalizedHtu(url)) {
      throw invalidProof('The DPoP proof htu is not the URL of this request.');
    }
    // RFC 9449 §4.3 point 12: the proof is for this very access token.
    if (accessToken !== undefined && payload.ath !== accessTokenHash(accessToken)) throw invalidProof('The DPoP proof ath does not match the access token.');
    // RFC 9449 §4.3 point 10, §8: checked before the jti is remembered, so the retry is not a replay.
    if (nonces !== undefined && (typeof payload.nonce !== 'string' || !nonces.isValid(payload.nonce))) {
      throw new UseDpopNonceError('The DPoP proof must carry the nonce of the DPoP-Nonce header.', nonces.current());
    }

    // RFC 7638: the thumbprint of the verified proof's key, made once per key.
    const entry = keyEntry as KeyEntry;
    const jkt = (entry.jkt ??= await calculateJwkThumbprint(protectedHeader.jwk as NonNullable<JWSHeaderParameters['jwk']>, 'sha256'));
    // RFC 9449 §11.1: a proof is used once, on every instance; remembered while its iat is acceptable.
    if (!(await rememberOnce(onceKey('dpop', jkt, jti), iat + DPOP_IAT_WINDOW_SECONDS + 1))) {
      throw invalidProof('The DPoP proof was already used.');
    }
    return jkt;
  };
}

/** A proof key seen before: imported once, its RFC 7638 thumbprint made once. */
interface KeyEntry {
  key: CryptoKey;
  jkt?: string;
}

/** RFC 9449 §4.2 `ath`: base64url of the SHA-256 of the access token's ASCII value. */
export function accessTokenHash(accessToken: string): string {
  return tokenDigest(accessToken);
}

/**
 * RFC 9449 §4.3 point 9 with RFC 3986 §6.2.2–6.2.3: the URL without query or fragment, its
 * scheme and host in lower case, the default port dropped, dot segments removed (what WHATWG
 * URL parsing does), and percent-encodings in one form (unreserved characters decoded, the
 * others in upper case). `undefined` for anything but an absolute http(s) URL.
 */
export function normalizedHtu(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  const path = url.pathname.replace(/%[0-9A-Fa-f]{2}/g, (escape) => {
    const character = String.fromCharCode(parseInt(escape.slice(1), 16));
    return /[A-Za-z0-9\-._~]/.test(character) ? character : escape.toUpperCase();
  });
  return `${url.protocol}//${url.host}${path}`;
}

function invalidProof(description: string): InvalidDpopProofError {
  return new InvalidDpopProofError(description);
}
