/**
 * `npm run bench`: every server alone in its own child process, measured with autocannon on
 * 127.0.0.1, rounds interleaved so that drift on a noisy machine spreads over all of them;
 * the median of the rounds is reported, with ratios, p99 and RSS, as a table, JSON and SVG.
 *
 * Environment: BENCH_QUICK=1 (or --quick) for a short smoke run; BENCH_ROUNDS, BENCH_DURATION
 * (seconds), BENCH_WARMUP (seconds), BENCH_CONNECTIONS, BENCH_CODE_RATE (codes minted per
 * second of a run), BENCH_DPOP_RATE (DPoP proofs signed per second of a run), BENCH_ASSERTION_RATE
 * (client assertions signed per second of a run);
 * BENCH_ONLY=token,protected,refused,code,refresh,jwt-token,jwt-protected,dpop-token,dpop-protected,pkjwt-token,registration
 * to run some scenarios only (registration: bench/registration.ts, before the tables); BENCH_TARGETS=ours,oauth2orize,... for some servers only;
 * BENCH_STORES=redis or memory for one store only; BENCH_JWT_ALG (default ES256) for the JWS
 * algorithm of the JWT scenarios, at every server that signs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, type JWK } from 'jose';
import { generateClientSecret } from 'express-oauth2-server';
import { freePort, startRedisServer } from '../test/helpers/redis-server';
import { renderChart, type ChartGroup } from './chart';
import {
  CEILING_TOKEN,
  CLIENT_ID,
  DEFAULT_JWT_ALGORITHM,
  ISSUER_PATH,
  JWT_RESOURCE,
  JWT_TOKEN_BODY,
  RESOURCE_PATH,
  SCOPE,
  TOKEN_PATH,
  randomToken,
  type ServerSettings,
  type StoreKind,
} from './common';
import { CLIENT_ASSERTION_ALGORITHM, assertionClient, assertionRequests, type AssertionClient } from './client-assertions';
import { DPOP_ALGORITHM, dpopClient, dpopRequests, type DpopClient } from './dpop-proofs';
import { measureJwtAlgorithms, renderJwtAlgorithms, type JwtAlgorithmCost } from './jwt-algorithms';
import { EXAMPLE_APP } from './example-app-client';
import { runRegistrationBench } from './registration';
import { pinToLoadCore, pinning, startExampleApp, startServer, type RunningServer } from './server-process';
import { checkCodeExchange, checkRefreshRotation, codeRequests, refreshRequests, userFlowClient } from './user-flow';

const quick = process.env.BENCH_QUICK === '1' || process.argv.includes('--quick');
const config = {
  // Issue 17's method: 3 rounds interleaved, 2 s warm-up, 5 s measured.
  rounds: Number(process.env.BENCH_ROUNDS ?? (quick ? 1 : 3)),
  duration: Number(process.env.BENCH_DURATION ?? (quick ? 1 : 5)),
  warmup: Number(process.env.BENCH_WARMUP ?? (quick ? 0.5 : 2)),
  connections: Number(process.env.BENCH_CONNECTIONS ?? 32),
  /** Codes minted per second of warm-up and run: about what the fastest server here redeems; a run that uses them all ends early. */
  codeRate: Number(process.env.BENCH_CODE_RATE ?? 2500),
  /**
   * DPoP proofs signed (by the runner, before each phase) per second of warm-up and run: each
   * request carries a fresh one, and signing them under load would make autocannon's process the
   * bottleneck. About what the fastest server here answers; a run that uses them all ends early.
   */
  dpopRate: Number(process.env.BENCH_DPOP_RATE ?? 6000),
  /** Client assertions (private_key_jwt) signed by the runner before each phase, per second of it: the same reasoning as DPoP proofs. */
  assertionRate: Number(process.env.BENCH_ASSERTION_RATE ?? 6000),
  /** The JWS algorithm of the JWT scenarios, the same at every server that signs. */
  jwtAlgorithm: process.env.BENCH_JWT_ALG ?? DEFAULT_JWT_ALGORITHM,
};
const only = process.env.BENCH_ONLY?.split(',');
const onlyTargets = process.env.BENCH_TARGETS?.split(',');
const onlyStores = process.env.BENCH_STORES?.split(',');
const resultsDir = join(__dirname, '..', '..', 'bench', 'results');
// Only a full default run replaces the committed results; quick or filtered runs go beside them.
const partial = quick || only !== undefined || process.env.BENCH_TARGETS !== undefined || process.env.BENCH_STORES !== undefined || process.env.BENCH_JWT_ALG !== undefined;
const outputName = partial ? 'partial' : 'latest';

type ScenarioName = 'token' | 'protected' | 'refused' | 'code' | 'refresh' | 'jwt-token' | 'jwt-protected' | 'dpop-token' | 'dpop-protected' | 'pkjwt-token';
type Kind = 'ours' | 'peer' | 'ceiling';

interface Scenario {
  name: ScenarioName;
  title: string;
  method: 'GET' | 'POST';
  path: string;
  expectStatus: number;
}

const scenarios: Scenario[] = [
  { name: 'token', title: 'Token endpoint (client_credentials, HTTP Basic)', method: 'POST', path: TOKEN_PATH, expectStatus: 200 },
  { name: 'protected', title: "Protected route, valid token (requireToken('read'))", method: 'GET', path: RESOURCE_PATH, expectStatus: 200 },
  { name: 'refused', title: 'Protected route, unknown token (401)', method: 'GET', path: RESOURCE_PATH, expectStatus: 401 },
  { name: 'code', title: 'Code exchange (authorization_code + PKCE S256, HTTP Basic)', method: 'POST', path: TOKEN_PATH, expectStatus: 200 },
  { name: 'refresh', title: 'Refresh with rotation (refresh_token, HTTP Basic)', method: 'POST', path: TOKEN_PATH, expectStatus: 200 },
  {
    name: 'jwt-token',
    title: `Token endpoint issuing JWT access tokens (client_credentials + resource, ${config.jwtAlgorithm}, HTTP Basic)`,
    method: 'POST',
    path: TOKEN_PATH,
    expectStatus: 200,
  },
  { name: 'jwt-protected', title: `Protected route, JWT access token (${config.jwtAlgorithm}), verifier warm`, method: 'GET', path: RESOURCE_PATH, expectStatus: 200 },
  {
    name: 'dpop-token',
    title: `Token endpoint with a DPoP proof (client_credentials + resource, ${DPOP_ALGORITHM} proof, ${config.jwtAlgorithm} JWT, HTTP Basic)`,
    method: 'POST',
    path: TOKEN_PATH,
    expectStatus: 200,
  },
  {
    name: 'dpop-protected',
    title: `Protected route, DPoP-bound JWT access token (${config.jwtAlgorithm}) with a fresh ${DPOP_ALGORITHM} proof per request`,
    method: 'GET',
    path: RESOURCE_PATH,
    expectStatus: 200,
  },
  {
    name: 'pkjwt-token',
    title: `Token endpoint, private_key_jwt client authentication (client_credentials, ${CLIENT_ASSERTION_ALGORITHM} assertion, opaque token)`,
    method: 'POST',
    path: TOKEN_PATH,
    expectStatus: 200,
  },
];

/** The scenarios of a user's grant: every request carries a code or refresh token minted before the run. */
const isUserFlow = (name: ScenarioName) => name === 'code' || name === 'refresh';
/** The scenarios of JWT access tokens (issue 14): every token is requested with `resource`. */
const isJwtScenario = (name: ScenarioName) => name === 'jwt-token' || name === 'jwt-protected' || isDpopScenario(name);
/** The scenarios of DPoP (issue 16): JWT access tokens bound to the bench client's key, a fresh proof per request. */
const isDpopScenario = (name: ScenarioName) => name === 'dpop-token' || name === 'dpop-protected';
const isTokenEndpoint = (name: ScenarioName) => name === 'token' || name === 'jwt-token' || name === 'dpop-token';
const isProtectedRoute = (name: ScenarioName) => name === 'protected' || name === 'jwt-protected' || name === 'dpop-protected';
const tokenBodyOf = (name: ScenarioName) => (isJwtScenario(name) ? JWT_TOKEN_BODY : `grant_type=client_credentials&scope=${SCOPE}`);
/** The row every ratio of a table divides: ours, one process, in the table's store. */
const referenceTarget = (name: ScenarioName) => (name === 'pkjwt-token' ? 'ours-pkjwt' : isDpopScenario(name) ? 'ours-dpop' : isJwtScenario(name) ? 'ours-jwt' : 'ours');

interface Case {
  id: string;
  group: string;
  scenario: Scenario;
  store: StoreKind;
  target: string;
  label: string;
  kind: Kind;
  workers: number;
  note?: string;
  /**
   * The server keeps nothing in the store on this path (a JWT verified with a public key, an
   * answer cached in its process): measured once, in the memory table, and shown in the Redis
   * table beside the rows it is compared with.
   */
  storeFree?: boolean;
  /** Started and asked once before the rounds; left out, with the reason shown, if that fails (a misconfigured server, a feature missing). */
  preflight?: boolean;
  /** Every request carries a fresh DPoP proof (and, at a route, a DPoP-bound token as `Authorization: DPoP`). */
  dpop?: boolean;
  /** Every request authenticates with a fresh client assertion (private_key_jwt) in its body. */
  assertion?: boolean;
}

interface Sample {
  round: number;
  rps: number;
  p99: number;
  rssMB: number;
  /** Server CPU time (user + system) per response, in µs. */
  cpuPerRequest: number;
  /** Redis commands per response, and Redis socket reads per response (below 1 when pipelined). */
  redisCommandsPerRequest: number;
  redisReadsPerRequest: number;
  unexpected: number;
  /** 1-minute load average when the run started: other work on the machine shows here. */
  loadBefore: number;
}

interface Peer {
  target: string;
  label: string;
  note: (scenario: ScenarioName, store: StoreKind) => string | undefined;
  /** Whether the peer has a row in that table (default: all). */
  runs?: (scenario: ScenarioName, store: StoreKind) => boolean;
}

const PEERS: Peer[] = [
  {
    target: 'oauth2orize',
    label: 'oauth2orize + passport-http',
    note: (scenario) => (scenario === 'code' ? 'no PKCE in oauth2orize: S256 checked by the bench app' : undefined),
  },
  { target: 'node-oauth', label: '@node-oauth/express-oauth-server', note: () => undefined },
  {
    target: 'oidc-provider',
    label: 'oidc-provider',
    note: (_scenario, store) => (store === 'redis' ? 'adapter: ours, to its interface' : 'its dev in-memory LRU adapter'),
    // Its in-memory adapter keeps 1000 entries: the thousands of codes minted before a run would be evicted.
    runs: (scenario, store) => !(scenario === 'code' && store === 'memory'),
  },
];

/** The store whose table measures the store-free rows: memory, unless only Redis is run. */
const storeFreeStore: StoreKind = onlyStores === undefined || onlyStores.includes('memory') ? 'memory' : 'redis';

function casesFor(scenario: Scenario, store: StoreKind): Case[] {
  const group = `${scenario.name}/${store}`;
  const make = (target: string, label: string, kind: Kind, workers = 1, note?: string): Case => ({
    id: `${group}/${target}${workers > 1 ? `x${workers}` : ''}`,
    group,
    scenario,
    store,
    target,
    label,
    kind,
    workers,
    note,
  });
  const list =
    scenario.name === 'pkjwt-token'
      ? pkjwtCases(store, make)
      : isDpopScenario(scenario.name)
        ? dpopCases(scenario.name, store, make)
        : isJwtScenario(scenario.name)
          ? jwtCases(scenario.name, store, make)
          : classicCases(scenario.name, store, make);
  // A goal against bare Express JSON is paired with a JSON run in the same group, minutes nearer than the round's own (a noisy machine drifts between them).
  if (scenario.name === 'jwt-protected' || (scenario.name === 'protected' && store === 'redis')) list.push(make('express-json', 'Express returning JSON', 'ceiling', 1, "measured beside this table's rows"));
  const kept = list.filter((c) => !(c.storeFree === true && store !== storeFreeStore));
  return onlyTargets === undefined ? kept : kept.filter((c) => onlyTargets.includes(c.target));
}

type MakeCase = (target: string, label: string, kind: Kind, workers?: number, note?: string) => Case;

/**
 * Issue 14: JWT access tokens for JWT_RESOURCE, signed with config.jwtAlgorithm by every server
 * that signs. The ratios divide ours-jwt (one process).
 */
function jwtCases(scenario: ScenarioName, store: StoreKind, make: MakeCase): Case[] {
  const checked = (c: Case, extra: Partial<Case> = {}): Case => ({ ...c, preflight: true, ...extra });
  if (scenario === 'jwt-token') {
    return [
      checked(make('ours-jwt', 'ours', 'ours', 1, 'host key (signingKeys.keys); jti record saved')),
      checked(make('oidc-provider-jwt', 'oidc-provider (resource indicators)', 'peer', 1, 'keeps no record of JWT access tokens')),
      checked(make('express-jose-sign', store === 'redis' ? 'Express + jose sign + 1 Redis SET' : 'Express + jose sign + Map set', 'ceiling', 1, 'jti record saved')),
    ];
  }
  const list = [
    checked(make('ours-jwt', 'ours', 'ours', 1, store === 'redis' ? 'jti record: 1 Redis GET per request' : undefined)),
    checked(make('jwt-bearer', 'express-oauth2-jwt-bearer', 'peer', 1, 'verifies every request; issuer in its process'), { storeFree: true }),
    checked(make('resource-server', 'ours, resourceServer() (JWKS)', 'ours', 1, 'verified tokens cached; issuer in its process'), { storeFree: true }),
  ];
  if (store === 'redis') {
    list.splice(1, 0, checked(make('ours-jwt-cache', 'ours, token cache on', 'ours', 1, 'redisStore({ url, cache: {} })')));
    list.push(make('express-redis-get', 'Express + 1 Redis GET', 'ceiling'));
  }
  return list;
}

/**
 * Issue 16: DPoP-bound JWT access tokens for JWT_RESOURCE, proofs signed with DPOP_ALGORITHM by
 * the runner. The ratios divide ours-dpop (one process). At the route, ours with a Bearer token
 * on the same route and server is the row DPoP is compared with.
 */
function dpopCases(scenario: ScenarioName, store: StoreKind, make: MakeCase): Case[] {
  const proofs = (c: Case, extra: Partial<Case> = {}): Case => ({ ...c, preflight: true, dpop: true, ...extra });
  if (scenario === 'dpop-token') {
    const replay = store === 'redis' ? 'proof jti: 1 Redis SET NX' : 'proof jti in the memory store';
    return [
      proofs(make('ours-dpop', 'ours', 'ours', 1, `token jti record saved; ${replay}`)),
      proofs(make('oidc-provider-dpop', 'oidc-provider (DPoP, resource indicators)', 'peer', 1, store === 'redis' ? 'proof jti through the adapter (ReplayDetection: GET, then SET)' : 'proof jti in its dev LRU adapter')),
      proofs(make('express-jose-sign', store === 'redis' ? 'Express + jose verify/sign + 2 Redis SET' : 'Express + jose verify/sign + 2 Map sets', 'ceiling', 1, 'proof checked (§4.3), proof jti and token jti saved')),
    ];
  }
  const list = [
    proofs(make('ours-dpop', 'ours, DPoP', 'ours', 1, store === 'redis' ? 'token jti GET + proof jti SET NX per request' : undefined)),
    { ...make('ours-jwt', 'ours, Bearer (same route)', 'ours', 1, store === 'redis' ? 'token jti GET per request' : undefined), preflight: true },
    proofs(make('jwt-bearer', 'express-oauth2-jwt-bearer (DPoP)', 'peer', 1, 'dpop: { enabled: true }; no replay check of proofs'), { storeFree: true }),
    proofs(make('express-jose-sign', store === 'redis' ? 'Express + jose proof verify + 1 Redis SET NX' : 'Express + jose proof verify + 1 Map set', 'ceiling', 1, 'token verified once; per request one proof (§4.3, ath, cnf.jkt) and its jti saved')),
  ];
  if (store === 'redis') {
    list.splice(1, 0, proofs(make('ours-dpop-cache', 'ours, DPoP, token cache on', 'ours', 1, 'proof jti SET NX per request')));
    list.splice(3, 0, { ...make('ours-jwt-cache', 'ours, Bearer, token cache on', 'ours', 1, 'redisStore({ url, cache: {} })'), preflight: true });
  }
  return list;
}

/**
 * Issue 15: client credentials, the client authenticated with `private_key_jwt` (RFC 7523 §2.2):
 * a fresh ES256 assertion, signed by the runner, per request. The ratio divides ours-pkjwt.
 */
function pkjwtCases(store: StoreKind, make: MakeCase): Case[] {
  const assertions = (c: Case): Case => ({ ...c, preflight: true, assertion: true });
  const replay = store === 'redis' ? 'assertion jti: 1 Redis SET NX' : 'assertion jti in the memory store';
  return [
    assertions(make('ours-pkjwt', 'ours', 'ours', 1, `token saved; ${replay}`)),
    assertions(make('oidc-provider-pkjwt', 'oidc-provider (private_key_jwt)', 'peer', 1, store === 'redis' ? 'assertion jti through the adapter (ReplayDetection)' : 'assertion jti in its dev LRU adapter')),
  ];
}

/** The scenarios of issue 7 and 17: opaque tokens, user flows. */
function classicCases(scenario: ScenarioName, store: StoreKind, make: MakeCase): Case[] {
  const list: Case[] = [make('ours', 'ours', 'ours')];
  // A secret a person chose (plaintext in the config, so guessable): the brute-force limits
  // run on every request, and no correct request may be refused under its own concurrency.
  if (scenario === 'token') list.push(make('ours-chosen-secret', 'ours, person-chosen secret', 'ours', 1, 'plaintext in config: limits on'));
  // The example-app as `npm start` runs it (issue 17): its own process, clients.json and routes.
  if (!isUserFlow(scenario)) {
    const what = scenario === 'token' ? `${EXAMPLE_APP.clientId}: plaintext secret in clients.json` : `GET ${EXAMPLE_APP.resourcePath}`;
    list.push(make('example-app', 'example-app (npm start)', 'ours', 1, `node example-app/server.js; ${what}`));
  }
  for (const peer of PEERS) {
    if (peer.runs?.(scenario, store) ?? true) list.push(make(peer.target, peer.label, 'peer', 1, peer.note(scenario, store)));
  }
  if (store === 'redis') {
    // Memory tokens are per process, so the cluster is measured with Redis only.
    // The refusal path is measured for 1 process only, to keep the run short.
    if (scenario !== 'refused') list.push(make('ours', 'ours, 2 processes (cluster)', 'ours', 2));
    // The token cache serves token lookups, and the SET ceiling of the token table is shown in the user flows' tables.
    if (scenario === 'protected' || scenario === 'refused') {
      list.push(make('ours-cache', 'ours, token cache on', 'ours', 1, 'redisStore({ url, cache: {} })'));
      list.push(make('express-redis-get', 'Express + 1 Redis GET', 'ceiling'));
    }
    if (scenario === 'token') list.push(make('express-redis-set', 'Express + 1 Redis SET', 'ceiling'));
  }
  if (scenario === 'protected') {
    // Issue 14: the package's resource server for apps without the authorization server, opaque tokens through RFC 7662.
    const note = 'introspection answers cached; issuer in its process';
    list.push({ ...make('resource-server-introspection', 'ours, resourceServer() (introspection)', 'ours', 1, note), storeFree: true, preflight: true });
  }
  return list;
}

const jsonCeiling: Case = {
  id: 'ceiling/express-json',
  group: 'ceiling',
  scenario: { name: 'protected', title: 'Bare Express returning JSON', method: 'GET', path: RESOURCE_PATH, expectStatus: 200 },
  store: 'memory',
  target: 'express-json',
  label: 'Express returning JSON',
  kind: 'ceiling',
  workers: 1,
};

/** The path a case's requests go to: the scenario's, or, for the route scenarios (valid and refused tokens), the example-app's own protected route. */
const requestPath = (c: Case) => (c.target === 'example-app' && c.scenario.method === 'GET' ? EXAMPLE_APP.resourcePath : c.scenario.path);

/** A token of the bench client; with `dpop`, requested with a proof of its key, and checked to be bound to it. */
async function fetchToken(port: number, basic: string, body: string, dpop?: DpopClient): Promise<string> {
  const url = `http://127.0.0.1:${port}${TOKEN_PATH}`;
  const response = await fetch(url, {
    method: 'POST',
    headers: { ...tokenRequestHeaders(basic), ...(dpop !== undefined && { dpop: await dpop.proof('POST', url) }) },
    body,
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`token request answered ${response.status} ${text.slice(0, 300)}`);
  const answer = JSON.parse(text) as { access_token?: unknown; token_type?: unknown };
  if (typeof answer.access_token !== 'string') throw new Error(`token request answered ${response.status} ${text.slice(0, 300)}`);
  if (body === JWT_TOKEN_BODY) checkJwtAccessToken(answer.access_token, dpop?.jkt);
  if (dpop !== undefined) checkDpopTokenType(answer.token_type);
  return answer.access_token;
}

/** RFC 9449 §5: a token bound to the proof's key is issued as `token_type: DPoP`. */
function checkDpopTokenType(tokenType: unknown): void {
  if (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'dpop') throw new Error(`token_type ${String(tokenType)}: expected DPoP`);
}

/** Every server of the JWT scenarios must sign the same kind of token: RFC 9068, the same algorithm, audience and scope. */
function checkJwtAccessToken(token: string, jkt?: string): void {
  let header: { alg?: string; typ?: string };
  let claims: { aud?: unknown; scope?: unknown; client_id?: unknown; jti?: unknown; cnf?: { jkt?: unknown } };
  try {
    [header, claims] = [decodeProtectedHeader(token), decodeJwt(token)];
  } catch {
    throw new Error(`not a JWT access token: ${token.slice(0, 40)}…`);
  }
  if (header.alg !== config.jwtAlgorithm || header.typ?.replace(/^application\//, '') !== 'at+jwt') {
    throw new Error(`JWT header ${JSON.stringify(header)}: expected alg ${config.jwtAlgorithm}, typ at+jwt`);
  }
  const audience = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audience.includes(JWT_RESOURCE) || claims.scope !== SCOPE || claims.client_id !== CLIENT_ID || typeof claims.jti !== 'string') {
    throw new Error(`JWT claims ${JSON.stringify(claims)}: expected aud ${JWT_RESOURCE}, scope ${SCOPE}, client_id ${CLIENT_ID}, a jti`);
  }
  // RFC 9449 §6.1: a DPoP-bound JWT names the key's thumbprint in cnf.jkt.
  if (jkt !== undefined && claims.cnf?.jkt !== jkt) throw new Error(`JWT cnf ${JSON.stringify(claims.cnf)}: expected { jkt: ${jkt} }`);
}

/** Redis's own counters: commands run, and socket reads (one read can carry many pipelined commands). */
async function redisCounters(admin: Redis): Promise<{ commands: number; reads: number }> {
  const info = await admin.info('stats');
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? NaN);
  return { commands: field('total_commands_processed'), reads: field('total_reads_processed') };
}

/** A bound on requests: far above what this machine can do in the time given. */
const requestBound = (seconds: number) => 200_000 * seconds;

type LoadOptions = Pick<autocannon.Options, 'headers' | 'body' | 'requests' | 'maxOverallRequests' | 'sampleInt'>;

/** What autocannon sends in the warm-up and in the measured run, each prepared just before it. */
interface Load {
  warmup(): Promise<LoadOptions>;
  measured(): Promise<LoadOptions>;
}

async function prepareLoad(c: Case, port: number, basic: string): Promise<Load> {
  if (c.dpop === true) return dpopLoad(c, port, basic);
  if (c.assertion === true) return assertionLoad(port);
  if (c.scenario.name === 'code') return codeLoad(port, basic);
  if (c.scenario.name === 'refresh') return refreshLoad(port, basic);
  const load = { headers: await staticHeaders(c, port, basic), body: isTokenEndpoint(c.scenario.name) ? tokenBodyOf(c.scenario.name) : undefined };
  return { warmup: async () => load, measured: async () => ({ ...load, maxOverallRequests: requestBound(config.duration) }) };
}

const tokenRequestHeaders = (basic: string) => ({ authorization: basic, 'content-type': 'application/x-www-form-urlencoded' });

async function staticHeaders(c: Case, port: number, basic: string): Promise<Record<string, string>> {
  const name = c.scenario.name;
  if (isTokenEndpoint(name)) return tokenRequestHeaders(basic);
  if (c.target === 'express-redis-get' && isProtectedRoute(name)) return { authorization: `Bearer ${CEILING_TOKEN}` };
  if (isProtectedRoute(name) && c.target !== 'express-json') return { authorization: `Bearer ${await fetchToken(port, basic, tokenBodyOf(name))}` };
  return { authorization: `Bearer ${randomToken()}` };
}

/**
 * A fresh DPoP key for the case; at a route, a token bound to it fetched once. Before each phase,
 * config.dpopRate proofs per second of it are signed (each its own `jti`, `iat` now, and `ath` of
 * the token at a route), one per request: a phase stops when they are used up, within the
 * servers' ±60 s `iat` window.
 */
async function dpopLoad(c: Case, port: number, basic: string): Promise<Load> {
  const client = await dpopClient();
  const name = c.scenario.name;
  const tokenEndpoint = isTokenEndpoint(name);
  const token = tokenEndpoint ? undefined : await fetchToken(port, basic, tokenBodyOf(name), client);
  const headers = token === undefined ? tokenRequestHeaders(basic) : { authorization: `DPoP ${token}` };
  const htu = tokenEndpoint ? `http://127.0.0.1:${port}${TOKEN_PATH}` : routeHtu(c.target, port);
  const phase = async (seconds: number): Promise<LoadOptions> => {
    const proofs = await client.proofs(Math.max(config.connections, Math.ceil(config.dpopRate * seconds)), c.scenario.method, htu, token);
    return { headers, body: tokenEndpoint ? tokenBodyOf(name) : undefined, requests: dpopRequests(proofs), maxOverallRequests: proofs.length, sampleInt: 100 };
  };
  return { warmup: () => phase(config.warmup), measured: () => phase(config.duration) };
}

/** The bench client's key for private_key_jwt: one per run, its public half given to every server. */
let benchAssertionClient: Promise<AssertionClient> | undefined;
const assertionKeys = () => (benchAssertionClient ??= assertionClient());

/**
 * Before each phase, config.assertionRate client assertions per second of it are signed (each
 * its own `jti`, `iat` now, `aud` the server's issuer identifier), one per request in the body:
 * a phase stops when they are used up, long before they expire.
 */
async function assertionLoad(port: number): Promise<Load> {
  const client = await assertionKeys();
  const issuer = `http://127.0.0.1:${port}${ISSUER_PATH}`;
  const phase = async (seconds: number): Promise<LoadOptions> => {
    const assertions = await client.assertions(Math.max(config.connections, Math.ceil(config.assertionRate * seconds)), issuer);
    return { headers: { 'content-type': 'application/x-www-form-urlencoded' }, requests: assertionRequests(assertions), maxOverallRequests: assertions.length, sampleInt: 100 };
  };
  return { warmup: () => phase(config.warmup), measured: () => phase(config.duration) };
}

/**
 * RFC 9449 §4.3 point 9: the URL a route's proofs name. Ours compares `htu` with the URL on the
 * resource's configured origin (JWT_RESOURCE's); express-oauth2-jwt-bearer with the URL the
 * request reached (its protocol and Host header).
 */
function routeHtu(target: string, port: number): string {
  return target.startsWith('ours') ? `${new URL(JWT_RESOURCE).origin}${RESOURCE_PATH}` : `http://127.0.0.1:${port}${RESOURCE_PATH}`;
}

/**
 * Checks the server by hand; then, before each phase, mints config.codeRate codes per second
 * of it (each with its own PKCE verifier). A phase stops when its codes are used up.
 */
async function codeLoad(port: number, basic: string): Promise<Load> {
  const client = userFlowClient(port, basic);
  await checkCodeExchange(client);
  const phase = async (seconds: number): Promise<LoadOptions> => {
    // autocannon wants at least one request per connection.
    const bodies = await client.codeExchanges(Math.max(config.connections, Math.ceil(config.codeRate * seconds)));
    return {
      headers: tokenRequestHeaders(basic),
      requests: codeRequests(bodies),
      maxOverallRequests: bodies.length,
      // autocannon ends a run at its next sample tick: a run that used up its codes is timed to within 0.1 s.
      sampleInt: 100,
    };
  };
  return { warmup: () => phase(config.warmup), measured: () => phase(config.duration) };
}

/**
 * Checks the server by hand; then, before each phase, gets one refresh token per connection.
 * Fresh ones for the run: the warm-up may end with requests in flight, whose rotated tokens no
 * connection ever learns, and oidc-provider's memory LRU would have evicted older ones.
 */
async function refreshLoad(port: number, basic: string): Promise<Load> {
  const client = userFlowClient(port, basic);
  await checkRefreshRotation(client);
  const phase = async (seconds: number): Promise<LoadOptions> => {
    const perConnection = Math.ceil(requestBound(seconds) / config.connections);
    const heads = await client.refreshTokens(config.connections);
    return { headers: tokenRequestHeaders(basic), requests: refreshRequests(heads, perConnection), maxOverallRequests: perConnection * config.connections };
  };
  return { warmup: () => phase(config.warmup), measured: () => phase(config.duration) };
}

/** Who issues the tokens express-oauth2-jwt-bearer checks: ours once the preflight shows that it signs JWT access tokens. */
let jwtIssuer: ServerSettings['jwtIssuer'] = 'jose';

type Secret = { secret: string; hash: string };

/** Starts the case's server on a free port; `run` gets it with the client's Basic header, and the server is stopped after. */
async function withServer<T>(c: Case, redisUrl: string, secret: Secret, run: (server: RunningServer, port: number, basic: string) => Promise<T>): Promise<T> {
  const port = await freePort();
  const server =
    c.target === 'example-app'
      ? await startExampleApp({ PORT: String(port), ...(c.store === 'redis' && { REDIS_URL: redisUrl }) })
      : await startServer({
          target: c.target,
          store: c.store,
          redisUrl,
          port,
          workers: c.workers,
          clientSecret: secret.secret,
          clientSecretHash: secret.hash,
          jwtAlgorithm: config.jwtAlgorithm,
          jwtIssuer,
          clientPublicJwk: c.assertion === true ? (await assertionKeys()).publicJwk : undefined,
        });
  try {
    const [clientId, clientSecret] = c.target === 'example-app' ? [EXAMPLE_APP.clientId, EXAMPLE_APP.secret] : [CLIENT_ID, secret.secret];
    const basic = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
    return await run(server, port, basic);
  } finally {
    await server.stop();
  }
}

/**
 * Before the rounds: starts the server, prepares its load (a token fetched and checked) and sends
 * one request of it by hand. Returns why the case cannot be measured, or undefined when it can.
 */
async function preflight(c: Case, redisUrl: string, secret: Secret): Promise<string | undefined> {
  try {
    return await withServer(c, redisUrl, secret, async (_child, port, basic) => {
      const load = await (await prepareLoad(c, port, basic)).warmup();
      // The first request of the load as autocannon would send it (with its DPoP proof, if any).
      const first: autocannon.Request = { headers: load.headers, body: load.body };
      const setup = load.requests?.[0]?.setupRequest;
      const request = typeof setup === 'function' ? setup(first, {}) : first;
      const headers = request.headers as Record<string, string>;
      const response = await fetch(`http://127.0.0.1:${port}${requestPath(c)}`, { method: c.scenario.method, headers, body: request.body as string | undefined });
      const text = await response.text();
      if (response.status !== c.scenario.expectStatus) return `answered ${response.status} ${text.slice(0, 300)}`;
      if (c.scenario.name === 'jwt-token' || c.scenario.name === 'dpop-token') {
        const answer = JSON.parse(text) as { access_token: string; token_type?: unknown };
        const jkt = headers.dpop === undefined ? undefined : await calculateJwkThumbprint(decodeProtectedHeader(headers.dpop).jwk as JWK);
        checkJwtAccessToken(answer.access_token, jkt);
        if (jkt !== undefined) checkDpopTokenType(answer.token_type);
      }
      return undefined;
    });
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

async function measureOnce(c: Case, round: number, redisUrl: string, secret: Secret, admin: Redis): Promise<Sample> {
  const loadBefore = loadavg()[0];
  return withServer(c, redisUrl, secret, async (server, port, basic) => {
    const load = await prepareLoad(c, port, basic);
    const options = {
      url: `http://127.0.0.1:${port}${requestPath(c)}`,
      method: c.scenario.method,
      connections: config.connections,
      timeout: 10,
    };
    if (config.warmup > 0) await autocannon({ ...options, ...(await load.warmup()), duration: config.warmup });
    const measured = await load.measured();
    const before = await server.stats();
    const redisBefore = await redisCounters(admin);
    const result = await autocannon({ ...options, ...measured, duration: config.duration });
    const statusCounts = (result as unknown as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {};
    const expected = statusCounts[String(c.scenario.expectStatus)]?.count ?? 0;
    const total = Object.values(statusCounts).reduce((sum, s) => sum + s.count, 0);
    const unexpected = total - expected + result.errors + result.timeouts;
    const redisAfter = await redisCounters(admin);
    const after = await server.stats();
    // The INFO call itself counts as one command and one read.
    const redisCommandsPerRequest = (redisAfter.commands - redisBefore.commands - 1) / Math.max(1, total);
    const redisReadsPerRequest = (redisAfter.reads - redisBefore.reads - 1) / Math.max(1, total);
    const rssMB = after.rss / 1024 / 1024;
    // CPU time per request barely moves when other work shares the machine; req/s does.
    const cpuPerRequest = (after.cpuMicros - before.cpuMicros) / Math.max(1, total);
    return { round, rps: expected / result.duration, p99: result.latency.p99, rssMB, cpuPerRequest, redisCommandsPerRequest, redisReadsPerRequest, unexpected, loadBefore };
  });
}

function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

async function main(): Promise<void> {
  const started = Date.now();
  if (only?.includes('registration')) {
    await runRegistrationBench({ quick });
    if (only.every((name) => name === 'registration')) return;
  }
  pinToLoadCore();
  const redis = await startRedisServer();
  const admin = new Redis(redis.url);
  const secret = generateClientSecret();
  const groups: { scenario: Scenario; store: StoreKind; cases: Case[] }[] = [];
  for (const scenario of scenarios) {
    if (only !== undefined && !only.includes(scenario.name)) continue;
    for (const store of ['redis', 'memory'] as const) if (onlyStores === undefined || onlyStores.includes(store)) groups.push({ scenario, store, cases: casesFor(scenario, store) });
  }
  const withJson = onlyTargets === undefined || onlyTargets.includes(jsonCeiling.target);
  // Before the rounds, with no server running: the algorithms' own price, for the JWT tables.
  const jwtAlgorithmCosts: JwtAlgorithmCost[] = groups.some((g) => isJwtScenario(g.scenario.name)) ? await measureJwtAlgorithms(quick ? 0.1 : 0.5) : [];
  const notMeasured = await runPreflights(groups, redis.url, secret, admin);
  const allCases = [...(withJson ? [jsonCeiling] : []), ...groups.flatMap((g) => g.cases)];
  // The token table's SET ceiling, when measured, is shown in the user flows' Redis tables too.
  const setCeiling = allCases.find((c) => c.id === 'token/redis/express-redis-set');
  // Rows that keep nothing in the store, measured in one store's table, are shown in the other's.
  const storeFreeRows = (g: { scenario: Scenario; store: StoreKind }) =>
    g.store === storeFreeStore ? [] : groups.filter((o) => o.scenario === g.scenario && o.store === storeFreeStore).flatMap((o) => o.cases.filter((c) => c.storeFree === true));
  const borrowedRows = (g: { scenario: Scenario; store: StoreKind }) => [
    ...(setCeiling !== undefined && isUserFlow(g.scenario.name) && g.store === 'redis' ? [setCeiling] : []),
    ...storeFreeRows(g),
  ];
  const borrowedNote = (c: Case) => (c === setCeiling ? 'measured in the token table' : `${c.note === undefined ? '' : `${c.note}; `}measured in the ${c.store} table`);
  const samples = new Map<string, Sample[]>(allCases.map((c) => [c.id, []]));
  const total = allCases.length * config.rounds;
  console.log(
    `bench: ${total} runs (${config.rounds} rounds x ${allCases.length} servers), ${config.duration}s each after ${config.warmup}s warm-up, -c ${config.connections}, ${cpus().length} CPUs`,
  );

  let done = 0;
  try {
    for (let round = 0; round < config.rounds; round++) {
      for (const group of [...(withJson ? [{ cases: [jsonCeiling] }] : []), ...groups]) {
        // Rotate the order each round so that no server always runs first, or after the same one.
        const order = group.cases.map((_, i) => group.cases[(i + round) % group.cases.length]);
        for (const c of order) {
          await admin.flushall();
          const sample = await measureOnce(c, round, redis.url, secret, admin);
          samples.get(c.id)?.push(sample);
          done++;
          console.log(
            `[${done}/${total}] round ${round + 1} ${c.id}: ${Math.round(sample.rps)} req/s, ${sample.cpuPerRequest.toFixed(0)} CPU µs/req, p99 ${sample.p99} ms, RSS ${sample.rssMB.toFixed(0)} MB, load ${sample.loadBefore.toFixed(1)}` +
              (sample.unexpected > 0 ? `, ${sample.unexpected} UNEXPECTED responses/errors` : ''),
          );
        }
      }
    }
  } finally {
    admin.disconnect();
    await redis.stop();
  }

  const summary = (c: Case) => {
    const list = samples.get(c.id) ?? [];
    return {
      rps: median(list.map((s) => s.rps)),
      p99: median(list.map((s) => s.p99)),
      rssMB: median(list.map((s) => s.rssMB)),
      cpuPerRequest: median(list.map((s) => s.cpuPerRequest)),
      redisCommandsPerRequest: median(list.map((s) => s.redisCommandsPerRequest)),
      redisReadsPerRequest: median(list.map((s) => s.redisReadsPerRequest)),
      unexpected: list.reduce((sum, s) => sum + s.unexpected, 0),
    };
  };
  const report = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGB: Math.round(totalmem() / 2 ** 30), node: process.version },
    config,
    seconds: Math.round((Date.now() - started) / 1000),
    jwtAlgorithms: jwtAlgorithmCosts,
    groups: groups.map((g) => {
      const oursCase = g.cases.find((c) => c.target === referenceTarget(g.scenario.name) && c.workers === 1);
      const borrowed = borrowedRows(g);
      const ownJson = g.cases.some((c) => c.target === jsonCeiling.target);
      const cases = [...g.cases, ...borrowed, ...(withJson && !ownJson ? [jsonCeiling] : [])];
      return {
        scenario: g.scenario.name,
        title: g.scenario.title,
        store: g.store,
        notMeasured: notMeasured.filter((n) => n.group === `${g.scenario.name}/${g.store}`).map(({ target, label, reason }) => ({ target, label, reason })),
        rows: cases.map((c) => ({
          target: c.target,
          label: c.label,
          kind: c.kind,
          workers: c.workers,
          note: borrowed.includes(c) ? borrowedNote(c) : c.note,
          ...summary(c),
          oursRatio: oursCase === undefined ? NaN : pairedRatio(samples.get(oursCase.id), samples.get(c.id)),
          rounds: samples.get(c.id),
        })),
      };
    }),
  };

  const lines: string[] = [];
  lines.push(`Medians of ${config.rounds} round(s), ${config.duration}s each after ${config.warmup}s warm-up, autocannon -c ${config.connections}, node ${process.version}, ${cpus().length} CPUs.`);
  lines.push(
    pinning
      ? 'Pinned with taskset: each server on core 1 (a 2-process cluster on both cores); autocannon and redis-server on core 0. RSS: the server process right after the run.'
      : 'Not pinned (BENCH_PIN=0, one core, or no taskset): servers, autocannon and redis-server share the cores.',
  );
  lines.push('ours ÷: median over rounds of (ours, 1 process, same store) ÷ (that row), measured in the same round; above 1 = ours faster.');
  lines.push('CPU µs/req: server CPU time (user+sys, all its processes) per response; other work on the machine inflates it less than req/s.');
  lines.push('Redis cmd/req and read/req: commands Redis ran, and socket reads it made, per response (read/req below cmd/req = pipelined).');
  for (const g of report.groups) {
    lines.push('');
    lines.push(`${g.title} — ${g.store} store`);
    const redisColumns = g.store === 'redis';
    lines.push(
      `  ${pad('server', 40)} ${pad('req/s', 7, true)} ${pad('ours ÷', 7, true)} ${pad('CPU µs/req', 11, true)} ${pad('p99 ms', 7, true)} ${pad('RSS MB', 7, true)}` +
        (redisColumns ? ` ${pad('cmd/req', 8, true)} ${pad('read/req', 9, true)}` : '') +
        '  note',
    );
    for (const r of g.rows) {
      const note = [r.note, r.unexpected > 0 ? `${r.unexpected} unexpected responses` : undefined].filter(Boolean).join('; ');
      lines.push(
        `  ${pad(r.label, 40)} ${pad(Math.round(r.rps).toString(), 7, true)} ${pad(r.oursRatio.toFixed(2), 7, true)} ${pad(r.cpuPerRequest.toFixed(0), 11, true)} ${pad(String(r.p99), 7, true)} ${pad(r.rssMB.toFixed(0), 7, true)}` +
          (redisColumns ? ` ${pad(r.redisCommandsPerRequest.toFixed(2), 8, true)} ${pad(r.redisReadsPerRequest.toFixed(2), 9, true)}` : '') +
          `  ${note}`,
      );
    }
    for (const n of g.notMeasured) lines.push(`  ${pad(n.label, 40)} NOT MEASURED: ${n.reason}`);
  }
  const loads = [...samples.values()].flat().map((s) => s.loadBefore);
  lines.push('');
  lines.push(`1-minute load average before the runs: median ${median(loads).toFixed(2)}, max ${Math.max(...loads).toFixed(2)} (the bench itself keeps it near 2).`);
  lines.push(...targetsCheck(report.groups), ...issue17Targets(report.groups), ...issue14Targets(report.groups), ...issue16Targets(report.groups), ...issue15Targets(report.groups), ...signAndVerifyCpu(report.groups));
  if (jwtAlgorithmCosts.length > 0) lines.push('', ...renderJwtAlgorithms(jwtAlgorithmCosts));
  const table = lines.join('\n');
  console.log(`\n${table}\n`);

  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, `${outputName}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(resultsDir, `${outputName}.txt`), `${table}\n`);
  const chartGroups: ChartGroup[] = report.groups.map((g) => ({
    title: `${g.title} — ${g.store} store`,
    bars: g.rows.map((r) => ({ label: r.label, value: r.rps, kind: r.kind })),
  }));
  writeFileSync(
    join(resultsDir, `${outputName}.svg`),
    renderChart(
      'express-oauth2-server benchmark: requests per second (median)',
      `${report.date.slice(0, 10)}, ${config.rounds} rounds × ${config.duration}s, autocannon -c ${config.connections}, ${cpus().length} CPUs, node ${process.version}, median load average ${median(loads).toFixed(1)}. Blue: ours; grey: peers; light: ceilings.`,
      chartGroups,
    ),
  );
  console.log(`wrote bench/results/${outputName}.json, .txt and .svg (${report.seconds}s)`);
}

interface ReportRow {
  target: string;
  label: string;
  kind: string;
  oursRatio: number;
  unexpected: number;
  cpuPerRequest: number;
  rssMB: number;
  redisCommandsPerRequest: number;
  rounds?: Sample[];
}

interface ReportGroup {
  scenario: ScenarioName;
  store: string;
  rows: ReportRow[];
}

/** Median over rounds of a ÷ b (requests per second), each round's pair measured minutes apart at most. */
function pairedRatio(a: Sample[] = [], b: Sample[] = []): number {
  return median(a.flatMap((m) => b.filter((t) => t.round === m.round).map((t) => m.rps / t.rps)));
}

/** Paired ours ÷ peer against the peer that did best against ours. */
function oursVsFastestPeer(g: ReportGroup): number {
  const peers = g.rows.filter((r) => r.kind === 'peer').map((r) => r.oursRatio);
  return peers.length > 0 ? Math.min(...peers) : NaN;
}

/** The issue's targets, as ratios measured in this run (information, not assertions). */
function targetsCheck(groups: ReportGroup[]): string[] {
  const out: string[] = ['Targets of issue 7 (Redis store, paired ratios):'];
  for (const g of groups) {
    if (g.store !== 'redis' || (g.scenario !== 'token' && g.scenario !== 'protected')) continue;
    const vsFastestPeer = oursVsFastestPeer(g);
    const ceilingTarget = g.scenario === 'token' ? 'express-redis-set' : 'express-redis-get';
    const vsCeiling = g.rows.find((r) => r.target === ceilingTarget)?.oursRatio ?? NaN;
    const [peerGoal, ceilingGoal] = g.scenario === 'token' ? [1.4, 0.85] : [1.0, 0.95];
    const mark = (ok: boolean) => (ok ? 'met' : 'NOT met');
    const cache = g.rows.find((r) => r.target === 'ours-cache')?.oursRatio;
    const json = g.rows.find((r) => r.target === 'express-json')?.oursRatio;
    if (cache !== undefined && json !== undefined) {
      // (ours ÷ JSON) ÷ (ours ÷ cache) = cache ÷ JSON, both paired with ours in the same rounds.
      const cacheVsJson = json / cache;
      out.push(`  ${g.scenario} with the token cache: ÷ express-json = ${cacheVsJson.toFixed(2)} (goal ≥ 0.9: ${mark(cacheVsJson >= 0.9)})`);
    }
    const chosen = g.rows.find((r) => r.target === 'ours-chosen-secret');
    if (chosen !== undefined) {
      // (ours ÷ peer) ÷ (ours ÷ chosen) = chosen ÷ peer, each paired with ours in the same rounds.
      const chosenVsPeer = vsFastestPeer / chosen.oursRatio;
      const chosenVsCeiling = vsCeiling / chosen.oursRatio;
      out.push(
        `  token with a person-chosen secret: ÷ fastest peer = ${chosenVsPeer.toFixed(2)} (goal ≥ 1.4: ${mark(chosenVsPeer >= 1.4)}); ` +
          `÷ ${ceilingTarget} = ${chosenVsCeiling.toFixed(2)} (goal ≥ 0.85: ${mark(chosenVsCeiling >= 0.85)}); ` +
          `non-2xx ${chosen.unexpected} (goal 0: ${mark(chosen.unexpected === 0)})`,
      );
    }
    out.push(
      `  ${g.scenario}: ours ÷ fastest peer = ${vsFastestPeer.toFixed(2)} (goal ≥ ${peerGoal}: ${mark(vsFastestPeer >= peerGoal)}); ` +
        `ours ÷ ${ceilingTarget} = ${vsCeiling.toFixed(2)} (goal ≥ ${ceilingGoal}: ${mark(vsCeiling >= ceilingGoal)})`,
    );
  }
  return out.length > 1 ? out : [];
}

/**
 * Issue 17's rows, Redis store: the example-app as `npm start` runs it against the ceilings and
 * the peers; the person-chosen secret; the user flows against the fastest peer; RSS after the
 * run. Ratios paired by round, CPU per response beside each (information, not assertions).
 */
function issue17Targets(groups: ReportGroup[]): string[] {
  const out: string[] = [];
  for (const g of groups.filter((group) => group.store === 'redis')) {
    const row = (target: string) => g.rows.find((r) => r.target === target);
    const peers = g.rows.filter((r) => r.kind === 'peer');
    const cpu = (r: ReportRow) => `${r.cpuPerRequest.toFixed(0)} µs`;
    /** `mine` ÷ the peer it does worst against, with that peer's name. */
    const vsFastestPeer = (mine: ReportRow) => {
      const ratios = peers.map((peer) => ({ peer, ratio: pairedRatio(mine.rounds, peer.rounds) })).sort((a, b) => a.ratio - b.ratio);
      return ratios[0];
    };
    const compare = (mine: ReportRow, goals: [string, number][], peerGoal: number) => {
      const parts = goals.flatMap(([target, goal]) => {
        const other = row(target);
        return other === undefined ? [] : [`÷ ${other.label} (${cpu(other)}) = ${mark(pairedRatio(mine.rounds, other.rounds), goal)}`];
      });
      const fastest = vsFastestPeer(mine);
      if (fastest !== undefined) parts.push(`÷ fastest peer, ${fastest.peer.label} (${cpu(fastest.peer)}) = ${mark(fastest.ratio, peerGoal)}`);
      return parts;
    };
    const rss = (mine: ReportRow) => {
      const oauth2orize = row('oauth2orize');
      return oauth2orize === undefined ? [] : [`RSS ${mine.rssMB.toFixed(0)} MB vs oauth2orize ${oauth2orize.rssMB.toFixed(0)} MB = ${(mine.rssMB / oauth2orize.rssMB).toFixed(2)} (goal ≤ 1.0: ${mine.rssMB <= oauth2orize.rssMB ? 'met' : 'NOT met'})`];
    };
    const app = row('example-app');
    if (g.scenario === 'protected' && app !== undefined) {
      out.push(`  protected, example-app (${cpu(app)}): ${[...compare(app, [['express-redis-get', 0.95]], 1.0), ...rss(app)].join('; ')}; non-2xx ${app.unexpected}`);
    }
    if (g.scenario === 'token') {
      for (const mine of [app, row('ours-chosen-secret')]) {
        if (mine === undefined) continue;
        const oauth2orize: [string, number][] = [['oauth2orize', 1.4], ['express-redis-set', 0.85]];
        const parts = [...compare(mine, oauth2orize, 1.4), ...(mine === app ? rss(mine) : [])];
        out.push(`  token, ${mine.label} (${cpu(mine)}): ${parts.join('; ')}; non-2xx ${mine.unexpected} (goal 0: ${mine.unexpected === 0 ? 'met' : 'NOT met'})`);
      }
    }
    const ours = row('ours');
    if (isUserFlow(g.scenario) && ours !== undefined) {
      const redisCommands = `${ours.redisCommandsPerRequest.toFixed(1)} Redis commands per response`;
      out.push(`  ${g.scenario}, ours (${cpu(ours)}, ${redisCommands}): ${compare(ours, [], 1.4).join('; ')}`);
    }
  }
  return out.length === 0 ? [] : ['Targets of issue 17 (Redis store, paired ratios):', ...out];
}

interface NotMeasured {
  group: string;
  target: string;
  label: string;
  reason: string;
}

/**
 * Tries once each case that asks for it (issue 14's rows: they depend on the newest parts of the package),
 * leaves out those that fail, and says why. First finds out whether ours signs JWT access tokens:
 * express-oauth2-jwt-bearer and resourceServer() check ours' tokens if so, the jose issuer's otherwise.
 */
async function runPreflights(groups: { scenario: Scenario; cases: Case[] }[], redisUrl: string, secret: Secret, admin: Redis): Promise<NotMeasured[]> {
  const checked = groups.flatMap((g) => g.cases.filter((c) => c.preflight === true));
  if (checked.length === 0) return [];
  const checksIssuedJwts = (c: Case) => c.target === 'jwt-bearer' || c.target === 'resource-server';
  if (checked.some(checksIssuedJwts)) {
    const jwtToken = scenarios.find((s) => s.name === 'jwt-token') as Scenario;
    const probe: Case = { id: 'probe/ours-jwt', group: 'probe', scenario: jwtToken, store: 'memory', target: 'ours-jwt', label: 'ours', kind: 'ours', workers: 1 };
    const oursCannotSign = await preflight(probe, redisUrl, secret);
    jwtIssuer = oursCannotSign === undefined ? 'ours' : 'jose';
    for (const c of checked.filter(checksIssuedJwts)) {
      const how = c.target === 'jwt-bearer' ? `verifies every request${c.dpop === true ? ' and proof, no replay check of proofs' : ''}` : 'verified tokens cached';
      c.note = jwtIssuer === 'ours' ? `${how}; ours' tokens, ours in its process` : `${how}; issuer: jose (ours did not sign in the preflight), in its process`;
    }
    console.log(`preflight: the JWT resource servers check tokens of the ${jwtIssuer === 'ours' ? 'package' : `jose issuer (ours: ${oursCannotSign})`}`);
  }
  const out: NotMeasured[] = [];
  for (const c of checked) {
    await admin.flushall();
    const reason = await preflight(c, redisUrl, secret);
    if (reason === undefined) continue;
    // The first sentence is enough for the table (an option error goes on to list every option).
    out.push({ group: c.group, target: c.target, label: c.label, reason: reason.length > 160 ? `${reason.slice(0, 160)}…` : reason });
    console.log(`preflight: ${c.id} NOT MEASURED: ${reason}`);
  }
  for (const g of groups) g.cases = g.cases.filter((c) => !out.some((n) => n.group === c.group && n.target === c.target));
  return out;
}

/** A ratio beside its goal, and whether this run met it. */
const mark = (value: number, goal: number) => `${value.toFixed(2)} (goal ≥ ${goal}: ${value >= goal ? 'met' : 'NOT met'})`;

/** The table's reference row (ours) ÷ that row, paired by round; undefined when either was not measured. */
function ratioTo(g: ReportGroup, target: string): number | undefined {
  const ratio = g.rows.find((r) => r.target === target)?.oursRatio;
  return ratio === undefined || Number.isNaN(ratio) ? undefined : ratio;
}

/** Issue 14's speed goals, as paired ratios of this run (information, not assertions). */
function issue14Targets(groups: ReportGroup[]): string[] {
  const out: string[] = [];
  for (const g of groups) {
    const vs = (target: string) => ratioTo(g, target);
    const at = `${g.scenario}/${g.store}`;
    if (g.scenario === 'jwt-token') {
      const peer = vs('oidc-provider-jwt');
      const ceiling = vs('express-jose-sign');
      if (peer !== undefined) out.push(`  ${at}: ours ÷ oidc-provider (same algorithm) = ${mark(peer, 1.4)}`);
      if (ceiling !== undefined) out.push(`  ${at}: ours ÷ Express + jose sign = ${ceiling.toFixed(2)}`);
    }
    if (g.scenario === 'jwt-protected') {
      // The goal is for requireToken with its caches warm: the token cache with Redis, the memory store itself otherwise.
      // (ours ÷ X) ÷ (ours ÷ cache) = cache ÷ X, both paired with ours in the same rounds.
      const cache = g.store === 'redis' ? vs('ours-jwt-cache') : 1;
      const who = g.store === 'redis' ? 'ours with the token cache' : 'ours';
      const [json, bearer, remote] = [vs('express-json'), vs('jwt-bearer'), vs('resource-server')];
      if (cache !== undefined && json !== undefined) out.push(`  ${at}: ${who} ÷ Express returning JSON = ${mark(json / cache, 0.9)}`);
      if (cache !== undefined && bearer !== undefined) out.push(`  ${at}: ${who} ÷ express-oauth2-jwt-bearer = ${mark(bearer / cache, 1.5)}`);
      if (remote !== undefined && bearer !== undefined) out.push(`  ${at}: resourceServer() (JWKS) ÷ express-oauth2-jwt-bearer = ${(bearer / remote).toFixed(2)}; ÷ ours in-process = ${(1 / remote).toFixed(2)}`);
    }
    if (g.scenario === 'protected') {
      const remote = vs('resource-server-introspection');
      if (remote !== undefined) {
        const cache = vs('ours-cache');
        out.push(
          `  ${at}: resourceServer() (introspection, cached) ÷ requireToken in-process = ${mark(1 / remote, 0.9)}` +
            (cache === undefined ? '' : `; ÷ requireToken with the token cache = ${(cache / remote).toFixed(2)}`),
        );
      }
    }
  }
  return out.length === 0 ? [] : ['Targets of issue 14 (paired ratios):', ...out];
}

/** Issue 16's speed goals, as paired ratios of this run (information, not assertions). */
function issue16Targets(groups: ReportGroup[]): string[] {
  const out: string[] = [];
  for (const g of groups) {
    // ours-dpop ÷ that row.
    const vs = (target: string) => ratioTo(g, target);
    const at = `${g.scenario}/${g.store}`;
    if (g.scenario === 'dpop-token') {
      const [peer, ceiling] = [vs('oidc-provider-dpop'), vs('express-jose-sign')];
      if (peer !== undefined) out.push(`  ${at}: ours ÷ oidc-provider with DPoP (same algorithms) = ${mark(peer, 1.4)}`);
      if (ceiling !== undefined) out.push(`  ${at}: ours ÷ Express + jose verify/sign = ${ceiling.toFixed(2)}`);
    }
    if (g.scenario === 'dpop-protected') {
      // (ours-dpop ÷ X) ÷ (ours-dpop ÷ Y) = Y ÷ X, both paired with ours-dpop in the same rounds.
      const ratio = (mine: number | undefined, theirs: number | undefined) => (mine === undefined || theirs === undefined ? undefined : theirs / mine);
      const pairs: [string, number | undefined][] = [['ours', ratio(1, vs('ours-jwt'))]];
      if (g.store === 'redis') pairs.push(['ours with the token cache', ratio(vs('ours-dpop-cache'), vs('ours-jwt-cache'))]);
      for (const [who, value] of pairs) if (value !== undefined) out.push(`  ${at}: ${who}, DPoP ÷ Bearer on the same route = ${mark(value, 0.8)}`);
      // The least a DPoP route does (one proof verified, its jti saved) sets how near 0.8 any server can come on this machine.
      const ceiling = vs('express-jose-sign');
      const bearer = g.store === 'redis' ? vs('ours-jwt-cache') : vs('ours-jwt');
      if (ceiling !== undefined) out.push(`  ${at}: ours ÷ Express + jose proof verify = ${ceiling.toFixed(2)}`);
      const bound = ratio(ceiling, bearer);
      if (bound !== undefined) out.push(`  ${at}: Express + jose proof verify ÷ ours with Bearer${g.store === 'redis' ? ' and the token cache' : ''} = ${bound.toFixed(2)} (what a route that only checks the proof reaches)`);
      // The goal against the peer is for requireToken with its caches warm: the token cache with Redis, the memory store itself otherwise.
      const [cache, who] = g.store === 'redis' ? [vs('ours-dpop-cache'), 'ours with the token cache'] : [1, 'ours'];
      const peer = ratio(cache, vs('jwt-bearer'));
      if (peer !== undefined) out.push(`  ${at}: ${who}, DPoP ÷ express-oauth2-jwt-bearer with DPoP = ${mark(peer, 1.5)}`);
    }
  }
  return out.length === 0 ? [] : ['Targets of issue 16 (paired ratios):', ...out];
}

/** Issue 15's speed goal for private_key_jwt, as a paired ratio of this run (information, not an assertion). */
function issue15Targets(groups: ReportGroup[]): string[] {
  const out: string[] = [];
  for (const g of groups) {
    if (g.scenario !== 'pkjwt-token') continue;
    const peer = ratioTo(g, 'oidc-provider-pkjwt');
    const ours = g.rows.find((r) => r.target === 'ours-pkjwt');
    if (peer !== undefined) out.push(`  ${g.scenario}/${g.store}: ours ÷ oidc-provider (${CLIENT_ASSERTION_ALGORITHM} assertions) = ${mark(peer, 1.4)}`);
    if (ours !== undefined) out.push(`  ${g.scenario}/${g.store}: ours non-2xx = ${ours.unexpected} (goal 0: ${ours.unexpected === 0 ? 'met' : 'NOT met'})`);
  }
  return out.length === 0 ? [] : ['Targets of issue 15 (paired ratios):', ...out];
}

/**
 * CPU per response of signing and of verifying, from the tables' medians: the JWT token endpoint
 * against the opaque one (the price of the signature and of the longer answer), and the JWT
 * route's servers against bare Express.
 */
function signAndVerifyCpu(groups: ReportGroup[]): string[] {
  const cpu = (scenario: ScenarioName, store: string, target: string) => groups.find((g) => g.scenario === scenario && g.store === store)?.rows.find((r) => r.target === target)?.cpuPerRequest;
  const out: string[] = [];
  for (const store of ['redis', 'memory']) {
    const [jwt, opaque, jose] = [cpu('jwt-token', store, 'ours-jwt'), cpu('token', store, 'ours'), cpu('jwt-token', store, 'express-jose-sign')];
    if (jwt !== undefined) {
      out.push(
        `  sign, ${store}: ours ${jwt.toFixed(0)} µs per JWT token response` +
          (opaque === undefined ? '' : ` (opaque: ${opaque.toFixed(0)} µs, so ${(jwt - opaque).toFixed(0)} µs for the JWT)`) +
          (jose === undefined ? '' : `; Express + jose sign: ${jose.toFixed(0)} µs`),
      );
    }
    const rows = groups.find((g) => g.scenario === 'jwt-protected' && g.store === store)?.rows ?? [];
    if (rows.length > 0) out.push(`  verify, ${store}: ${rows.map((r) => `${r.label} ${r.cpuPerRequest.toFixed(0)} µs`).join('; ')}`);
  }
  return out.length === 0 ? [] : ['CPU per response with JWT access tokens (medians of the tables above):', ...out];
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
