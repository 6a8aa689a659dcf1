import type { Request, RequestHandler, Response } from 'express';
import { startConsent, takeDeviceConsent } from '../authorization/consent';
import type { CheckedDeviceOptions } from '../options/grants';
import type { DeviceUserStep } from '../device/user-step';
import { InvalidRequestError } from '../errors';
import type { CheckedAuthorizationOptions } from '../options/authorization';
import { currentUser, grantedScope, readConsentAnswer, type UserPageSettings } from '../authorization/consent-answer';
import { protectPage, showErrorPage } from '../pages/default-pages';

export interface DeviceVerificationSettings extends UserPageSettings {
  authorization: CheckedAuthorizationOptions;
  device: CheckedDeviceOptions;
  userStep: DeviceUserStep;
}

const unknownCode = () => new InvalidRequestError('This code is unknown, expired or already used. Please check it on your device and try again.');

/**
 * RFC 8628 §3.3: `GET /device/verify?user_code=…`, where the host app's code entry page sends
 * the person. They sign in through `authorization.login` (which brings them back here), then
 * see `authorization.renderConsent` for the device's client and scope, as in the code flow.
 */
export function deviceVerifyEndpoint(settings: DeviceVerificationSettings): RequestHandler {
  const { clients, store, clock, authorization, userStep, readQuery } = settings;
  return async (req, res) => {
    try {
      const userCode = readQuery(req).user_code;
      if (typeof userCode !== 'string') throw new InvalidRequestError('Please enter the code shown on your device, once.');
      const sub = await currentUser(authorization, req);
      // Signed in first: only people with an account get to try codes.
      if (sub === undefined) return await authorization.login(req, res, `${req.baseUrl}/device/verify?${new URLSearchParams({ user_code: userCode })}`);

      const pending = await userStep.find(userCode, req.ip ?? 'unknown');
      const client = pending === undefined ? undefined : await clients.find(pending.clientId);
      if (pending === undefined || client === undefined) throw unknownCode();
      const { deviceCodeHash, scope } = pending;
      const expiresAt = Math.min(clock() + authorization.consentLifetime, pending.expiresAt);
      const consent = await startConsent(store, { deviceCodeHash, clientId: client.id, sub, scope }, expiresAt, authorization.maxPendingConsents);
      protectPage(res);
      await authorization.renderConsent(req, res, {
        client: { id: client.id, ...(client.name !== undefined && { name: client.name }) },
        scope,
        sub,
        action: `${req.baseUrl}/device/decision`,
        fields: { transaction_id: consent.transactionId, csrf_token: consent.csrfToken },
        device: { userCode: pending.userCode },
      });
    } catch (error) {
      await showError(settings, req, res, error);
    }
  };
}

/** `POST /device/decision`: the consent form's answer for a device, made once; then the result page. */
export function deviceDecisionEndpoint(settings: DeviceVerificationSettings): RequestHandler {
  const { clients, store, clock, authorization, device, userStep, readForm } = settings;
  return async (req, res) => {
    try {
      const params = await readForm(req, res);
      const { decision, ...answer } = await readConsentAnswer(params, authorization, req);
      const pending = await takeDeviceConsent(store, answer, clock());
      const approved = decision === 'allow';
      const decided = approved ? await userStep.approve(pending, answer.sub, grantedScope(params.scope)) : await userStep.deny(pending);
      if (!decided) throw unknownCode();
      const client = await clients.find(pending.clientId);
      protectPage(res);
      await device.renderResult(req, res, { approved, client: { id: pending.clientId, ...(client?.name !== undefined && { name: client.name }) } });
    } catch (error) {
      await showError(settings, req, res, error);
    }
  };
}

async function showError({ authorization, onError }: DeviceVerificationSettings, req: Request, res: Response, error: unknown): Promise<void> {
  await showErrorPage(authorization, req, res, error, onError);
}
