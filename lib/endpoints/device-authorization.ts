import type { Request } from 'express';
import { addressNetwork } from '../address-network';
import type { Client } from '../clients/client';
import type { Clock } from '../clock';
import { DEVICE_CODE_GRANT_TYPE } from '../grants/device-code';
import type { CheckedDeviceOptions } from '../options/grants';
import { formatUserCode, generateUserCode } from '../device/user-code';
import { ServerError, UnauthorizedClientError } from '../errors';
import { resolveScope } from '../scope';
import { quotaKey, type Quota, type Store } from '../stores/store';
import { generateTokenValue, hashTokenValue } from '../tokens/token-value';
import type { FormParams } from '../http/form-params';

/** RFC 8628 §3.2 */
export interface DeviceAuthorizationResponse {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

/** A fresh user code collides with a live one about never; a few tries make it certain. */
const USER_CODE_TRIES = 5;

/**
 * RFC 8628 §3.1, §3.2: `POST /device_authorization`. The client authenticates as at the token
 * endpoint (a public client names itself with client_id) and gets a device code (256 bits,
 * for polling) and a user code (for the person), with where to enter it.
 */
export function deviceAuthorizationRequest({ store, clock, device }: { store: Store; clock: Clock; device: CheckedDeviceOptions }) {
  return async (client: Client, params: FormParams, req: Request): Promise<DeviceAuthorizationResponse> => {
    if (!client.grantTypes.includes(DEVICE_CODE_GRANT_TYPE)) {
      throw new UnauthorizedClientError('The client is not authorized to use the device authorization grant.');
    }
    // What one client, and one address, can make the server keep (README, "State the server keeps").
    const quotas: Quota[] = [
      { key: quotaKey('device:client', client.id), max: device.maxPendingPerClient },
      { key: quotaKey('device:address', addressNetwork(req.ip ?? 'unknown')), max: device.maxPendingPerAddress },
    ];
    // RFC 8628 §3.1, RFC 6749 §3.3: within the client's scope.
    const scope = resolveScope(params.scope, client.scope);
    const deviceCode = generateTokenValue();
    const issuedAt = clock();
    for (let i = 0; i < USER_CODE_TRIES; i++) {
      const userCode = generateUserCode();
      const record = { clientId: client.id, scope, userCodeHash: hashTokenValue(userCode), issuedAt, expiresAt: issuedAt + device.codeLifetime, interval: device.interval };
      if (await store.saveDeviceCode(hashTokenValue(deviceCode), record, quotas)) {
        const shown = formatUserCode(userCode);
        return {
          device_code: deviceCode,
          user_code: shown,
          verification_uri: device.verificationUri,
          verification_uri_complete: withUserCode(device.verificationUri, shown),
          expires_in: device.codeLifetime,
          interval: device.interval,
        };
      }
    }
    throw new ServerError();
  };
}

function withUserCode(uri: string, userCode: string): string {
  const url = new URL(uri);
  url.searchParams.set('user_code', userCode);
  return url.toString();
}
