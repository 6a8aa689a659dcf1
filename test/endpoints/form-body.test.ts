import { gzipSync } from 'node:zlib';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import express from 'express';
import request from 'supertest';
import { basic, testApp, expectOAuthErrorBody, type TestApp } from '../helpers/test-app';
import type { ClientAuthFailedEvent } from '../../lib/client-auth/authenticate';
import { OAuthServerOptionsError } from '../../lib/options';

/**
 * How the endpoints read a form body (RFC 6749 §3.2, Appendix B): a plain UTF-8 form is read
 * directly, anything else through body-parser; both must give the same parameters and limits.
 */
const failures: ClientAuthFailedEvent[] = [];
let subject: TestApp;
beforeAll(() => {
  subject = testApp({ limits: { maxBodySize: '1kb', maxParameters: 5 }, onClientAuthFailed: (event) => failures.push(event) });
});
afterAll(() => subject.oauth.close());
beforeEach(() => {
  failures.length = 0;
});

const CLIENT_CREDENTIALS = 'grant_type=client_credentials';
const post = (contentType: string, body: string | Buffer, headers: Record<string, string> = {}) =>
  request(subject.app).post('/oauth/token').set('Authorization', basic('svc', 'svc-secret')).set('Content-Type', contentType).set(headers).send(body);

describe('form bodies: what is read', () => {
  test.each([
    'application/x-www-form-urlencoded',
    'application/x-www-form-urlencoded; charset=utf-8',
    'Application/X-WWW-Form-Urlencoded;charset="UTF-8"',
    'application/x-www-form-urlencoded; charset=iso-8859-1',
  ])('%s is read', async (type) => {
    const res = await post(type, CLIENT_CREDENTIALS);
    expect(res.status).toBe(200);
  });

  test('a gzip-compressed body is read', async () => {
    const { port, close } = await listen();
    try {
      const { status } = await send(port, { 'Content-Encoding': 'gzip' }, [gzipSync(CLIENT_CREDENTIALS)]);
      expect(status).toBe(200);
    } finally {
      await close();
    }
  });

  test('other types, or a form type with a charset body-parser cannot read, are 400/415 invalid_request', async () => {
    for (const type of ['application/json', 'text/plain', 'application/x-www-form-urlencoded; charset=utf-16', 'application/x-www-form-urlencodedx']) {
      const res = await post(type, CLIENT_CREDENTIALS);
      expect(res.status).toBe(400);
      expectOAuthErrorBody(res.body, 'invalid_request');
    }
  });

  test('percent-encoded characters are decoded in the declared charset, and "+" is a space, whichever way the body is read', async () => {
    const body = (name: string) => `grant_type=client_credentials&client_id=${name}&client_secret=x`;
    const postWithoutBasic = (type: string, text: string) => request(subject.app).post('/oauth/token').set('Content-Type', type).send(text);
    await postWithoutBasic('application/x-www-form-urlencoded', body('zo%C3%AB+client'));
    await postWithoutBasic('application/x-www-form-urlencoded; charset=iso-8859-1', body('zo%EB+client'));
    expect(failures.map((event) => event.clientId)).toEqual(['zoë client', 'zoë client']);
  });

  test('a body sent in chunks, without Content-Length, is read', async () => {
    const { port, close } = await listen();
    try {
      const { status } = await send(port, {}, ['grant_type=client_', 'credentials']);
      expect(status).toBe(200);
    } finally {
      await close();
    }
  });
});

describe('form bodies: RFC 6749 parameter rules, whichever way the body is read', () => {
  const PATHS = ['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=iso-8859-1'];

  test.each(PATHS)('§3.2: a repeated parameter is invalid_request (%s)', async (type) => {
    const res = await post(type, `${CLIENT_CREDENTIALS}&scope=read&scope=write`);
    expect(res.status).toBe(400);
    expect(res.body.error_description).toBe('The parameter scope is repeated or is not a single value.');
  });

  test.each(PATHS)('§3.1: a parameter sent without a value is treated as omitted (%s)', async (type) => {
    const res = await post(type, `${CLIENT_CREDENTIALS}&scope=`);
    expect(res.status).toBe(200);
    // No scope asked for: the client's whole registered scope.
    expect(res.body.scope).toBe('read write');
  });
});

describe('form bodies: limits (options.limits)', () => {
  test('maxBodySize "1kb" is 1024 bytes: a body of 1024 is read, one of 1025 is 413', async () => {
    const padded = (size: number) => `${CLIENT_CREDENTIALS}&pad=${'a'.repeat(size - CLIENT_CREDENTIALS.length - 5)}`;
    expect((await post('application/x-www-form-urlencoded', padded(1024))).status).toBe(200);
    const res = await post('application/x-www-form-urlencoded', padded(1025));
    expect(res.status).toBe(413);
    expectOAuthErrorBody(res.body, 'invalid_request');
  });

  test('the size limit holds for a chunked body with no Content-Length, and for a compressed one once inflated', async () => {
    const { port, close } = await listen();
    try {
      const answer = await rawExchange(port, [
        'POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n',
        `800\r\n${'a'.repeat(0x800)}\r\n0\r\n\r\n`,
      ]);
      expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    } finally {
      await close();
    }
    const inflated = gzipSync(`${CLIENT_CREDENTIALS}&pad=${'a'.repeat(2000)}`);
    const { port: port2, close: close2 } = await listen();
    try {
      expect((await send(port2, { 'Content-Encoding': 'gzip' }, [inflated])).status).toBe(413);
    } finally {
      await close2();
    }
  });

  test('maxParameters: 5 parameters are read, 6 are 413, whichever way the body is read', async () => {
    const params = (count: number) => [CLIENT_CREDENTIALS, ...Array.from({ length: count - 1 }, (_, i) => `p${i}=1`)].join('&');
    for (const type of ['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=iso-8859-1']) {
      expect((await post(type, params(5))).status).toBe(200);
      const res = await post(type, params(6));
      expect(res.status).toBe(413);
      expect(res.body.error_description).toBe('The request has too many parameters.');
    }
  });

  test('maxBodySize is checked at start-up: a size that cannot be read is refused, naming the option', () => {
    for (const maxBodySize of ['lots', '16 parsecs', -1, 0, 1.5, '']) {
      expect(() => testApp({ limits: { maxBodySize } })).toThrow(OAuthServerOptionsError);
      expect(() => testApp({ limits: { maxBodySize } })).toThrow(/limits\.maxBodySize/);
    }
    expect(() => testApp({ limits: { maxBodySize: '2MB' } }).oauth.close()).not.toThrow();
  });
});

describe('form bodies: requests that end badly', () => {
  test('a client that disconnects in the middle of its body gets nothing, and the server keeps answering', async () => {
    const { port, close } = await listen();
    try {
      await new Promise<void>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.write('POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type=');
          setTimeout(() => socket.destroy(), 20);
        });
        socket.on('close', () => resolve());
      });
      expect((await post('application/x-www-form-urlencoded', CLIENT_CREDENTIALS)).status).toBe(200);
    } finally {
      await close();
    }
  });
});

describe('form bodies: the host app', () => {
  test('a route behind requireToken still finds the form body in req.body, as a plain object', async () => {
    const { app, oauth } = testApp({ bearerMethods: { body: true } });
    const seen: unknown[] = [];
    app.post('/api/form', oauth.requireToken('read'), (req: express.Request, res: express.Response) => {
      seen.push({ ...req.body }, Object.getPrototypeOf(req.body));
      res.end();
    });
    const issued = await request(app).post('/oauth/token').type('form').set('Authorization', basic('svc', 'svc-secret')).send('grant_type=client_credentials&scope=read');
    const res = await request(app).post('/api/form').type('form').send(`access_token=${issued.body.access_token}&note=hello&__proto__=x`);
    expect(res.status).toBe(200);
    // A plain object, as express.urlencoded() gives; "__proto__" is just a field of it.
    expect(seen).toEqual([{ access_token: issued.body.access_token, note: 'hello', ['__proto__']: 'x' }, Object.prototype]);
    await oauth.close();
  });
});

async function listen(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = subject.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A token request with client_secret_basic whose body is written in `parts`, a few ms apart (chunked). */
function send(port: number, headers: Record<string, string>, parts: (string | Buffer)[]): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { port, method: 'POST', path: '/oauth/token', headers: { Authorization: basic('svc', 'svc-secret'), 'Content-Type': 'application/x-www-form-urlencoded', ...headers } },
      (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0 });
      },
    );
    req.on('error', reject);
    const writeFrom = (index: number) => {
      if (index === parts.length - 1) return void req.end(parts[index]);
      req.write(parts[index]);
      setTimeout(() => writeFrom(index + 1), 10);
    };
    writeFrom(0);
  });
}

/** Sends raw HTTP/1.1 parts and returns what came back before the server answered or closed. */
function rawExchange(port: number, parts: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = connect(port, '127.0.0.1', () => {
      for (const part of parts) socket.write(part);
    });
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      if (answer.includes('\r\n\r\n')) socket.destroy();
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}
