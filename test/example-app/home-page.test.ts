import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { readConfig } from '../../example-app/config';
import { createApp } from '../../example-app/app';

/** The example-app's home page (GET /) and the demo client it plays. */

const SHIPPED_CLIENTS = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'example-app', 'clients.json'), 'utf8')) as {
  client_id: string;
  client_secret?: string;
}[];

function startedApp(env: Record<string, string> = {}) {
  const config = readConfig({ PORT: '3000', ...env });
  const { app, oauth } = createApp(config);
  afterAll(() => oauth.close());
  return { app, config };
}

function clientsFile(clients: unknown[]): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'example-app-home-')), 'clients.json');
  writeFileSync(file, JSON.stringify(clients));
  return file;
}

describe('GET / with the shipped clients', () => {
  const { app } = startedApp();

  test('is an HTML page under a strict Content-Security-Policy: no inline script or style', async () => {
    const res = await request(app).get('/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    const policy = res.headers['content-security-policy'];
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).not.toContain('unsafe-inline');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.text).not.toMatch(/<script>|<style|\son\w+=/);
  });

  test('lists every client of clients.json and the demo client, and no secret', async () => {
    const res = await request(app).get('/');
    for (const client of [...SHIPPED_CLIENTS, { client_id: 'example-app-demo' }]) {
      expect(res.text).toContain(`<tr><td>${client.client_id}</td>`);
    }
    expect(res.text).toMatch(/<td>example-app-demo<\/td><td>[^<]*<\/td><td>public<\/td>/);
    const secrets = SHIPPED_CLIENTS.flatMap((client) => client.client_secret ?? []);
    expect(secrets.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(res.text).not.toContain(secret);
  });

  test('lists the two resources, their scopes and their RFC 9728 metadata, which it links to', async () => {
    const res = await request(app).get('/');
    for (const [uri, name, scopes, metadataPath] of [
      ['http://localhost:3000/api', 'Example API', 'read admin', '/.well-known/oauth-protected-resource/api'],
      ['http://localhost:3000/mcp', 'Example MCP server', 'mcp:tools', '/.well-known/oauth-protected-resource/mcp'],
    ]) {
      expect(res.text).toContain(`<tr><td>${uri}</td><td>${name}</td><td>${scopes}</td><td><a href="${metadataPath}">`);
      expect((await request(app).get(metadataPath)).body).toMatchObject({ resource: uri, resource_name: name });
    }
  });

  test("gives the README's curl lines and the device flow's for this server's issuer", async () => {
    const res = await request(app).get('/');
    expect(res.text).toContain('curl -s -u svc-reporting:&#60;client_secret&#62; -d grant_type=client_credentials \\\n  http://localhost:3000/oauth/token');
    expect(res.text).toContain('curl -s -H "Authorization: Bearer &lt;access_token&gt;" http://localhost:3000/api/hello');
    expect(res.text).toContain('curl -s -d client_id=cli -d scope=read http://localhost:3000/oauth/device_authorization');
    expect(res.text).toContain('<a href="/device">http://localhost:3000/device</a>');
  });

  test('the callback path serves the same page, and the script and style sheet are files of this origin', async () => {
    const home = await request(app).get('/');
    const callback = await request(app).get('/demo/callback?code=c&state=s');
    expect(callback.status).toBe(200);
    expect(callback.text).toBe(home.text);
    for (const [asset, type] of [['home.js', /javascript/], ['home.css', /text\/css/]] as const) {
      expect(home.text).toContain(`/demo/assets/${asset}`);
      const res = await request(app).get(`/demo/assets/${asset}`);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(type);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
    expect((await request(app).get('/demo/assets/tsconfig.json')).status).toBe(404);
  });

  test('the authorization endpoint accepts the demo client and its callback: it asks the user to sign in', async () => {
    const res = await request(app).get(`/oauth/authorize?${new URLSearchParams({
      response_type: 'code',
      client_id: 'example-app-demo',
      redirect_uri: 'http://localhost:3000/demo/callback',
      scope: 'read',
      state: 's',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    })}`);
    expect(res.status).toBe(302);
    expect(res.headers.location).toMatch(/^\/login\?returnTo=/);
  });
});

describe('GET / with a CLIENTS_FILE of the user', () => {
  const { app } = startedApp({
    CLIENTS_FILE: clientsFile([
      { client_id: 'odd"id', client_name: '<script>alert(1)</script> & co', grant_types: ['client_credentials'], scope: 'read', client_secret: 'custom-secret-value' },
    ]),
    ISSUER: 'http://127.0.0.1:3000/oauth',
  });

  test('escapes what it shows of the client metadata', async () => {
    const res = await request(app).get('/');
    expect(res.text).toContain('<td>odd&#34;id</td><td>&#60;script&#62;alert(1)&#60;/script&#62; &#38; co</td>');
    expect(res.text).not.toContain('<script>alert');
    expect(res.text).not.toContain('custom-secret-value');
  });

  test('still offers the demo client, on the origin of ISSUER', async () => {
    const res = await request(app).get('/');
    expect(res.text).toContain('<tr><td>example-app-demo</td>');
    expect(res.text).toContain('data-redirect-uri="http://127.0.0.1:3000/demo/callback"');
  });
});

describe('the demo client in readConfig', () => {
  test('is added to the clients of CLIENTS_FILE as a public client, its redirect URI on the origin of ISSUER', () => {
    const { clients } = readConfig({ PORT: '3000', ISSUER: 'https://auth.example.com/oauth' });
    expect(clients).toHaveLength(SHIPPED_CLIENTS.length + 1);
    expect(clients.at(-1)).toEqual(expect.objectContaining({
      client_id: 'example-app-demo',
      grant_types: ['authorization_code'],
      redirect_uris: ['https://auth.example.com/demo/callback'],
      scope: 'read',
      token_endpoint_auth_method: 'none',
    }));
  });

  test('a client of CLIENTS_FILE with its id is kept as it is', () => {
    const own = { client_id: 'example-app-demo', grant_types: ['authorization_code'], redirect_uris: ['https://spa.example/cb'], token_endpoint_auth_method: 'none' };
    const { clients } = readConfig({ PORT: '3000', CLIENTS_FILE: clientsFile([own]) });
    expect(clients).toEqual([own]);
  });
});
