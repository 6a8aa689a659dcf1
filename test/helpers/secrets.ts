import { hashClientSecretSync } from '../../lib/clients/secrets';

/**
 * A secret a person chose, hashed with scrypt as the server keeps it: the guessable kind that
 * the brute-force limits protect (generated 256-bit secrets need no such protection).
 */
export function chosenSecret(secret: string): { secret: string; hash: string } {
  return { secret, hash: hashClientSecretSync(secret) };
}
