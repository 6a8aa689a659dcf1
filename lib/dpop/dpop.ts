import type { Request, Response } from 'express';
import type { Clock } from '../clock';
import type { DpopSettings } from '../options/dpop';
import type { RememberOnce } from '../stores/replay-records';
import { dpopNonces } from './nonce';
import { dpopProofChecker } from './proof';

/** DPoP (RFC 9449) as the endpoints and the protected routes use it. */
export interface DpopRequests {
  /** The algorithms proofs may use: `dpop_signing_alg_values_supported`, and the `algs` of challenges (§7.1). */
  readonly algorithms: readonly string[];
  /**
   * The thumbprint of the key whose proof `req` carries, checked against `url` (the request's URL
   * as the server's configured origin names it) and the `accessToken` at a resource; `undefined`
   * when the request has no `DPoP` header. Throws `invalid_dpop_proof` or `use_dpop_nonce`.
   */
  proofKey(req: Request, url: string, accessToken?: string): Promise<string | undefined>;
  /** RFC 9449 §8.2, §9: a fresh `DPoP-Nonce` on the response, when nonces are required. */
  offerNonce(res: Response): void;
}

export function dpopRequests(settings: DpopSettings, clock: Clock, rememberOnce: RememberOnce): DpopRequests {
  const nonces = settings.nonce === undefined ? undefined : dpopNonces(clock, settings.nonce.rotationSeconds, settings.nonce.secret);
  const check = dpopProofChecker({ algorithms: settings.algorithms, clock, rememberOnce, nonces });
  return {
    algorithms: settings.algorithms,
    async proofKey(req, url, accessToken) {
      // Most requests carry no proof: `headersDistinct` (every header of the request, each as a list) is built only for those that do.
      if (req.headers.dpop === undefined) return undefined;
      const headers = req.headersDistinct.dpop as string[];
      return check({ headers, method: req.method, url, ...(accessToken !== undefined && { accessToken }) });
    },
    offerNonce: nonces === undefined ? () => {} : (res) => res.setHeader('DPoP-Nonce', nonces.current()),
  };
}
