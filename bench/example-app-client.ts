import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The example-app is measured as a user runs it, with its own configuration: the contract's
 * client `svc-reporting` (a person-chosen secret, in plaintext in example-app/clients.json) and
 * its protected route `/api/hello` (scope read).
 */
export const EXAMPLE_APP = (() => {
  const clientId = 'svc-reporting';
  const clients = JSON.parse(readFileSync(join(__dirname, '..', '..', 'example-app', 'clients.json'), 'utf8')) as { client_id: string; client_secret?: string }[];
  const secret = clients.find((client) => client.client_id === clientId)?.client_secret;
  if (secret === undefined) throw new Error(`example-app/clients.json has no ${clientId} with a secret`);
  return { clientId, secret, resourcePath: '/api/hello' };
})();
