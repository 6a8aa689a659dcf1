import type { Grant } from './grant';
import { resolveScope } from '../scope';

export interface ClientCredentialsOptions {
  /** Scope used when the request names none (default: the client's whole registered scope). */
  defaultScope?: string;
}

/** RFC 6749 §4.4: a confidential client asks for a token on its own behalf. */
export function clientCredentials(options: ClientCredentialsOptions = {}): Grant {
  return {
    type: 'client_credentials',
    parameters: ['scope'],
    // RFC 6749 §4.4: "MUST only be used by confidential clients".
    confidentialClientsOnly: true,
    async handle({ client, params, tokens, resource }) {
      // RFC 6749 §4.4.2, §3.3: the requested scope must be within the client's.
      const scope = resolveScope(params.scope ?? options.defaultScope, client.scope);
      // RFC 6749 §4.4.3: a refresh token SHOULD NOT be included.
      return tokens.issue({ client, scope, resource: resource.choose() });
    },
  };
}
