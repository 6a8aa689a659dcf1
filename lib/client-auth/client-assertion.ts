import { AssertionRefusedError, replayRecordExpiry, verifyAssertion, type AssertionClaims } from '../assertions/verify-assertion';
import type { Client } from '../clients/client';
import type { Clock } from '../clock';
import type { AssertionGrantContext } from '../grants/grant';
import { KeySetUnavailableError } from '../resource/remote-key-set';
import { onceKey } from '../stores/store';

/** How a client assertion fared: good, refused (forged, expired, misaddressed…), a replay, or its keys' URL does not serve them. */
export type ClientAssertionOutcome = 'ok' | 'invalid_assertion' | 'replayed_assertion' | 'keys_unavailable';

export type ClientAssertionVerifier = (client: Client, assertion: string) => Promise<ClientAssertionOutcome>;

/** What client assertions are checked against: the assertion grants' context (this server's names, replay records, keys), and the clock. */
export interface ClientAssertionSettings extends AssertionGrantContext {
  clock: Clock;
}

/**
 * `private_key_jwt` (RFC 7523 §2.2, §3): the assertion verifies with one of the client's keys
 * (`jwks` or `jwks_uri`), `iss` = `sub` = the client id, `aud` names this server (its issuer
 * identifier, or its token endpoint URL, whichever endpoint is called), and its `jti` was never
 * used before within the assertion's life, on any instance sharing the store.
 */
export function clientAssertionVerifier(settings: ClientAssertionSettings): ClientAssertionVerifier {
  const { clock, rememberOnce, keysOf } = settings;
  const audiences = [...new Set([settings.issuer, settings.tokenEndpointUrl])];
  return async (client, assertion) => {
    let claims: AssertionClaims;
    try {
      claims = await verifyAssertion(assertion, keysOf(client), { issuer: client.id, subject: client.id, audiences, now: clock() });
    } catch (error) {
      if (error instanceof AssertionRefusedError) return 'invalid_assertion';
      // The client's own keys: a URL that will not serve them fails its authentication; an
      // outage that may pass is 503 temporarily_unavailable (RFC 6749 §4.1.2.1), so it retries.
      if (error instanceof KeySetUnavailableError && !error.transient) return 'keys_unavailable';
      throw error;
    }
    // RFC 7523 §3 item 7: the jti is used once; remembered past the last second the assertion is good.
    // A store that cannot answer rejects with TemporarilyUnavailableError itself (Store contract).
    const first = await rememberOnce(onceKey('client-assertion', client.id, claims.jti), replayRecordExpiry(claims));
    return first ? 'ok' : 'replayed_assertion';
  };
}
