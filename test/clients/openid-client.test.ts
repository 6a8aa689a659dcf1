import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { exampleAppOnLoopback, startExampleApp, type RunningExampleApp } from '../helpers/example-app';
import { freePort } from '../helpers/redis-server';

const SCRIPT = path.join(__dirname, 'openid-client-flows.mjs');
const REFRESH_SCRIPT = path.join(__dirname, 'openid-client-refresh.mjs');
const PAR_SCRIPT = path.join(__dirname, 'openid-client-par.mjs');
const RESOURCE_SCRIPT = path.join(__dirname, 'openid-client-resource.mjs');
const REGISTRATION_SCRIPT = path.join(__dirname, 'openid-client-registration.mjs');

/** A real client library, configured only from the server's RFC 8414 metadata. */
describe('openid-client against the example-app', () => {
  const exampleApp = exampleAppOnLoopback();

  test('discovers the server, gets tokens, introspects and revokes them', async () => {
    const { issuer, app } = exampleApp;
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
    const { issuer } = exampleApp;
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
    const { issuer, app } = exampleApp;
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

  test('registers a confidential and a public client (RFC 7591) by dynamicClientRegistration; the confidential one gets a token, calls the API, and reads its configuration (RFC 7592)', async () => {
    const { issuer, app } = exampleApp;
    const { stdout } = await promisify(execFile)(process.execPath, [REGISTRATION_SCRIPT, issuer, `${app.url}/api/hello`]);
    const seen = JSON.parse(stdout);
    const serviceId = seen.service.clientId;
    expect(seen).toEqual({
      service: {
        clientId: expect.any(String),
        hasSecret: true,
        hasRegistrationAccessToken: true,
        // RFC 7592 §3: the client's configuration endpoint, under the registration endpoint.
        registrationClientUri: `${issuer}/register/${encodeURIComponent(serviceId)}`,
      },
      app: { clientId: expect.any(String), hasSecret: false, tokenEndpointAuthMethod: 'none' },
      tokenScope: 'read',
      hello: { status: 200, body: { client_id: serviceId, scope: 'read' } },
      configuration: { status: 200, clientId: serviceId, clientName: 'Reporting (registered)', grantTypes: ['client_credentials'], scope: 'read' },
      authorize: { status: 302, location: '/login' },
    });
    expect(seen.app.clientId).not.toBe(serviceId);
  });
});

/** RFC 9126 with a client library: the example-app's clients and one that must push its requests. */
describe('openid-client pushing its authorization requests (RFC 9126)', () => {
  const CALLBACK = 'http://127.0.0.1:8080/par/callback';
  let app: RunningExampleApp;
  let issuer: string;
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'oauth-par-clients-'));
    const clients = JSON.parse(await readFile(path.join(__dirname, '..', '..', 'example-app', 'clients.json'), 'utf8'));
    const pusher = {
      client_id: 'par-web',
      client_secret: 'par-web-secret',
      grant_types: ['authorization_code'],
      redirect_uris: [CALLBACK],
      scope: 'read',
      require_pushed_authorization_requests: true,
    };
    const clientsFile = path.join(folder, 'clients.json');
    await writeFile(clientsFile, JSON.stringify([...clients, pusher]));
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}/oauth`;
    app = await startExampleApp({ PORT: String(port), ISSUER: issuer, CLIENTS_FILE: clientsFile });
  });
  afterAll(async () => {
    await app?.stop();
    await rm(folder, { recursive: true, force: true });
  });

  test('buildAuthorizationUrlWithPAR: pushed, authorized with request_uri alone, exchanged; the request_uri is used once, and the unpushed request refused', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [PAR_SCRIPT, issuer, app.url, 'par-web', 'par-web-secret', CALLBACK]);
    expect(JSON.parse(stdout)).toEqual({
      parEndpoint: `${issuer}/par`,
      authorizationQuery: ['client_id', 'request_uri'],
      scope: 'read',
      audience: `${new URL(app.url).origin}/api`,
      api: 200,
      replay: { status: 400, location: null },
      unpushed: { status: 302, error: 'invalid_request' },
    });
  });
});
