/**
 * `npm run bench:profile`: runs our server alone under `node --cpu-prof` while autocannon
 * drives one scenario, then prints where the CPU time went: the functions with the most self
 * time, and self time summed by package. Profiles are kept in bench/results/profiles/.
 *
 * BENCH_SCENARIO=token|protected|refused|jwt-token|jwt-protected|dpop-protected|code|refresh
 * (default token), BENCH_STORE=redis|memory (default redis), BENCH_TARGET (default ours; ours-jwt
 * for the JWT scenarios, ours-dpop for dpop-protected; example-app for `node example-app/server.js` with its own client and /api/hello),
 * BENCH_DURATION (seconds, default 8), BENCH_JWT_ALG (default ES256). Pinned as `npm run bench` is.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { generateClientSecret } from 'express-oauth2-server';
import { freePort, startRedisServer } from '../test/helpers/redis-server';
import { CEILING_TOKEN, CLIENT_ID, DEFAULT_JWT_ALGORITHM, JWT_RESOURCE, JWT_TOKEN_BODY, RESOURCE_PATH, SCOPE, TOKEN_PATH, randomToken, type ServerSettings, type StoreKind } from './common';
import { dpopClient, dpopRequests } from './dpop-proofs';
import { EXAMPLE_APP } from './example-app-client';
import { pinToLoadCore, startExampleApp, startServer } from './server-process';
import { codeRequests, refreshRequests, userFlowClient } from './user-flow';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const scenario = (process.env.BENCH_SCENARIO ?? 'token') as 'token' | 'protected' | 'refused' | 'jwt-token' | 'jwt-protected' | 'dpop-protected' | 'code' | 'refresh';
const store = (process.env.BENCH_STORE ?? 'redis') as StoreKind;
const dpop = scenario === 'dpop-protected';
const jwt = scenario === 'jwt-token' || scenario === 'jwt-protected' || dpop;
const target = process.env.BENCH_TARGET ?? (dpop ? 'ours-dpop' : jwt ? 'ours-jwt' : 'ours');
const isTokenScenario = scenario === 'token' || scenario === 'jwt-token' || scenario === 'code' || scenario === 'refresh';
const tokenBody = jwt ? JWT_TOKEN_BODY : `grant_type=client_credentials&scope=${SCOPE}`;
const duration = Number(process.env.BENCH_DURATION ?? 8);
const root = join(__dirname, '..', '..');
const profileDir = join(root, 'bench', 'results', 'profiles', `${target}-${scenario}-${store}`);

async function main(): Promise<void> {
  rmSync(profileDir, { recursive: true, force: true });
  mkdirSync(profileDir, { recursive: true });
  pinToLoadCore();
  const redis = await startRedisServer();
  const port = await freePort();
  const secret = generateClientSecret();
  const settings: ServerSettings = {
    target,
    store,
    redisUrl: redis.url,
    port,
    workers: 1,
    clientSecret: secret.secret,
    clientSecretHash: secret.hash,
    jwtAlgorithm: process.env.BENCH_JWT_ALG ?? DEFAULT_JWT_ALGORITHM,
    jwtIssuer: 'ours',
  };
  const profilerFlags = ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
  const exampleApp = target === 'example-app';
  const server = exampleApp
    ? await startExampleApp({ PORT: String(port), ...(store === 'redis' && { REDIS_URL: redis.url }) }, profilerFlags)
    : await startServer(settings, profilerFlags);
  const [clientId, clientSecret] = exampleApp ? [EXAMPLE_APP.clientId, EXAMPLE_APP.secret] : [CLIENT_ID, secret.secret];
  const basic = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
  let headers: Record<string, string>;
  if (isTokenScenario) {
    headers = { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' };
  } else if (scenario === 'protected' && target === 'express-redis-get') {
    headers = { authorization: `Bearer ${CEILING_TOKEN}` };
  } else if (scenario === 'protected' || scenario === 'jwt-protected') {
    const response = await fetch(`http://127.0.0.1:${port}${TOKEN_PATH}`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: tokenBody,
    });
    headers = { authorization: `Bearer ${((await response.json()) as { access_token: string }).access_token}` };
  } else {
    headers = { authorization: `Bearer ${randomToken()}` };
  }
  const result = await autocannon({
    url: `http://127.0.0.1:${port}${isTokenScenario ? TOKEN_PATH : exampleApp ? EXAMPLE_APP.resourcePath : RESOURCE_PATH}`,
    method: isTokenScenario ? 'POST' : 'GET',
    headers,
    body: isTokenScenario ? tokenBody : undefined,
    connections: 32,
    duration,
    // The user flows: each request carries a code or refresh token minted or chained as in `npm run bench`.
    ...(await userFlowLoad(port, basic)),
    ...(await dpopLoad(port, basic)),
  });
  await server.stop();
  await redis.stop();

  const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error('no profile was written');
  console.log(`${target} ${scenario}/${store}: ${Math.round(result.requests.total / result.duration)} req/s under the profiler (${result.non2xx} non-2xx)`);
  summarize(JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as CpuProfile);
  console.log(`profile: ${join(profileDir, file)}`);
}

/** The code and refresh scenarios' requests (bench/user-flow.ts): 2,500 codes per second of the run, or one refresh chain per connection. */
async function userFlowLoad(port: number, basic: string): Promise<Pick<autocannon.Options, 'requests' | 'maxOverallRequests'>> {
  if (scenario !== 'code' && scenario !== 'refresh') return {};
  const client = userFlowClient(port, basic);
  if (scenario === 'code') {
    const bodies = await client.codeExchanges(2500 * duration);
    return { requests: codeRequests(bodies), maxOverallRequests: bodies.length };
  }
  const perConnection = 200_000;
  return { requests: refreshRequests(await client.refreshTokens(32), perConnection), maxOverallRequests: perConnection * 32 };
}

/** dpop-protected: a token bound to a fresh key, and one proof of it per request (6,000 per second of the run), as `npm run bench` drives it. */
async function dpopLoad(port: number, basic: string): Promise<Pick<autocannon.Options, 'headers' | 'requests' | 'maxOverallRequests'>> {
  if (!dpop) return {};
  const client = await dpopClient();
  const tokenUrl = `http://127.0.0.1:${port}${TOKEN_PATH}`;
  const response = await fetch(tokenUrl, {
    method: 'POST',
    headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded', dpop: await client.proof('POST', tokenUrl) },
    body: JWT_TOKEN_BODY,
  });
  const token = ((await response.json()) as { access_token: string }).access_token;
  const proofs = await client.proofs(6000 * duration, 'GET', `${new URL(JWT_RESOURCE).origin}${RESOURCE_PATH}`, token);
  return { headers: { authorization: `DPoP ${token}` }, requests: dpopRequests(proofs), maxOverallRequests: proofs.length };
}

/** The package (or "ours", "node:internal", "(gc)"...) a profile node's code belongs to. */
function ownerOf(url: string, functionName: string): string {
  if (url === '') return `(${functionName || 'native'})`;
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.includes('/dist/')) return 'ours (dist/)'; // node_modules/*/dist/ was matched above
  if (url.includes('.bench-build/')) return 'bench harness';
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/');
  return url;
}

function summarize(profile: CpuProfile): void {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfTime = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    selfTime.set(profile.samples[i], (selfTime.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const total = [...selfTime.values()].reduce((a, b) => a + b, 0);
  const functions = new Map<string, number>();
  const owners = new Map<string, number>();
  for (const [id, time] of selfTime) {
    const { functionName, url, lineNumber } = (byId.get(id) as ProfileNode).callFrame;
    const owner = ownerOf(url, functionName);
    const file = url.split('/').slice(-2).join('/');
    const key = `${functionName || '(anonymous)'}  ${file ? `${file}:${lineNumber + 1}` : ''}  [${owner}]`;
    functions.set(key, (functions.get(key) ?? 0) + time);
    owners.set(owner, (owners.get(owner) ?? 0) + time);
  }
  const pct = (t: number) => `${((100 * t) / total).toFixed(1).padStart(5)}%`;
  console.log(`\nself time by owner (total ${(total / 1e6).toFixed(1)} s sampled):`);
  for (const [owner, time] of [...owners].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`  ${pct(time)}  ${owner}`);
  console.log('\nfunctions with the most self time:');
  for (const [key, time] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`  ${pct(time)}  ${key}`);

  // Inclusive time of our own functions (self + callees), counted once per stack.
  const inclusive = new Map<string, number>();
  const visit = (id: number, open: Set<string>): number => {
    const node = byId.get(id) as ProfileNode;
    const { functionName, url, lineNumber } = node.callFrame;
    let time = selfTime.get(id) ?? 0;
    const ours = url.includes('/dist/') && !url.includes('node_modules/');
    const key = `${functionName || '(anonymous)'}  ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
    const outermost = ours && !open.has(key);
    if (outermost) open.add(key);
    for (const child of node.children ?? []) time += visit(child, open);
    if (outermost) {
      open.delete(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + time);
    }
    return time;
  };
  visit(profile.nodes[0].id, new Set());
  console.log('\nour functions by inclusive time (self + what they call):');
  for (const [key, time] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${pct(time)}  ${key}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
