import { hash, randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';
import { setBounded } from '../bounded-map';
import { sharedInFlight } from '../in-flight';

/*
 * Client secrets are kept only as hashes, in one of two formats:
 *
 *   scrypt$<N>$<r>$<p>$<salt>$<hash>  any secret, including low-entropy ones a person chose:
 *                                     a memory-hard hash makes guessing from a leaked hash slow.
 *   sha256$<salt>$<hash>              secrets made by `generateClientSecret()`: 256 random bits
 *                                     cannot be guessed, so a fast hash is just as safe.
 *
 * Salts and hashes are base64url. Comparison is constant time (`timingSafeEqual`).
 *
 * A third format is never given by the host, only made here at start-up (`hashConfiguredSecret`):
 *
 *   chosen-sha256$<salt>$<hash>       a plaintext secret of static config: a salted SHA-256, but
 *                                     guessable, so the brute-force limits still apply to it.
 */

const SCRYPT = { N: 16384, r: 8, p: 1, keyLength: 32, saltLength: 16 };

export interface GeneratedClientSecret {
  /** Give this to the client once; it is not kept. */
  secret: string;
  /** Keep this as the client's `client_secret`. */
  hash: string;
}

/** A new 256-bit client secret and its hash (the fast format, safe for random secrets). */
export function generateClientSecret(): GeneratedClientSecret {
  const secret = randomBytes(32).toString('base64url');
  const salt = randomBytes(SCRYPT.saltLength).toString('base64url');
  return { secret, hash: `sha256$${salt}$${sha256(salt, secret).toString('base64url')}` };
}

/** Hashes a secret of any strength with scrypt, for keeping in the host app's client records. */
export async function hashClientSecret(secret: string): Promise<string> {
  const salt = randomBytes(SCRYPT.saltLength);
  const key = await new Promise<Buffer>((resolve, reject) =>
    scrypt(secret, salt, SCRYPT.keyLength, scryptParameters(SCRYPT), (error, derived) =>
      error ? reject(error) : resolve(derived),
    ),
  );
  return formatScrypt(SCRYPT, salt, key);
}

/**
 * A plaintext secret of static config, hashed once at start-up. The plaintext is in the host's
 * config, and this hash is kept in this process only (never stored): a slow hash of it would
 * slow down no one, while each scrypt costs 50 ms of CPU and a 16 MiB buffer that the C
 * allocator keeps (RSS) once freed. A person may have chosen it, so it stays guessable.
 */
export function hashConfiguredSecret(secret: string): string {
  const salt = randomBytes(SCRYPT.saltLength).toString('base64url');
  return `chosen-sha256$${salt}$${sha256(salt, secret).toString('base64url')}`;
}

/** `hashClientSecret`, synchronously. */
export function hashClientSecretSync(secret: string): string {
  const salt = randomBytes(SCRYPT.saltLength);
  return formatScrypt(SCRYPT, salt, scryptSync(secret, salt, SCRYPT.keyLength, scryptParameters(SCRYPT)));
}

/** A hash the host may give: scrypt or generated; `chosen-sha256` is made here only, from plaintext. */
export function isClientSecretHash(value: string): boolean {
  const kind = parseHash(value)?.kind;
  return kind === 'sha256' || kind === 'scrypt';
}

type ParsedHash =
  | { kind: 'sha256' | 'chosen-sha256'; salt: string; hash: Buffer }
  | { kind: 'scrypt'; N: number; r: number; p: number; salt: Buffer; hash: Buffer };

function parseHash(value: string): ParsedHash | undefined {
  const parts = value.split('$');
  if ((parts[0] === 'sha256' || parts[0] === 'chosen-sha256') && parts.length === 3 && parts[1] && parts[2]) {
    return { kind: parts[0], salt: parts[1], hash: Buffer.from(parts[2], 'base64url') };
  }
  if (parts[0] === 'scrypt' && parts.length === 6) {
    const [N, r, p] = parts.slice(1, 4).map(Number);
    if ([N, r, p].every((n) => Number.isSafeInteger(n) && n > 0) && parts[4] && parts[5]) {
      return { kind: 'scrypt', N, r, p, salt: Buffer.from(parts[4], 'base64url'), hash: Buffer.from(parts[5], 'base64url') };
    }
  }
  return undefined;
}

/**
 * Checks presented secrets against stored hashes. An scrypt check costs tens of
 * milliseconds, so a successful one is remembered (per verifier, in memory) as a salted
 * SHA-256 of the secret that passed: later requests from the same client cost one SHA-256.
 * Nothing is remembered for failures, and the memory is bounded.
 */
export class SecretVerifier {
  private readonly verifiedScrypt = new Map<string, Buffer>();
  /** Stored hashes already read: a client's hash is parsed once, not on every request. */
  private readonly parsedHashes = new Map<string, ParsedHash | undefined>();
  private readonly memorySalt = randomBytes(16).toString('base64url');
  /**
   * scrypt derivations running, by stored hash and presented secret: each costs 50 ms of CPU
   * and a 16 MiB buffer that the C allocator keeps once freed (one per thread of the pool).
   */
  private readonly scryptInFlight = sharedInFlight<string, Buffer>();

  constructor(private readonly maxRemembered = 1000) {}

  /** A hash of a generated 256-bit secret (`generateClientSecret`): one that no number of guesses will find. */
  isUnguessable(storedHash: string): boolean {
    return this.parse(storedHash)?.kind === 'sha256';
  }

  /**
   * Whether `presented` is a secret this verifier already found right for `storedHash`, or the
   * right one for a `chosen-sha256` hash (as cheap to tell as a remembered one): known without
   * a slow check, so not a guess. False when nothing is remembered (or it differs).
   */
  isRememberedRight(presented: string, storedHash: string): boolean {
    const parsed = this.parse(storedHash);
    if (parsed?.kind === 'chosen-sha256') return constantTimeEqual(sha256(parsed.salt, presented), parsed.hash);
    const remembered = this.verifiedScrypt.get(storedHash);
    return remembered !== undefined && constantTimeEqual(sha256(this.memorySalt, presented), remembered);
  }

  async verify(presented: string, storedHash: string): Promise<boolean> {
    const parsed = this.parse(storedHash);
    if (parsed === undefined) return false;
    if (parsed.kind !== 'scrypt') return constantTimeEqual(sha256(parsed.salt, presented), parsed.hash);
    if (this.verifiedScrypt.has(storedHash)) return this.isRememberedRight(presented, storedHash);

    const presentedDigest = sha256(this.memorySalt, presented);
    // The same secret presented by requests at once (a client's first burst) is derived once.
    const derived = await this.scryptInFlight(`${storedHash}\0${presentedDigest.toString('base64url')}`, () =>
      new Promise<Buffer>((resolve, reject) =>
        scrypt(presented, parsed.salt, parsed.hash.length, scryptParameters(parsed), (error, key) =>
          error ? reject(error) : resolve(key),
        ),
      ),
    );
    const valid = constantTimeEqual(derived, parsed.hash);
    if (valid) setBounded(this.verifiedScrypt, this.maxRemembered, storedHash, presentedDigest);
    return valid;
  }

  private parse(storedHash: string): ParsedHash | undefined {
    if (this.parsedHashes.has(storedHash)) return this.parsedHashes.get(storedHash);
    const parsed = parseHash(storedHash);
    setBounded(this.parsedHashes, this.maxRemembered, storedHash, parsed);
    return parsed;
  }

}

function sha256(salt: string, secret: string): Buffer {
  return hash('sha256', `${salt}\0${secret}`, 'buffer');
}

function constantTimeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function scryptParameters(p: { N: number; r: number; p: number }) {
  return { N: p.N, r: p.r, p: p.p, maxmem: 256 * p.N * p.r };
}

function formatScrypt(p: { N: number; r: number; p: number }, salt: Buffer, key: Buffer): string {
  return `scrypt$${p.N}$${p.r}$${p.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}
