import { randomBytes } from 'node:crypto';

/** RFC 7591 §3.2.1: the client_id a registration gets: 128 random bits, base64url (22 characters). */
export function newRegisteredClientId(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * Whether `clientId` has the shape of an id registration hands out. Any other id (a static
 * client's, a Client ID Metadata Document's URL, a made-up one) is never in the store, so it
 * costs no store read.
 */
export function mayBeRegisteredClientId(clientId: string): boolean {
  return /^[\w-]{22}$/.test(clientId);
}
