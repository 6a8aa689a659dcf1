import type { ServerResponse } from 'node:http';
import { listenLocal, type LocalServer } from './local-server';

/** How the document server answers one path. */
export interface DocumentAnswer {
  status?: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string as it is. */
  body?: unknown;
  /** Never answers (the fetch must time out); the connection is closed when the server is. */
  hang?: boolean;
}

export interface DocumentServer extends LocalServer {
  /** Sets what `path` answers. */
  serve(path: string, answer: DocumentAnswer): void;
  /** The requests each path received so far. */
  requests(path: string): number;
}

/** A loopback server of client metadata documents whose answers the test sets per path. */
export async function startDocumentServer(): Promise<DocumentServer> {
  const answers = new Map<string, DocumentAnswer>();
  const counts = new Map<string, number>();
  const send = (res: ServerResponse, { status = 200, headers = {}, body }: DocumentAnswer) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body ?? {});
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(text);
  };
  const server = await listenLocal((req, res) => {
    const path = (req.url ?? '/').split('?')[0] as string;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    const answer = answers.get(path);
    if (answer === undefined) return send(res, { status: 404, body: { error: 'not found' } });
    if (answer.hang === true) return;
    send(res, answer);
  });
  return {
    ...server,
    serve: (path, answer) => answers.set(path, answer),
    requests: (path) => counts.get(path) ?? 0,
  };
}
