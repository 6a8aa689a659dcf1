import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startExampleApp, type RunningExampleApp } from '../helpers/example-app';
import { freePort } from '../helpers/redis-server';
import { assertionSigner, type AssertionSigner } from '../helpers/assertions';

const SCRIPT = path.join(__dirname, 'openid-client-private-key-jwt.mjs');
const IDP = 'https://idp.example';

/**
 * Keys instead of secrets with a client library no one here wrote: the test makes its key pairs,
 * and gives the example-app a CLIENTS_FILE with a private_key_jwt client (its public key inline)
 * and a TRUSTED_ISSUERS_FILE, so that no private key is shipped.
 */
describe('openid-client PrivateKeyJwt() against the example-app', () => {
  let app: RunningExampleApp;
  let issuer: string;
  let folder: string;
  let clientKey: AssertionSigner;
  let idp: AssertionSigner;
  beforeAll(async () => {
    clientKey = await assertionSigner('ES256', 'svc-keyed-1');
    idp = await assertionSigner('EdDSA', 'idp-1');
    folder = await mkdtemp(path.join(tmpdir(), 'oauth-pkjwt-'));
    const shipped = JSON.parse(await readFile(path.join(__dirname, '..', '..', 'example-app', 'clients.json'), 'utf8')) as object[];
    const keyed = {
      client_id: 'svc-keyed',
      client_name: 'Service with a key',
      grant_types: ['client_credentials', 'urn:ietf:params:oauth:grant-type:jwt-bearer'],
      scope: 'read',
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [clientKey.publicJwk] },
    };
    await writeFile(path.join(folder, 'clients.json'), JSON.stringify([...shipped, keyed]));
    await writeFile(path.join(folder, 'issuers.json'), JSON.stringify([{ issuer: IDP, jwks: { keys: [idp.publicJwk] } }]));
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}/oauth`;
    app = await startExampleApp({ PORT: String(port), ISSUER: issuer, CLIENTS_FILE: path.join(folder, 'clients.json'), TRUSTED_ISSUERS_FILE: path.join(folder, 'issuers.json') });
  });
  afterAll(async () => {
    await app.stop();
    await rm(folder, { recursive: true, force: true });
  });

  test('authenticates with its key at the token, introspection and revocation endpoints, and exchanges a trusted issuer assertion', async () => {
    const now = Math.floor(Date.now() / 1000);
    const idpAssertion = await idp.sign({ iss: IDP, sub: 'alice@idp', aud: issuer, iat: now, exp: now + 120, jti: `idp-${now}-${Math.random()}` });
    const { stdout } = await promisify(execFile)(process.execPath, [SCRIPT, issuer, 'svc-keyed', JSON.stringify(clientKey.privateJwk), idpAssertion]);
    expect(JSON.parse(stdout)).toEqual({
      authMethods: expect.arrayContaining(['private_key_jwt']),
      signingAlgs: ['ES256', 'PS256', 'RS256', 'EdDSA'],
      scope: 'read',
      introspected: { active: true, client_id: 'svc-keyed' },
      afterRevocation: { active: false },
      exchanged: { scope: 'read', sub: 'alice@idp', client_id: 'svc-keyed' },
    });
  });
});
