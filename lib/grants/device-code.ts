import type { Request, Response } from 'express';
import type { Grant } from './grant';
import { AuthorizationPendingError, DeviceAccessDeniedError, ExpiredTokenError, InvalidGrantError, InvalidRequestError, SlowDownError } from '../errors';
import type { AttemptLimit } from '../limits/attempt-limiter';
import { checkDeviceOptions, type CheckedDeviceOptions } from '../options/grants';
import { hashTokenValue } from '../tokens/token-value';
import { grantResources } from '../resource/resources';

/** RFC 8628 §7.2: the grant type of the token requests that poll for a device's tokens. */
export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';

/** What the page after the user's decision shows. */
export interface DeviceResult {
  /** True when the user allowed the device: it gets its tokens on its next poll. */
  approved: boolean;
  client: { id: string; name?: string };
}

export interface DeviceAuthorizationOptions {
  /**
   * RFC 8628 §3.2 `verification_uri`: the host app's page where the user enters the code
   * (absolute, https or http on localhost). `verification_uri_complete` is this page with
   * `?user_code=…`. The page's form sends the code to the router's `GET /device/verify`.
   */
  verificationUri: string;
  /** Seconds a device_code and its user_code live (default 600). */
  codeLifetime?: number;
  /** Seconds the device must wait between polls (default 5, RFC 8628 §3.2). */
  interval?: number;
  /** Wrong user codes entered, per address (default 10 per 10 minutes, then blocked 10 minutes); `false` turns it off. */
  perAddress?: Partial<AttemptLimit> | false;
  /**
   * Most device authorization requests one client keeps at once (default 1000). A request is
   * kept `codeLifetime` and 600 s more (to answer `expired_token`); past this, the endpoint
   * answers 429 `temporarily_unavailable` with Retry-After.
   */
  maxPendingPerClient?: number;
  /** Most device authorization requests kept at once for one source address, `req.ip` (default 100). */
  maxPendingPerAddress?: number;
  /** Renders the page after the user's decision (default: a minimal page saying the device is connected, or not). */
  renderResult?(req: Request, res: Response, result: DeviceResult): void | Promise<void>;
}

/** The device grant: a token grant that also brings the endpoints of RFC 8628 (see `oauthServer`). */
export interface DeviceAuthorizationGrant extends Grant {
  readonly device: CheckedDeviceOptions;
}

/**
 * RFC 8628: a device with no browser (a TV, a CLI) shows the user a short code to enter on
 * another device, and polls the token endpoint until the user decides. Adds
 * `POST /device_authorization` for the device, and `GET /device/verify` and
 * `POST /device/decision` for the user, who signs in and consents through the `authorization`
 * option, as in the authorization code flow.
 */
export function deviceAuthorization(options: DeviceAuthorizationOptions): DeviceAuthorizationGrant {
  const device = checkDeviceOptions(options);
  return {
    type: DEVICE_CODE_GRANT_TYPE,
    parameters: ['device_code'],
    device,
    // RFC 8628 §3.4, §3.5
    async handle({ client, params, store, now, tokens, resource }) {
      if (params.device_code === undefined) throw new InvalidRequestError('The device_code parameter is missing.');
      // RFC 8628 §3.4: bound to the client it was issued to; another client's poll changes nothing.
      const poll = await store.pollDeviceCode(hashTokenValue(params.device_code), client.id, now);
      if (poll === undefined) {
        throw new InvalidGrantError('The device_code is invalid or was issued to another client.');
      }
      if (poll.record.expiresAt <= now) throw new ExpiredTokenError('The device_code has expired: start again.');
      switch (poll.status) {
        case 'pending':
          throw new AuthorizationPendingError('The user has not yet finished the authorization.');
        case 'slow_down':
          throw new SlowDownError(`Polling too fast: wait at least ${poll.record.interval} seconds between requests.`);
        case 'denied':
          throw new DeviceAccessDeniedError('The user denied the authorization.');
        case 'used':
          // A device_code buys tokens once.
          throw new InvalidGrantError('The device_code was already used.');
        case 'approved': {
          const { sub, scope, grantId } = poll.decision;
          // RFC 8707 §2.2: a refresh stays within the resource this request named.
          const audience = resource.choose();
          return tokens.issue({ client, scope, sub, resource: audience, grant: { id: grantId, scope, ...grantResources(audience) } });
        }
      }
    },
  };
}

export function isDeviceAuthorization(grant: Grant): grant is DeviceAuthorizationGrant {
  return grant.type === DEVICE_CODE_GRANT_TYPE && typeof (grant as Partial<DeviceAuthorizationGrant>).device === 'object';
}
