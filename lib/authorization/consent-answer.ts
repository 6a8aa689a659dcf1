import type { Request, Response } from 'express';
import type { ClientRegistry } from '../clients/registry';
import type { Clock } from '../clock';
import type { RawParams } from '../http/form-params';
import { InvalidRequestError } from '../errors';
import type { CheckedAuthorizationOptions } from '../options/authorization';
import type { Store } from '../stores/store';
import type { PendingConsent } from './consent';

/** What the endpoints of the pages a person sees (authorization, device verification) are given. */
export interface UserPageSettings {
  clients: ClientRegistry;
  store: Store;
  clock: Clock;
  readForm: (req: Request, res: Response) => Promise<RawParams>;
  readQuery: (req: Request) => RawParams;
  onError: (error: unknown) => void;
}

/** What a consent form posted (the pending request it answers, its CSRF token, the decision) and who posted it. */
export async function readConsentAnswer(
  params: RawParams,
  options: CheckedAuthorizationOptions,
  req: Request,
): Promise<PendingConsent & { sub: string; decision: 'allow' | 'deny' }> {
  const [transactionId, csrfToken, decision] = ['transaction_id', 'csrf_token', 'decision'].map((name) => params[name]);
  if (typeof transactionId !== 'string' || typeof csrfToken !== 'string') {
    throw new InvalidRequestError('The consent form must carry transaction_id and csrf_token once each.');
  }
  if (decision !== 'allow' && decision !== 'deny') throw new InvalidRequestError('The decision must be allow or deny.');
  const sub = await currentUser(options, req);
  if (sub === undefined) throw new InvalidRequestError('You are not signed in any more. Please start again from the application.');
  return { transactionId, csrfToken, sub, decision };
}

/** The signed-in user's id from the host app, or undefined; anything but a non-empty string is the app's bug. */
export async function currentUser(options: CheckedAuthorizationOptions, req: Request): Promise<string | undefined> {
  const sub: unknown = await options.getUser(req);
  if (sub === undefined || sub === null) return undefined;
  if (typeof sub !== 'string' || sub === '') throw new TypeError('authorization.getUser must resolve to a non-empty string or undefined');
  return sub;
}

/** The consent form may list granted scopes as one space-separated value or as repeated ones. */
export function grantedScope(value: unknown): string | undefined {
  const scope = Array.isArray(value) ? value.join(' ') : value;
  return typeof scope === 'string' && scope !== '' ? scope : undefined;
}
