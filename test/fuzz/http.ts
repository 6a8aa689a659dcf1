import { request } from 'node:http';
import { connect } from 'node:net';

/** A request as bytes on the wire, so that the fuzzer controls what a normal client would not send. */
export interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[]>;
  body?: Buffer;
  /** Announce more body than is sent, then hang up mid-body. */
  truncate?: boolean;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** False for responses Node's HTTP parser wrote itself (malformed requests never reach Express). */
  fromApp: boolean;
}

/** Sends one request on its own connection; `undefined` when the connection ended without a response. */
export function send(port: number, raw: RawRequest): Promise<RawResponse | undefined> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | string[]> = { ...raw.headers, Connection: 'close' };
    if (raw.body !== undefined && headers['Content-Length'] === undefined && headers['Transfer-Encoding'] === undefined) {
      headers['Content-Length'] = String(raw.body.length + (raw.truncate ? 64 : 0));
    }
    const req = request({ host: '127.0.0.1', port, method: raw.method, path: raw.path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', () => resolve(undefined));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: Buffer.concat(chunks).toString('utf8'),
          fromApp: res.headers['x-powered-by'] === 'Express',
        }),
      );
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      // A server that hangs up on a broken request is fine; a refused connection means it died.
      if (error.code === 'ECONNREFUSED') reject(error);
      else resolve(undefined);
    });
    if (raw.body !== undefined) req.write(raw.body);
    if (raw.truncate) setTimeout(() => req.destroy(), 10);
    else req.end();
  });
}

/** Writes bytes no HTTP client library would send; resolves with the status line of the answer ('' if none). */
export function sendBytes(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => resolve(received.split('\r\n')[0]));
  });
}
