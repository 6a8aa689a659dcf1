import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { startExampleApp, type RunningExampleApp } from '../helpers/example-app';
import { freePort } from '../helpers/redis-server';

const SCRIPT = path.join(__dirname, 'openid-client-flows.mjs');
const REFRESH_SCRIPT = path.join(__dirname, 'openid-client-refresh.mjs');
const RESOURCE_SCRIPT = path.join(__dirname, 'openid-client-resource.mjs');

/** A real client library, configured only from the server's RFC 8414 metadata. */
describe('openid-client against the example-app', () => {
  let app: RunningExampleApp;
  let issuer: string;
  beforeAll(async () => {
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}/oauth`;
    app = await startExampleApp({ PORT: String(port), ISSUER: issuer });
  });
  afterAll(() => app.stop());

  test('discovers the server, gets tokens, introspects and revokes them', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [SCRIPT, issuer, `${app.url}/api/hello`]);
    const seen = JSON.parse(stdout);
    expect(seen).toMatchObject({
      issuer,
      tokenEndpoint: `${issuer}/token`,
      tokenType: 'bearer',
      scope: 'read',
      expiresIn: 3600,
      postScope: 'admin',
      apiBefore: 200,
      introspectedByOwner: { active: true, client_id: 'svc-reporting', scope: 'read', token_type: 'Bearer', iss: issuer },
      introspectedByGateway: { active: true, client_id: 'svc-reporting' },
      introspectedAfterRevocation: { active: false },
      apiAfter: 401,
    });
  });

  test('asks for a token for one resource (RFC 8707), verifies it with jose from jwks_uri (RFC 9068), and sees it refused once revoked', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [RESOURCE_SCRIPT, issuer, new URL(issuer).origin]);
    const origin = new URL(issuer).origin;
    expect(JSON.parse(stdout)).toEqual({
      // The API understands read and admin: write is not for it.
      scope: 'read',
      typ: 'at+jwt',
      claims: { aud: `${origin}/api`, client_id: 'svc-reporting', sub: 'svc-reporting', scope: 'read' },
      apiBefore: 200,
      introspected: { active: true, aud: `${origin}/api` },
      apiAfterRevocation: 401,
      unknownResource: 'invalid_target',
    });
  });

  test('completes a code flow with PKCE (fetch playing the browser), refreshes, and sees rotation: the rotated token retried at once is refused, and the grant stands (reuse grace)', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [REFRESH_SCRIPT, issuer, app.url]);
    expect(JSON.parse(stdout)).toEqual({
      scope: 'read',
      hasRefreshToken: true,
      refreshedScope: 'read',
      rotated: true,
      apiWithRefreshed: 200,
      reuse: 'invalid_grant',
      apiAfterReuse: 200,
      refreshAfterReuse: 'ok',
    });
  });
});
