import { timingSafeEqual } from 'node:crypto';

/** Whether two digests (hashes of tokens, CSRF tokens) are equal, compared in constant time. */
export function sameDigest(a: string, b: string): boolean {
  const [left, right] = [Buffer.from(a), Buffer.from(b)];
  return left.length === right.length && timingSafeEqual(left, right);
}
