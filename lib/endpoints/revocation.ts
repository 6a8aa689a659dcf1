import type { Store } from '../stores/store';
import { InvalidRequestError } from '../errors';
import type { TokenStoreKey } from '../tokens/token-lookup';
import type { Client } from '../clients/client';
import type { FormParams } from '../http/form-params';

/**
 * RFC 7009 §2.1: a client revokes one of its own tokens. `token_type_hint` is only a hint
 * (an unknown one is ignored, §2.1), and a token that is unknown, already invalid or another
 * client's is answered with 200 and left alone (§2.2), so the endpoint tells nothing about
 * tokens the caller does not hold. Revoking a refresh token revokes its whole grant, with the
 * access tokens issued under it (§2.1).
 */
export function revokeToken(store: Store, storeKey: TokenStoreKey) {
  return async (client: Client, params: FormParams): Promise<undefined> => {
    if (params.token === undefined) throw new InvalidRequestError('The token parameter is missing.');
    // A JWT access token is revoked through its jti's record: requireToken checks it.
    const tokenHash = await storeKey(params.token);
    if (tokenHash === undefined) return undefined;
    const record = await store.findAccessToken(tokenHash);
    if (record !== undefined) {
      if (record.clientId === client.id) await store.revokeAccessToken(tokenHash);
      return undefined;
    }
    const refresh = await store.findRefreshToken(tokenHash);
    if (refresh !== undefined && refresh.record.clientId === client.id) await store.revokeGrant(refresh.record.grantId);
    return undefined;
  };
}
