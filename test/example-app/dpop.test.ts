import { exampleAppOnLoopback } from '../helpers/example-app';
import { dpopKey, type DpopKey } from '../helpers/dpop';

/** The example-app's DPoP (contract, "Sender-constrained tokens"): DPOP_REQUIRE_NONCE=1 asks for server nonces. */
describe('example-app with DPOP_REQUIRE_NONCE=1', () => {
  const exampleApp = exampleAppOnLoopback({ DPOP_REQUIRE_NONCE: '1' });
  let key: DpopKey;
  beforeAll(async () => {
    key = await dpopKey();
  });

  const tokenRequest = async (nonce?: string) => {
    const { issuer } = exampleApp;
    return fetch(`${issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from('svc-reporting:reporting-secret-change-me').toString('base64')}`,
        dpop: await key.proof('POST', `${issuer}/token`, nonce === undefined ? {} : { claims: { nonce } }),
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'read' }),
    });
  };

  test('asks for a nonce, binds the token to the key, and /api/hello takes it only as DPoP with a proof', async () => {
    const { issuer, app } = exampleApp;
    const first = await tokenRequest();
    expect(first.status).toBe(400);
    expect(await first.json()).toMatchObject({ error: 'use_dpop_nonce' });
    const nonce = first.headers.get('dpop-nonce') as string;
    const second = await tokenRequest(nonce);
    const body = (await second.json()) as { token_type: string; access_token: string };
    expect(body.token_type).toBe('DPoP');
    const metadata = (await (await fetch(`${app.url}/.well-known/oauth-authorization-server/oauth`)).json()) as { dpop_signing_alg_values_supported: string[] };
    expect(metadata.dpop_signing_alg_values_supported).toContain('ES256');

    const api = `${new URL(issuer).origin}/api/hello`;
    const withProof = await fetch(api, {
      headers: { authorization: `DPoP ${body.access_token}`, dpop: await key.proof('GET', api, { accessToken: body.access_token, claims: { nonce } }) },
    });
    expect(withProof.status).toBe(200);
    const asBearer = await fetch(api, { headers: { authorization: `Bearer ${body.access_token}` } });
    expect(asBearer.status).toBe(401);
    expect(asBearer.headers.get('www-authenticate')).toMatch(/^Bearer realm="[^"]+".*error="invalid_token".*, DPoP algs="[^"]+"$/);
  });
});
