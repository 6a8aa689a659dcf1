import { execFile } from 'node:child_process';
import type { Server } from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import express from 'express';
import { oauthServer } from '../../lib/server';
import { authorizationCode } from '../../lib/grants/authorization-code';
import { clientCredentials } from '../../lib/grants/client-credentials';
import { refreshToken } from '../../lib/grants/refresh-token';
import { ACCESS_TOKEN_ALGORITHMS } from '../../lib/tokens/jwt-access-token';
import { freePort } from '../helpers/redis-server';
import { STORE_KINDS, useStores } from '../helpers/stores';
import { FLOW_CLIENTS } from '../helpers/test-app';

const SCRIPT = path.join(__dirname, 'openid-client-dpop.mjs');
const makeStore = useStores();

/** What the server answered, for the nonce round trips openid-client makes. */
interface Answer {
  path: string;
  status: number;
  nonceError: boolean;
}

/** A server on a free port, nonces required, with /api/hello (scope read); everyone is alice. */
async function startServer(store: ReturnType<typeof makeStore>): Promise<{ issuer: string; apiUrl: string; answers: Answer[]; close(): Promise<void> }> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}/oauth`;
  const oauth = oauthServer({
    issuer,
    clients: FLOW_CLIENTS,
    grants: [clientCredentials(), authorizationCode(), refreshToken()],
    store,
    authorization: { getUser: () => 'alice', login: (_req, res) => void res.status(401).end() },
    dpop: { requireNonce: true, nonceSecret: 'a-secret-the-instances-share-0123456789' },
  });
  const answers: Answer[] = [];
  const app = express();
  // Records each answer, and whether it was use_dpop_nonce (in the JSON body, at the token endpoint and the API alike).
  app.use((req, res, next) => {
    const end = res.end.bind(res) as (...args: unknown[]) => typeof res;
    res.end = ((...args: unknown[]) => {
      const body = typeof args[0] === 'string' ? args[0] : '';
      answers.push({ path: req.originalUrl.split('?')[0], status: res.statusCode, nonceError: body.includes('"use_dpop_nonce"') });
      return end(...args);
    }) as typeof res.end;
    next();
  });
  app.use('/oauth', oauth);
  app.get(oauth.metadataPath, oauth.metadataHandler);
  app.get('/api/hello', oauth.requireToken('read'), (req, res) => void res.json(req.oauth));
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(port, '127.0.0.1', () => resolve(listening));
  });
  return {
    issuer,
    apiUrl: `http://127.0.0.1:${port}/api/hello`,
    answers,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      await oauth.close();
    },
  };
}

describe.each(STORE_KINDS)('openid-client with DPoP (RFC 9449) on the %s store', (kind) => {
  test('gets DPoP tokens by client credentials and the code flow with dpop_jkt or a pushed request with a proof, refreshes with its key only, calls the API with proofs, retrying once on each nonce demand', async () => {
    const server = await startServer(makeStore(kind));
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [SCRIPT, server.issuer, server.apiUrl]);
      expect(JSON.parse(stdout)).toEqual({
        metadataAlgs: ACCESS_TOKEN_ALGORITHMS,
        serviceTokenType: 'dpop',
        apiWithProof: 200,
        apiAsBearer: '401 bearer invalid_token',
        apiWithFreshHandle: 200,
        codeTokenType: 'dpop',
        parCodeWithOtherKey: 'invalid_grant',
        parCodeWithItsKey: 'dpop',
        refreshWithoutProof: 'invalid_dpop_proof',
        refreshWithOtherKey: 'invalid_grant',
        refreshedTokenType: 'dpop',
        apiWithRefreshed: 200,
        apiWithRefreshedOtherKey: '401 dpop invalid_token',
      });
      // The first token request had no nonce: use_dpop_nonce, then the retry got tokens.
      const tokenAnswers = server.answers.filter((answer) => answer.path === '/oauth/token');
      expect(tokenAnswers.slice(0, 2)).toEqual([
        { path: '/oauth/token', status: 400, nonceError: true },
        { path: '/oauth/token', status: 200, nonceError: false },
      ]);
      // Each DPoP handle keeps the nonces of the answers' DPoP-Nonce headers: one demand per handle
      // (three at the token endpoint; the PAR request went with a nonce it had), and one at the API
      // for the handle that first went there.
      const demands = server.answers.filter((answer) => answer.nonceError).map((answer) => `${answer.status} ${answer.path}`);
      expect(demands).toEqual(['400 /oauth/token', '400 /oauth/token', '400 /oauth/token', '401 /api/hello']);
    } finally {
      await server.close();
    }
  });
});
