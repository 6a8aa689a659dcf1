/**
 * What one access token, one pending device authorization and one pending consent cost the server to keep: the
 * memory store's heap growth over N of them, and Redis's MEMORY USAGE of the keys they add.
 * `npm run build && tsc -p bench/tsconfig.json && node --expose-gc .bench-build/bench/state-size.js`
 * (STATE_SIZE_N sets N; the quotas are raised so that one address can make all of them).
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Redis } from 'ioredis';
import { authorizationCode, clientCredentials, deviceAuthorization, generateClientSecret, memoryStore, oauthServer, redisStore, type Store } from 'express-oauth2-server';
import { startRedisServer } from '../test/helpers/redis-server';

const N = Number(process.env.STATE_SIZE_N ?? 5000);
const SERVICE = generateClientSecret();
const PKCE_CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

async function withServer(store: Store, work: (origin: string) => Promise<void>): Promise<void> {
  const oauth = oauthServer({
    issuer: 'http://localhost/oauth',
    clients: [
      { client_id: 'tv', grant_types: ['urn:ietf:params:oauth:grant-type:device_code'], scope: 'read write', token_endpoint_auth_method: 'none' },
      { client_id: 'svc', client_secret: SERVICE.hash, grant_types: ['client_credentials'], scope: 'read write' },
      { client_id: 'spa', grant_types: ['authorization_code'], redirect_uris: ['https://spa.example/callback'], scope: 'read write', token_endpoint_auth_method: 'none' },
    ],
    grants: [clientCredentials(), authorizationCode(), deviceAuthorization({ verificationUri: 'http://localhost/device', maxPendingPerClient: 10 * N, maxPendingPerAddress: 10 * N })],
    authorization: { getUser: () => 'user-1234', login: (_req, res) => void res.status(401).end(), maxPendingConsents: 10 * N },
    store,
  });
  const app = express();
  app.use('/oauth', oauth);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    await work(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.close();
    await oauth.close();
  }
}

const kinds = {
  token: (origin: string) =>
    fetch(`${origin}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`svc:${SERVICE.secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'read write' }),
    }),
  device: (origin: string) => fetch(`${origin}/oauth/device_authorization`, { method: 'POST', body: new URLSearchParams({ client_id: 'tv', scope: 'read write' }) }),
  consent: (origin: string, state: string) =>
    fetch(`${origin}/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: 'spa', scope: 'read write', state, code_challenge: PKCE_CHALLENGE, code_challenge_method: 'S256' })}`),
};
type Case = { name: string; make: (origin: string) => Promise<Response> };
const cases: Case[] = [
  { name: 'access token (client credentials)', make: (origin) => kinds.token(origin) },
  { name: 'device authorization', make: (origin) => kinds.device(origin) },
  { name: 'pending consent, state of 16 characters', make: (origin) => kinds.consent(origin, 's'.repeat(16)) },
  { name: 'pending consent, state of 1024 characters (the limit)', make: (origin) => kinds.consent(origin, 's'.repeat(1024)) },
];

async function makeAll(origin: string, make: Case['make']): Promise<void> {
  for (let done = 0; done < N; done += 50) {
    const answers = await Promise.all(Array.from({ length: 50 }, () => make(origin)));
    for (const answer of answers) if (answer.status !== 200) throw new Error(`answered ${answer.status}: ${await answer.text()}`);
  }
}

function heapUsed(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

async function main(): Promise<void> {
  if ((globalThis as { gc?: unknown }).gc === undefined) throw new Error('run with node --expose-gc');
  const redis = await startRedisServer();
  const inspector = new Redis(redis.url);
  try {
    for (const { name, make } of cases) {
      await withServer(memoryStore({ maxRecords: 10 * N }), async (origin) => {
        await makeAll(origin, make); // warm-up: code paths, maps grown
      });
      let bytes = 0;
      await withServer(memoryStore({ maxRecords: 10 * N }), async (origin) => {
        const before = heapUsed();
        await makeAll(origin, make);
        bytes = (heapUsed() - before) / N;
      });
      const keyPrefix = `size${Math.random().toString(36).slice(2)}:`;
      await withServer(redisStore({ url: redis.url, keyPrefix }), async (origin) => {
        await makeAll(origin, make);
      });
      let redisBytes = 0;
      for (const key of await inspector.keys(`${keyPrefix}*`)) redisBytes += (await inspector.memory('USAGE', key)) ?? 0;
      console.log(`${name}: memory store ${Math.round(bytes)} B of heap each; Redis ${Math.round(redisBytes / N)} B each (MEMORY USAGE of its keys, N=${N})`);
    }
  } finally {
    inspector.disconnect();
    await redis.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
