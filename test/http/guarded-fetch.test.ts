import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { guardedFetch, GuardedFetchError, type Resolver } from '../../lib/http/guarded-fetch';
import { addressKind } from '../../lib/http/address-policy';
import { eventually } from '../helpers/eventually';
import { listenLocal, type LocalServer } from '../helpers/local-server';
import { makeTestCertificates } from '../helpers/test-certificates';

let server: LocalServer;
let handle: (req: IncomingMessage, res: ServerResponse) => void;
let requests: { method?: string; url?: string; headers: IncomingMessage['headers']; body: string }[];
beforeEach(async () => {
  requests = [];
  handle = (_req, res) => res.end('{"ok":true}');
  server = await listenLocal((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      requests.push({ method: req.method, url: req.url, headers: req.headers, body });
      handle(req, res);
    });
  });
});
afterEach(() => server.close());

const resolverTo = (...addresses: string[]): Resolver & { calls: string[] } => {
  const calls: string[] = [];
  return Object.assign(
    async (hostname: string) => {
      calls.push(hostname);
      return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    },
    { calls },
  );
};

async function failure(promise: Promise<unknown>): Promise<GuardedFetchError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(GuardedFetchError);
  return error as GuardedFetchError;
}

describe('what may be fetched', () => {
  test('a JSON object from a loopback http server, with allowHttpLoopback, asked for as JSON', async () => {
    const fetcher = guardedFetch({ allowHttpLoopback: true });
    expect(await fetcher.getJson(`${server.origin}/doc`)).toEqual({ ok: true });
    expect(requests[0]).toMatchObject({ method: 'GET', url: '/doc', headers: { accept: 'application/json' } });
  });

  test('http without allowHttpLoopback: insecure_url, and no connection', async () => {
    const error = await failure(guardedFetch().getJson(`${server.origin}/doc`));
    expect(error.code).toBe('insecure_url');
    expect(server.connections()).toBe(0);
  });

  test.each(['ftp://example.com/x', 'file:///etc/passwd', 'http://example.com/x'])('%s: insecure_url even with allowHttpLoopback', async (url) => {
    expect((await failure(guardedFetch({ allowHttpLoopback: true }).getJson(url))).code).toBe('insecure_url');
  });

  test.each(['not a url', 'https://user:secret@example.com/x'])('%j: invalid_url', async (url) => {
    const error = await failure(guardedFetch().getJson(url));
    expect(error.code).toBe('invalid_url');
    expect(error.message).not.toContain('secret');
  });

  test.each([
    '127.0.0.1', '127.1.2.3', '10.0.0.1', '172.16.5.4', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255',
    '::1', '::', 'fc00::1', 'fd12:3456::1', 'fe80::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '::ffff:a9fe:a9fe',
    '64:ff9b::a00:1', '64:ff9b::127.0.0.1', '2002:c0a8:101::1', '2001:db8::1',
  ])('a host name resolving to %s is refused before any connection', async (address) => {
    const resolver = resolverTo(address);
    const error = await failure(guardedFetch({ resolver }).getJson(`https://as.example.test:${server.port}/doc`));
    expect(error.code).toBe('blocked_address');
    expect(resolver.calls).toEqual(['as.example.test']);
    expect(server.connections()).toBe(0);
  });

  test('one refused address among public ones refuses the host (a name must not point both ways)', async () => {
    const resolver = resolverTo('93.184.216.34', '127.0.0.1');
    expect((await failure(guardedFetch({ resolver }).getJson(`https://as.example.test:${server.port}/doc`))).code).toBe('blocked_address');
    expect(server.connections()).toBe(0);
  });

  test.each(['https://127.0.0.1/x', 'https://[::1]/x', 'https://169.254.169.254/latest', 'https://[::ffff:127.0.0.1]/x', 'https://[fe80::1]/x', 'https://0x7f000001/x'])(
    'an address literal %s is checked as it is, with no lookup',
    async (url) => {
      const resolver = resolverTo('93.184.216.34');
      expect((await failure(guardedFetch({ resolver }).getJson(url))).code).toBe('blocked_address');
      expect(resolver.calls).toEqual([]);
    },
  );

  test('allowHttpLoopback allows loopback, not private addresses', async () => {
    const resolver = resolverTo('10.0.0.1');
    expect((await failure(guardedFetch({ allowHttpLoopback: true, resolver }).getJson('https://as.example.test/doc'))).code).toBe('blocked_address');
  });

  test('an http URL must reach loopback only, even under a loopback name', async () => {
    const resolver = resolverTo('93.184.216.34');
    expect((await failure(guardedFetch({ allowHttpLoopback: true, resolver }).getJson(`http://localhost:${server.port}/doc`))).code).toBe('insecure_url');
    expect(server.connections()).toBe(0);
  });

  test('the connection goes to the address that was checked, with no second resolution', async () => {
    // `pinned.example.test` exists in no DNS: the connection can only reach the server through the checked address.
    const resolver = resolverTo('127.0.0.1');
    const error = await failure(guardedFetch({ allowHttpLoopback: true, resolver }).getJson(`https://pinned.example.test:${server.port}/doc`));
    // The test server speaks http, not TLS: the handshake fails, after connecting to 127.0.0.1.
    expect(error.code).toBe('connect');
    expect(resolver.calls).toEqual(['pinned.example.test']);
    expect(server.connections()).toBe(1);
  });

  test.each([
    ['ENOTFOUND', 'unknown_host'],
    ['ENODATA', 'unknown_host'],
    ['EAI_AGAIN', 'dns'],
    ['ECONNREFUSED', 'dns'],
  ])('a name lookup failing with %s: %s (a name that does not exist is the URL\'s problem; anything else may pass)', async (errno, code) => {
    const resolver: Resolver = () => Promise.reject(Object.assign(new Error(`getaddrinfo ${errno}`), { code: errno }));
    expect((await failure(guardedFetch({ resolver }).getJson('https://nowhere.example.test/x'))).code).toBe(code);
  });

  test('a name with no address: unknown_host', async () => {
    expect((await failure(guardedFetch({ resolver: resolverTo() }).getJson('https://nowhere.example.test/x'))).code).toBe('unknown_host');
  });
});

describe('what is accepted back', () => {
  const fetcher = () => guardedFetch({ allowHttpLoopback: true, timeoutMs: 300, maxBodyBytes: 1024 });

  test('a redirect is not followed', async () => {
    handle = (_req, res) => res.writeHead(302, { Location: `${server.origin}/elsewhere` }).end();
    const error = await failure(fetcher().getJson(`${server.origin}/doc`));
    expect(error).toMatchObject({ code: 'redirect', status: 302 });
    expect(requests.map((request) => request.url)).toEqual(['/doc']);
  });

  test('another status: bad_status, and the body is never in the error', async () => {
    handle = (_req, res) => res.writeHead(500).end('internal detail: db password hunter2');
    const error = await failure(fetcher().getJson(`${server.origin}/doc`));
    expect(error).toMatchObject({ code: 'bad_status', status: 500 });
    expect(error.message).not.toContain('hunter2');
  });

  test.each(['not json hunter2', '[1,2]', '"text"', 'null'])('%j: bad_json, without the body in the error', async (body) => {
    handle = (_req, res) => res.end(body);
    const error = await failure(fetcher().getJson(`${server.origin}/doc`));
    expect(error.code).toBe('bad_json');
    expect(error.message).not.toContain('hunter2');
  });

  test('a server that never answers: timeout', async () => {
    handle = () => {};
    expect((await failure(fetcher().getJson(`${server.origin}/doc`))).code).toBe('timeout');
  });

  test('a server that starts a body and never ends it: timeout', async () => {
    handle = (_req, res) => res.write('{"ok":');
    expect((await failure(fetcher().getJson(`${server.origin}/doc`))).code).toBe('timeout');
  });

  test('a body announced over the limit: too_large, before reading it', async () => {
    handle = (_req, res) => res.writeHead(200, { 'Content-Length': 4096 }).end('x'.repeat(4096));
    expect((await failure(fetcher().getJson(`${server.origin}/doc`))).code).toBe('too_large');
  });

  test('an endless chunked body: too_large once the limit is passed, and the connection is dropped', async () => {
    let closed = false;
    handle = (_req, res) => {
      res.on('close', () => (closed = true));
      const timer = setInterval(() => res.write('x'.repeat(512)), 1);
      res.on('close', () => clearInterval(timer));
    };
    expect((await failure(guardedFetch({ allowHttpLoopback: true, maxBodyBytes: 1024 }).getJson(`${server.origin}/doc`))).code).toBe('too_large');
    await eventually('the server to see the connection dropped', async () => closed);
  });
});

describe('one request in flight per URL', () => {
  test('callers asking together share one request; a later caller makes a new one', async () => {
    let release = () => {};
    handle = (_req, res) => (release = () => res.end('{"n":1}'));
    const fetcher = guardedFetch({ allowHttpLoopback: true });
    const together = Array.from({ length: 20 }, () => fetcher.getJson(`${server.origin}/doc`));
    while (requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    release();
    expect(await Promise.all(together)).toEqual(Array(20).fill({ n: 1 }));
    expect(requests).toHaveLength(1);
    handle = (_req, res) => res.end('{"n":2}');
    expect(await fetcher.getJson(`${server.origin}/doc`)).toEqual({ n: 2 });
    expect(requests).toHaveLength(2);
  });

  test('a failure is shared too, and not remembered', async () => {
    handle = (_req, res) => res.writeHead(503).end();
    const fetcher = guardedFetch({ allowHttpLoopback: true });
    const errors = await Promise.all([1, 2, 3].map(() => failure(fetcher.getJson(`${server.origin}/doc`))));
    expect(errors.map((error) => error.code)).toEqual(['bad_status', 'bad_status', 'bad_status']);
    expect(requests).toHaveLength(1);
    handle = (_req, res) => res.end('{}');
    expect(await fetcher.getJson(`${server.origin}/doc`)).toEqual({});
  });
});

describe('getJsonDocument: the JSON with the caching header, for a caller that keeps its own cache', () => {
  test('gives the Cache-Control header when there is one, and none when there is none', async () => {
    const fetcher = guardedFetch({ allowHttpLoopback: true });
    handle = (_req, res) => res.writeHead(200, { 'Cache-Control': 'public, max-age=600' }).end('{"a":1}');
    expect(await fetcher.getJsonDocument(`${server.origin}/doc`)).toEqual({ json: { a: 1 }, cacheControl: 'public, max-age=600' });
    handle = (_req, res) => res.end('{"a":2}');
    expect(await fetcher.getJsonDocument(`${server.origin}/doc`)).toEqual({ json: { a: 2 } });
  });

  test('shares the request in flight with getJson for the same URL', async () => {
    let release = () => {};
    handle = (_req, res) => (release = () => res.end('{"n":1}'));
    const fetcher = guardedFetch({ allowHttpLoopback: true });
    const together = Promise.all([fetcher.getJsonDocument(`${server.origin}/doc`), fetcher.getJson(`${server.origin}/doc`)]);
    while (requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    release();
    expect(await together).toEqual([{ json: { n: 1 } }, { n: 1 }]);
    expect(requests).toHaveLength(1);
  });
});

test('postForm sends a form with the given headers, one request per call', async () => {
  const fetcher = guardedFetch({ allowHttpLoopback: true });
  await Promise.all([1, 2].map(() => fetcher.postForm(`${server.origin}/introspect`, { form: { token: 'a b&c' }, headers: { Authorization: 'Basic eDp5' } })));
  expect(requests).toHaveLength(2);
  expect(requests[0]).toMatchObject({
    method: 'POST',
    body: 'token=a+b%26c',
    headers: { authorization: 'Basic eDp5', 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
  });
});

test.each([
  ['8.8.8.8', 'public'],
  ['2606:4700::1111', 'public'],
  ['64:ff9b::808:808', 'public'],
  ['2002:808:808::1', 'public'],
  ['127.0.0.1', 'loopback'],
  ['::ffff:127.0.0.1', 'loopback'],
  ['::1', 'loopback'],
  ['fe80::1%eth0', 'blocked'],
  ['not-an-address', 'blocked'],
])('addressKind(%s) is %s', (address, kind) => {
  expect(addressKind(address)).toBe(kind);
});

describe('https to a checked address', () => {
  let dir: string;
  let tls: { ca: Buffer; cert: Buffer; key: Buffer };
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'guarded-fetch-'));
    const files = await makeTestCertificates(dir, 'as.example.test');
    tls = { ca: readFileSync(files.caFile), cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function httpsServer(): Promise<{ port: number; close(): Promise<void> }> {
    const secure = https.createServer({ cert: tls.cert, key: tls.key }, (_req, res) => res.end('{"secure":true}'));
    await new Promise<void>((resolve) => secure.listen(0, '127.0.0.1', resolve));
    return { port: (secure.address() as AddressInfo).port, close: () => new Promise((resolve) => secure.close(() => resolve())) };
  }

  test('the certificate is checked against the URL\'s host name, not the address connected to', async () => {
    const secure = await httpsServer();
    try {
      const fetcher = guardedFetch({ allowHttpLoopback: true, ca: tls.ca, resolver: resolverTo('127.0.0.1') });
      expect(await fetcher.getJson(`https://as.example.test:${secure.port}/doc`)).toEqual({ secure: true });
      const otherName = guardedFetch({ allowHttpLoopback: true, ca: tls.ca, resolver: resolverTo('127.0.0.1') });
      expect((await failure(otherName.getJson(`https://other.example.test:${secure.port}/doc`))).code).toBe('connect');
      const untrusted = guardedFetch({ allowHttpLoopback: true, resolver: resolverTo('127.0.0.1') });
      expect((await failure(untrusted.getJson(`https://as.example.test:${secure.port}/doc`))).code).toBe('connect');
    } finally {
      await secure.close();
    }
  });
});
