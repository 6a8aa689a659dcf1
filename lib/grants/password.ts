import type { Grant } from './grant';
import { InvalidGrantError, InvalidRequestError } from '../errors';
import type { AttemptLimit } from '../limits/attempt-limiter';
import { checkPasswordOptions } from '../options/grants';
import { resolveScope } from '../scope';
import { generateGrantId } from '../tokens/token-value';
import { grantResources } from '../resource/resources';

export interface PasswordGrantOptions {
  /**
   * Checks a user's credentials: resolves to the user's id (the tokens' `sub`), or undefined
   * when they are wrong. Take as long for an unknown username as for a wrong password.
   */
  verifyUser(username: string, password: string): Promise<string | undefined>;
  /**
   * Failed attempts per username, known or not (default 5 per 15 minutes, then blocked 15
   * minutes, even for the right password); `false` turns the limit off.
   */
  perUsername?: Partial<AttemptLimit> | false;
}

/** The password grant, with the per-username limit the server also gives the host app (`oauth.limits`). */
export interface PasswordGrant extends Grant {
  readonly type: 'password';
  readonly perUsername: AttemptLimit | false;
}

export function isPasswordGrant(grant: Grant): grant is PasswordGrant {
  return grant.type === 'password' && 'perUsername' in grant;
}

/**
 * RFC 6749 §4.3: the client sends the user's username and password. Legacy only: RFC 9700
 * §2.4 says it MUST NOT be used, since the client sees the password. Off unless added to
 * `grants`. A refresh token comes with the access token when the client is registered for
 * the refresh_token grant.
 */
export function passwordGrant(options: PasswordGrantOptions): PasswordGrant {
  const { verifyUser, perUsername: limit } = checkPasswordOptions(options);
  // One answer for a wrong password, an unknown user and a blocked username: no password oracle.
  const refused = () => new InvalidGrantError('The username or password is wrong, or too many attempts were made.');

  return {
    type: 'password',
    perUsername: limit,
    parameters: ['username', 'password', 'scope'],
    async handle({ client, params, tokens, limits, resource }) {
      const { username, password } = params;
      if (username === undefined || password === undefined) throw new InvalidRequestError('The username and password parameters are required.');
      // RFC 6749 §4.3.2, §3.3: within the client's scope.
      const scope = resolveScope(params.scope, client.scope);

      // RFC 6749 §4.3.2: "MUST protect the endpoint against brute force attacks".
      const check = await limits.checkPassword(username, () => verifyUser(username, password));
      if (check.outcome !== 'ok') throw refused();
      const sub = check.user;
      if (typeof sub !== 'string' || sub === '') throw new TypeError('passwordGrant.verifyUser must resolve to a non-empty string or undefined');
      // RFC 8707 §2.2: a refresh stays within the resource this request named.
      const audience = resource.choose();
      return tokens.issue({ client, scope, sub, resource: audience, grant: { id: generateGrantId(), scope, ...grantResources(audience) } });
    },
  };
}
