import { generateKeyPair, jwtVerify, SignJWT, type CryptoKey } from 'jose';
import { CLIENT_ID, JWT_RESOURCE, SCOPE, randomToken } from './common';

/** What one JWS algorithm costs jose, alone, for an RFC 9068 access token like the servers'. */
export interface JwtAlgorithmCost {
  alg: string;
  /** CPU time (user + system) per signature, in µs. */
  signMicros: number;
  /** CPU time per verification (signature and claims), in µs. */
  verifyMicros: number;
  tokenBytes: number;
}

/** RFC 9068 §4 asks for RS256; the others are the asymmetric algorithms the package may choose as its default. */
export const JWT_ALGORITHMS = ['ES256', 'EdDSA', 'RS256', 'PS256'];
const ISSUER = 'http://127.0.0.1/oauth';

/**
 * Signs and verifies tokens one after another in this process for `seconds` each, counting the
 * CPU time per operation: the price of the algorithm, without HTTP, Express or a store. Run in
 * the runner before any server starts, so that nothing else of the bench shares its time.
 */
export async function measureJwtAlgorithms(seconds = 0.3, algorithms = JWT_ALGORITHMS): Promise<JwtAlgorithmCost[]> {
  const costs: JwtAlgorithmCost[] = [];
  for (const alg of algorithms) {
    const { privateKey, publicKey } = await generateKeyPair(alg);
    const sign = () => signAccessToken(alg, privateKey);
    const token = await sign();
    const verify = () => jwtVerify(token, publicKey, { issuer: ISSUER, audience: JWT_RESOURCE, typ: 'at+jwt', algorithms: [alg] });
    costs.push({ alg, signMicros: await cpuPerOperation(sign, seconds), verifyMicros: await cpuPerOperation(verify, seconds), tokenBytes: token.length });
  }
  return costs;
}

function signAccessToken(alg: string, key: CryptoKey): Promise<string> {
  return new SignJWT({ client_id: CLIENT_ID, scope: SCOPE })
    .setProtectedHeader({ alg, kid: 'bench', typ: 'at+jwt' })
    .setIssuer(ISSUER)
    .setAudience(JWT_RESOURCE)
    .setSubject(CLIENT_ID)
    .setIssuedAt()
    .setExpirationTime('1h')
    .setJti(randomToken())
    .sign(key);
}

/** CPU µs per call of `operation`, called in sequence for `seconds` after a short warm-up. */
async function cpuPerOperation(operation: () => Promise<unknown>, seconds: number): Promise<number> {
  for (let i = 0; i < 50; i++) await operation();
  const cpuBefore = process.cpuUsage();
  const end = performance.now() + seconds * 1000;
  let count = 0;
  while (performance.now() < end) {
    await operation();
    count++;
  }
  const cpu = process.cpuUsage(cpuBefore);
  return (cpu.user + cpu.system) / count;
}

export function renderJwtAlgorithms(costs: readonly JwtAlgorithmCost[]): string[] {
  if (costs.length === 0) return [];
  return [
    'JWS algorithms alone (jose in the runner process, one call at a time; CPU µs per operation):',
    `  ${'alg'.padEnd(8)} ${'sign'.padStart(7)} ${'verify'.padStart(7)} ${'token bytes'.padStart(12)}`,
    ...costs.map((c) => `  ${c.alg.padEnd(8)} ${c.signMicros.toFixed(0).padStart(7)} ${c.verifyMicros.toFixed(0).padStart(7)} ${String(c.tokenBytes).padStart(12)}`),
  ];
}
