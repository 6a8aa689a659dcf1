import { eventually } from '../helpers/eventually';
import { exampleAppsOnOneRedis, type RunningExampleApp } from '../helpers/example-app';

// A demo client of example-app/clients.json.
const BASIC = `Basic ${Buffer.from('svc-reporting:reporting-secret-change-me').toString('base64')}`;

const running = exampleAppsOnOneRedis();

const form = (body: string) => ({ method: 'POST', headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' }, body });
const hello = (app: RunningExampleApp, token: string) => fetch(`${app.url}/api/hello`, { headers: { authorization: `Bearer ${token}` } });

test('a token issued by one instance is accepted by the other, and refused by both once the other revokes it', async () => {
  const [one, other] = running.apps;
  const issued = await fetch(`${one.url}/oauth/token`, form('grant_type=client_credentials&scope=read'));
  expect(issued.status).toBe(200);
  const { access_token: token } = (await issued.json()) as { access_token: string };

  const used = await hello(other, token);
  expect(used.status).toBe(200);
  expect(await used.json()).toEqual({ client_id: 'svc-reporting', scope: 'read' });

  // RFC 7009 §2.2: revocation answers 200.
  expect((await fetch(`${other.url}/oauth/revoke`, form(`token=${token}`))).status).toBe(200);
  for (const app of running.apps) {
    const refused = await hello(app, token);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  }
});

test('a JWT for the MCP server issued by one instance opens /mcp at the other (one set of signing keys in Redis), and neither accepts it once revoked', async () => {
  const [one, other] = running.apps;
  // What an MCP client does: the resource named by the RFC 9728 document.
  const { resource } = (await (await fetch(`${one.url}/.well-known/oauth-protected-resource/mcp`)).json()) as { resource: string };
  const agent = `Basic ${Buffer.from('mcp-agent:mcp-agent-secret-change-me').toString('base64')}`;
  const issued = await fetch(`${one.url}/oauth/token`, { method: 'POST', headers: { authorization: agent }, body: new URLSearchParams({ grant_type: 'client_credentials', resource }) });
  expect(issued.status).toBe(200);
  const { access_token: token } = (await issued.json()) as { access_token: string };
  const whoami = (app: RunningExampleApp) =>
    fetch(`${app.url}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } }),
    });

  const answer = await whoami(other);
  expect(answer.status).toBe(200);
  const { result } = (await answer.json()) as { result: { content: { text: string }[] } };
  expect(JSON.parse(result.content[0].text)).toEqual({ client_id: 'mcp-agent', scope: 'mcp:tools' });

  // RFC 7009 §2.2. (The one-second bound of the contract is the cache's, proven where the clock is the test's.)
  expect((await fetch(`${one.url}/oauth/revoke`, { method: 'POST', headers: { authorization: agent }, body: new URLSearchParams({ token }) })).status).toBe(200);
  for (const app of running.apps) {
    await eventually(`${app.url} to refuse the revoked JWT`, async () => (await whoami(app)).status === 401);
  }
});

test('a client registered on one instance (RFC 7591) gets tokens from the other', async () => {
  const [one, other] = running.apps;
  const registration = await fetch(`${one.url}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_types: ['client_credentials'], scope: 'read' }),
  });
  expect(registration.status).toBe(201);
  const { client_id: id, client_secret: secret } = (await registration.json()) as { client_id: string; client_secret: string };
  const issued = await fetch(`${other.url}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  expect(issued.status).toBe(200);
});

test('GET /healthz, the API, the token and revocation endpoints answer 503 on every instance while Redis is down, and recover by themselves', async () => {
  const { apps, redis: server } = running;
  for (const app of apps) expect(await (await fetch(`${app.url}/healthz`)).json()).toEqual({ status: 'ok' });

  await server.kill();
  try {
    for (const app of apps) {
      const health = await fetch(`${app.url}/healthz`);
      expect(health.status).toBe(503);
      expect(await health.json()).toEqual({ status: 'unavailable' });
      const api = await hello(app, 'any-token');
      expect(api.status).toBe(503);
      expect(await api.json()).toMatchObject({ error: 'temporarily_unavailable' });
      // Neither a token nor a revocation is reported as done when it could not be written.
      for (const [endpoint, body] of [['token', 'grant_type=client_credentials'], ['revoke', 'token=any-token']]) {
        const refused = await fetch(`${app.url}/oauth/${endpoint}`, form(body));
        expect({ endpoint, status: refused.status, body: await refused.json() }).toMatchObject({ endpoint, status: 503, body: { error: 'temporarily_unavailable' } });
      }
    }
  } finally {
    await server.restart();
  }
  for (const app of apps) {
    await eventually(`${app.url} to report healthy again`, async () => (await fetch(`${app.url}/healthz`)).status === 200);
  }
});
