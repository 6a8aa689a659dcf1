import type { Client } from '../clients/client';
import type { TokenResponse } from '../grants/grant';
import type { Store } from '../stores/store';
import type { Clock } from '../clock';
import { formatScope } from '../scope';
import { generateTokenValue, hashTokenValue } from './token-value';

/** What the host app learns when a token is issued: never the token itself. */
export interface TokenIssuedEvent {
  clientId: string;
  grantType: string;
  scope: string;
  sub?: string;
  expiresAt: number;
}

export interface IssueRequest {
  client: Client;
  scope: readonly string[];
  sub?: string;
}

export interface TokenIssuer {
  issue(request: IssueRequest): Promise<TokenResponse>;
}

export interface TokenIssuerSettings {
  store: Store;
  clock: Clock;
  accessTokenLifetime: number;
  tokenPrefix: string;
}

/** One issuer per grant type, made at start-up, so the event names the grant at no per-request cost. */
export function tokenIssuer(settings: TokenIssuerSettings, grantType: string, onIssued: (event: TokenIssuedEvent) => void): TokenIssuer {
  return {
    async issue({ client, scope, sub }) {
      const accessToken = generateTokenValue(settings.tokenPrefix);
      const issuedAt = settings.clock();
      const lifetime = client.accessTokenLifetime ?? settings.accessTokenLifetime;
      const expiresAt = issuedAt + lifetime;
      await settings.store.saveAccessToken(hashTokenValue(accessToken), {
        clientId: client.id,
        scope: [...scope],
        ...(sub !== undefined && { sub }),
        issuedAt,
        expiresAt,
      });
      const scopeString = formatScope(scope);
      onIssued({ clientId: client.id, grantType, scope: scopeString, ...(sub !== undefined && { sub }), expiresAt });
      // RFC 6749 §5.1
      return {
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: lifetime,
        ...(scope.length > 0 && { scope: scopeString }),
      };
    },
  };
}
