import express from 'express';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { listenLocal, type LocalServer } from './local-server';

export interface FakeKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function fakeKey(kid: string, alg = 'ES256'): Promise<FakeKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/**
 * A tiny authorization server on 127.0.0.1 for resource-server tests: its RFC 8414 metadata at
 * the path-insertion URL, a JWKS, and an RFC 7662 endpoint answering from `introspection`. It
 * counts what it is asked; `failing` makes every route answer 500.
 */
export interface FakeIssuer {
  issuer: string;
  server: LocalServer;
  keys: FakeKey[];
  /** Changes to the metadata document it serves. */
  metadata: Record<string, unknown>;
  /** Answers of the introspection endpoint, by token; unknown tokens are inactive. */
  introspection: Map<string, Record<string, unknown>>;
  counts: { metadata: number; jwks: number; introspect: number };
  failing: boolean;
  /** The Basic credentials the introspection endpoint accepts. */
  credentials: { id: string; secret: string };
  sign(claims: JWTPayload, options?: { key?: FakeKey; header?: Record<string, unknown> }): Promise<string>;
  close(): Promise<void>;
}

export async function fakeIssuer(): Promise<FakeIssuer> {
  const app = express();
  const fake = {
    keys: [await fakeKey('k1')],
    metadata: {},
    introspection: new Map(),
    counts: { metadata: 0, jwks: 0, introspect: 0 },
    failing: false,
    credentials: { id: 'rs', secret: 'rs-secret' },
  } as unknown as FakeIssuer;
  const counted: Record<string, keyof FakeIssuer['counts']> = { '/.well-known/oauth-authorization-server/oauth': 'metadata', '/jwks': 'jwks', '/introspect': 'introspect' };
  app.use((req, res, next) => {
    const count = counted[req.path];
    if (count !== undefined) fake.counts[count]++;
    if (fake.failing) return void res.status(500).json({ error: 'server_error' });
    next();
  });
  app.get('/.well-known/oauth-authorization-server/oauth', (_req, res) => {
    res.json({ issuer: fake.issuer, jwks_uri: `${fake.server.origin}/jwks`, introspection_endpoint: `${fake.server.origin}/introspect`, ...fake.metadata });
  });
  app.get('/jwks', (_req, res) => {
    res.json({ keys: fake.keys.map((key) => key.publicJwk) });
  });
  app.post('/introspect', express.urlencoded({ extended: false }), (req, res) => {
    // RFC 6749 §2.3.1: the id and the secret are form-encoded before they are joined.
    const encode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);
    const expected = `Basic ${Buffer.from(`${encode(fake.credentials.id)}:${encode(fake.credentials.secret)}`).toString('base64')}`;
    if (req.headers.authorization !== expected) return void res.status(401).json({ error: 'invalid_client' });
    res.json(fake.introspection.get(req.body.token) ?? { active: false });
  });
  fake.server = await listenLocal(app);
  fake.issuer = `${fake.server.origin}/oauth`;
  fake.sign = (claims, { key = fake.keys[0] as FakeKey, header = {} } = {}) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'at+jwt', ...header }).sign(key.privateKey);
  fake.close = () => fake.server.close();
  return fake;
}
