import { lookup as dnsLookup } from 'node:dns/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { sharedInFlight } from '../in-flight';
import { addressKind, isHttpsOrLoopback } from './address-policy';

/**
 * The one fetch for every URL that a document or a client names (an issuer's metadata, its
 * `jwks_uri` and `introspection_endpoint`): such a URL is chosen by someone else, so it must not
 * reach this host's own services or private network, hang, or flood memory.
 *
 * - https only; http only to a loopback host, and only with `allowHttpLoopback` (development);
 * - the host name is resolved here, every address is checked (no private, loopback, link-local,
 *   unique-local, CGNAT, multicast or unspecified address, nor an IPv6 form of one), and the
 *   connection goes to a checked address: nothing resolves the name a second time;
 * - no redirects, a total time limit, a body size limit counted while reading;
 * - one error class with a stable `code`, whose message never holds the response body.
 */
export type GuardedFetchErrorCode =
  | 'invalid_url'
  | 'insecure_url'
  | 'dns'
  | 'unknown_host'
  | 'blocked_address'
  | 'connect'
  | 'timeout'
  | 'redirect'
  | 'bad_status'
  | 'too_large'
  | 'bad_json';

export class GuardedFetchError extends Error {
  override name = 'GuardedFetchError';
  constructor(
    readonly code: GuardedFetchErrorCode,
    /** The URL asked for, without its query (which may carry anything). */
    readonly url: string,
    problem: string,
    /** The HTTP status, for `bad_status` and `redirect`. */
    readonly status?: number,
  ) {
    super(`Fetching ${url} failed (${code}): ${problem}`);
  }
}

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Every address of a host name (node:dns `lookup` with `all: true` by default; tests inject their own). */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export interface GuardedFetchOptions {
  /** Development only: http URLs to loopback hosts, and loopback addresses, are allowed (default false). */
  allowHttpLoopback?: boolean;
  /** The whole exchange, from resolving the name to the last byte (default 5000 ms). */
  timeoutMs?: number;
  /** Largest accepted response body, in bytes (default 256 KB). */
  maxBodyBytes?: number;
  resolver?: Resolver;
  /** The certificate authorities trusted for https, instead of Node's (tests, a private PKI). */
  ca?: string | Buffer;
}

export interface PostForm {
  form: Readonly<Record<string, string>>;
  headers?: Readonly<Record<string, string>>;
}

/** A JSON object fetched, with what the server said about caching it. */
export interface FetchedJson {
  json: Record<string, unknown>;
  /** The response's `Cache-Control` header (RFC 9111 §5.2), when it had one. */
  cacheControl?: string;
}

export interface GuardedFetch {
  /** GET a JSON object. Callers asking for the same URL while a request is in flight share its answer. */
  getJson(url: string | URL): Promise<Record<string, unknown>>;
  /** `getJson`, with the response's caching headers, for a caller that keeps its own cache. Shares requests as `getJson` does. */
  getJsonDocument(url: string | URL): Promise<FetchedJson>;
  /** POST a form (RFC 7662 introspection), answered with a JSON object. Never shared: callers share by their own key. */
  postForm(url: string | URL, request: PostForm): Promise<Record<string, unknown>>;
}

export const DEFAULT_FETCH_TIMEOUT_MS = 5000;
export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;
const ACCEPT = 'application/json';

const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true });

export function guardedFetch(options: GuardedFetchOptions = {}): GuardedFetch {
  const settings: Settings = {
    allowLoopback: options.allowHttpLoopback ?? false,
    timeoutMs: options.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    resolver: options.resolver ?? systemResolver,
    ca: options.ca,
  };
  const shared = sharedInFlight<string, FetchedJson>();
  const getJsonDocument = async (url: string | URL): Promise<FetchedJson> => {
    const target = checkedUrl(url, settings.allowLoopback);
    return shared(target.href, () => fetchJsonObject(target, { method: 'GET', headers: { Accept: ACCEPT } }, settings));
  };
  return {
    getJsonDocument,
    getJson: async (url) => (await getJsonDocument(url)).json,
    async postForm(url, { form, headers = {} }) {
      const body = new URLSearchParams(form).toString();
      const requestHeaders = { ...headers, Accept: ACCEPT, 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(Buffer.byteLength(body)) };
      return (await fetchJsonObject(checkedUrl(url, settings.allowLoopback), { method: 'POST', headers: requestHeaders, body }, settings)).json;
    },
  };
}

interface Settings {
  allowLoopback: boolean;
  timeoutMs: number;
  maxBodyBytes: number;
  resolver: Resolver;
  ca: string | Buffer | undefined;
}

interface Exchange {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
}

/** Whether a URL may be fetched at all, before any name is resolved. */
export function checkedUrl(url: string | URL, allowLoopback: boolean): URL {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new GuardedFetchError('invalid_url', String(url).slice(0, 200), 'not an absolute URL');
  }
  const shown = shownUrl(target);
  if (target.username !== '' || target.password !== '') throw new GuardedFetchError('invalid_url', shown, 'credentials in the URL');
  if (target.protocol === 'https:') return target;
  if (allowLoopback && isHttpsOrLoopback(target)) return target;
  throw new GuardedFetchError('insecure_url', shown, allowLoopback ? 'only https, or http to a loopback host' : 'only https');
}

function shownUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

async function fetchJsonObject(url: URL, exchange: Exchange, settings: Settings): Promise<FetchedJson> {
  const shown = shownUrl(url);
  const { body, cacheControl } = await withDeadline(shown, settings.timeoutMs, async (signal) => {
    const addresses = await checkedAddresses(url, settings, shown);
    return exchangeBytes(url, addresses, exchange, settings, signal, shown);
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new GuardedFetchError('bad_json', shown, 'the response is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new GuardedFetchError('bad_json', shown, 'the response is not a JSON object');
  return { json: parsed as Record<string, unknown>, ...(cacheControl !== undefined && { cacheControl }) };
}

/** Runs `work` with a signal that aborts after `timeoutMs`; a timeout anywhere in it (the name lookup too) is `timeout`. */
async function withDeadline<T>(shown: string, timeoutMs: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new GuardedFetchError('timeout', shown, `no complete answer within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([work(controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

/** Every address of the URL's host, each one checked; any refused address refuses the URL (a name must not point both ways). */
function isNoSuchHost(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOTFOUND' || code === 'ENODATA';
}

async function checkedAddresses(url: URL, settings: Settings, shown: string): Promise<readonly ResolvedAddress[]> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const family = isIP(host);
  let addresses: readonly ResolvedAddress[];
  if (family !== 0) {
    addresses = [{ address: host, family }];
  } else {
    try {
      addresses = await settings.resolver(host);
    } catch (error) {
      // A name that does not exist is the URL's own problem; any other failure may pass (EAI_AGAIN, a resolver down).
      if (isNoSuchHost(error)) throw new GuardedFetchError('unknown_host', shown, 'the host name does not exist');
      throw new GuardedFetchError('dns', shown, 'the host name could not be resolved');
    }
    if (addresses.length === 0) throw new GuardedFetchError('unknown_host', shown, 'the host name has no address');
  }
  for (const { address } of addresses) {
    const kind = addressKind(address);
    if (kind === 'blocked' || (kind === 'loopback' && !settings.allowLoopback)) {
      throw new GuardedFetchError('blocked_address', shown, `the host resolves to ${address}, which is not a public address`);
    }
  }
  // An http URL (allowed for loopback names only) must also reach loopback only.
  if (url.protocol === 'http:' && addresses.some(({ address }) => addressKind(address) !== 'loopback')) {
    throw new GuardedFetchError('insecure_url', shown, 'http is allowed only to loopback addresses');
  }
  return addresses;
}

/** A `lookup` that answers with the addresses already checked: the connection cannot go anywhere else. */
function pinnedLookup(addresses: readonly ResolvedAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all === true) return (callback as unknown as (error: null, all: readonly ResolvedAddress[]) => void)(null, addresses);
    const first = addresses[0] as ResolvedAddress;
    callback(null, first.address, first.family);
  };
}

function exchangeBytes(url: URL, addresses: readonly ResolvedAddress[], exchange: Exchange, settings: Settings, signal: AbortSignal, shown: string): Promise<{ body: Buffer; cacheControl?: string }> {
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.request(
      url,
      // The host name stays the URL's: TLS checks the certificate against it (SNI and RFC 9110 §4.3.4).
      { method: exchange.method, headers: exchange.headers, lookup: pinnedLookup(addresses), signal, agent: false, ...(settings.ca !== undefined && { ca: settings.ca }) },
      (response) => {
        const cacheControl = response.headers['cache-control'];
        readBody(response, settings.maxBodyBytes, shown).then((body) => resolve({ body, ...(cacheControl !== undefined && { cacheControl }) }), reject);
      },
    );
    request.on('error', (error: NodeJS.ErrnoException) => {
      // The deadline's rejection is the answer when the signal aborted the request.
      if (!signal.aborted) reject(new GuardedFetchError('connect', shown, `the request failed (${error.code ?? error.name})`));
    });
    request.end(exchange.body);
  });
}

function readBody(response: IncomingMessage, maxBytes: number, shown: string): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const refuse = (error: GuardedFetchError) => {
      reject(error);
      response.destroy();
    };
    const status = response.statusCode ?? 0;
    // Redirects are not followed: the next URL would be unchecked by whoever named the first.
    if (status >= 300 && status < 400) return refuse(new GuardedFetchError('redirect', shown, `answered ${status}, and redirects are not followed`, status));
    if (status < 200 || status >= 300) return refuse(new GuardedFetchError('bad_status', shown, `answered ${status}`, status));
    if (Number(response.headers['content-length']) > maxBytes) return refuse(new GuardedFetchError('too_large', shown, `the body is over ${maxBytes} bytes`));

    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) refuse(new GuardedFetchError('too_large', shown, `the body is over ${maxBytes} bytes`));
      else chunks.push(chunk);
    });
    response.on('end', () => resolve(Buffer.concat(chunks, size)));
    response.on('error', () => reject(new GuardedFetchError('connect', shown, 'the response was cut off')));
    response.on('aborted', () => reject(new GuardedFetchError('connect', shown, 'the response was cut off')));
  });
}
