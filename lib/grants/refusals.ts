import { InvalidGrantError } from '../errors';

/** RFC 6749 §5.2: one answer for every refused code, whatever the reason, so it tells nothing more. */
export const invalidCode = () => new InvalidGrantError('The authorization code is invalid, expired, already used or was issued to another client.');

/** RFC 6749 §5.2: one answer for every refused refresh token. */
export const invalidRefreshToken = () => new InvalidGrantError('The refresh token is invalid, expired, revoked or was issued to another client.');
