import request from 'supertest';
import fc from 'fast-check';
import { basic, testApp, expectOAuthErrorBody } from '../helpers/test-app';
import { generateClientSecret } from '../../lib/clients/secrets';
import { chosenSecret } from '../helpers/secrets';

/*
 * The brute-force limits against a model, over random sequences of attempts: right and wrong
 * secrets, known and unknown clients, several addresses. The model: only a check of a
 * guessable secret is limited. A (client, address) pair with `perPair` failures refuses
 * everything from that address for that client; a client with `perClient` failures, or an
 * address with `perAddress`, refuses it except from addresses where the client succeeded
 * before. A blocked key counts no more; blocks never end within a run. Unknown ids and
 * generated (unguessable) secrets count nothing and are never blocked. Each run is a whole
 * sequence, so it runs an eighth of FUZZ_RUNS (as `npm run fuzz` sets it); FUZZ_SEED replays a run.
 */
const RUNS = Math.ceil(Number(process.env.FUZZ_RUNS ?? 150) / 8);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const svc = chosenSecret('svc-chosen-secret');
const other = chosenSecret('other-chosen-secret');
const generated = generateClientSecret();
const SECRETS: Record<string, string> = { svc: svc.secret, other: other.secret, gen: generated.secret };
const UNGUESSABLE = new Set(['gen']);
const clients = [
  { client_id: 'svc', client_secret: svc.hash, grant_types: ['client_credentials'], scope: 'read' },
  { client_id: 'other', client_secret: other.hash, grant_types: ['client_credentials'], scope: 'read', token_endpoint_auth_method: 'client_secret_post' as const },
  { client_id: 'gen', client_secret: generated.hash, grant_types: ['client_credentials'], scope: 'read' },
];
const LIMITS = { perPair: 2, perClient: 3, perAddress: 4 };

const attempt = fc.record({
  clientId: fc.constantFrom('svc', 'other', 'gen', 'ghost'),
  right: fc.boolean(),
  address: fc.constantFrom('192.0.2.1', '192.0.2.2', '198.51.100.1'),
});

test('random sequences of attempts are refused exactly when the model says so', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(attempt, { minLength: 1, maxLength: 25 }), async (attempts) => {
      const { app, oauth } = testApp({
        clients,
        bruteForce: { perPair: { points: LIMITS.perPair }, perClient: { points: LIMITS.perClient }, perAddress: { points: LIMITS.perAddress } },
        before: (host) => host.set('trust proxy', 'loopback'),
      });
      const failures = new Map<string, number>();
      const known = new Set<string>();
      const blocked = (key: string, points: number) => (failures.get(key) ?? 0) >= points;
      try {
        for (const { clientId, right, address } of attempts) {
          const secret = right && clientId in SECRETS ? SECRETS[clientId] : 'wrong';
          let req = request(app).post('/oauth/token').type('form').set('X-Forwarded-For', address);
          if (clientId === 'other') req = req.send(`grant_type=client_credentials&client_id=other&client_secret=${secret}`);
          else req = req.set('Authorization', basic(clientId, secret)).send('grant_type=client_credentials');
          const res = await req;

          const limited = clientId in SECRETS && !UNGUESSABLE.has(clientId);
          const keys = { pair: `pair:${clientId}:${address}`, client: `client:${clientId}`, address: `address:${address}` };
          const refused =
            limited &&
            (blocked(keys.pair, LIMITS.perPair) ||
              (!known.has(keys.pair) && (blocked(keys.client, LIMITS.perClient) || blocked(keys.address, LIMITS.perAddress))));
          const succeeds = secret !== 'wrong' && !refused;
          expect({ status: res.status, retryAfter: res.headers['retry-after'] !== undefined }).toEqual({ status: succeeds ? 200 : 401, retryAfter: refused });
          if (!succeeds) expectOAuthErrorBody(res.body, 'invalid_client');
          if (succeeds && limited) known.add(keys.pair);
          if (limited && !succeeds && !refused) {
            for (const [key, points] of [[keys.pair, LIMITS.perPair], [keys.client, LIMITS.perClient], [keys.address, LIMITS.perAddress]] as const) {
              if (!blocked(key, points)) failures.set(key, (failures.get(key) ?? 0) + 1);
            }
          }
        }
      } finally {
        await oauth.close();
      }
    }),
    { numRuns: RUNS, ...(SEED !== undefined && { seed: SEED }) },
  );
}, Math.max(30_000, RUNS * 500));
