// Run: node bench/jwt-signing.mjs [tokens per algorithm, default 2000]. Not part of `npm run bench`.
// Sign and verify time per RFC 9068 access token, with keys imported as lib/keys imports them
// (generateKeyPair extractable → exportJWK → importJWK, not extractable).
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const { SignJWT, jwtVerify, generateKeyPair, exportJWK, importJWK } = await import(require.resolve('jose'));

const N = Number(process.argv[2] ?? 2000);
const payload = { iss: 'https://as.example/oauth', aud: 'https://api.example/api', sub: 'alice', client_id: 'app', scope: 'read write', jti: 'x'.repeat(60) };
for (const alg of ['ES256', 'EdDSA', 'RS256', 'PS256']) {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(privateKey);
  const { d, p, q, dp, dq, qi, ...pub } = jwk;
  const [priv, publ] = [await importJWK(jwk, alg), await importJWK(pub, alg)];
  const sign = () => new SignJWT(payload).setProtectedHeader({ alg, kid: 'k', typ: 'at+jwt' }).setIssuedAt().setExpirationTime('1h').sign(priv);
  for (let i = 0; i < 200; i++) await jwtVerify(await sign(), publ); // warm-up
  let t = process.hrtime.bigint();
  const tokens = [];
  for (let i = 0; i < N; i++) tokens.push(await sign());
  const signUs = Number(process.hrtime.bigint() - t) / 1000 / N;
  t = process.hrtime.bigint();
  for (const token of tokens) await jwtVerify(token, publ);
  const verifyUs = Number(process.hrtime.bigint() - t) / 1000 / N;
  t = process.hrtime.bigint();
  await Promise.all(Array.from({ length: N }, sign));
  const concurrentUs = Number(process.hrtime.bigint() - t) / 1000 / N;
  console.log(`${alg.padEnd(6)} sign ${signUs.toFixed(1).padStart(7)} µs  verify ${verifyUs.toFixed(1).padStart(7)} µs  sign (${N} at once) ${concurrentUs.toFixed(1).padStart(7)} µs/token  token ${tokens[0].length} chars`);
}
