import bodyParser from 'body-parser';
import { parse as parseUrlEncoded } from 'node:querystring';
import type { Request, RequestHandler, Response } from 'express';
import { InvalidRequestError, OAuthError, PayloadTooLargeError } from '../errors';

export type FormParams = Readonly<Record<string, string | undefined>>;

export interface FormLimits {
  /** Largest accepted body, in bytes. */
  maxBodySize: number;
  /** Most parameters accepted in one body. */
  maxParameters: number;
  /** Longest accepted parameter value, in characters, in a body or a query. */
  maxParameterLength: number;
}

/** Form parameters as they arrived: a repeated parameter has an array of values. */
export type RawParams = Readonly<Record<string, unknown>>;

/**
 * A request with a parameter value over `maxParameterLength`. It names the over-long
 * parameters and keeps the others, so that the authorization endpoint can still send the
 * error to a valid client's redirect URI (RFC 6749 §4.1.2.1).
 */
export class ParameterTooLongError extends InvalidRequestError {
  constructor(
    maxLength: number,
    readonly tooLong: readonly string[],
    readonly withinLimit: RawParams,
    description = `A parameter value is longer than ${maxLength} characters.`,
  ) {
    super(description);
  }
}

/** No legitimate OAuth value comes near the limit; a longer one is refused before any of it is used. */
function checkLengths(params: RawParams, maxLength: number): RawParams {
  const isLong = (value: unknown) =>
    typeof value === 'string' ? value.length > maxLength : Array.isArray(value) && value.some((item) => typeof item === 'string' && item.length > maxLength);
  const tooLong: string[] = [];
  for (const name in params) if (isLong(params[name])) tooLong.push(name);
  if (tooLong.length === 0) return params;
  const withinLimit = Object.fromEntries(Object.entries(params).filter(([name]) => !tooLong.includes(name)));
  throw new ParameterTooLongError(maxLength, tooLong, withinLimit);
}

/**
 * Reads an application/x-www-form-urlencoded body (the only type RFC 6749 §3.2, §4.1.3 and
 * RFC 7009/7662 define for these endpoints) as an object with no prototype. The common case, an
 * unread and uncompressed UTF-8 form (RFC 6749 Appendix B), is read here directly. Anything
 * else goes through body-parser: another charset, a Content-Encoding, or a body the host app
 * already parsed (body-parser skips a body that was read, and the parsed value is then checked
 * in the same way).
 */
export function rawFormReader(limits: FormLimits): (req: Request, res: Response) => Promise<RawParams> {
  const readWithBodyParser = bodyParserReader(limits);
  const checked = (params: RawParams) => checkLengths(params, limits.maxParameterLength);
  return (req, res) => (isPlainFormBody(req) ? readPlainForm(req, limits) : readWithBodyParser(req, res)).then(checked);
}

const FORM_TYPE = 'application/x-www-form-urlencoded';
const PLAIN_FORM_TYPE = /^application\/x-www-form-urlencoded\s*(?:;\s*charset="?utf-8"?\s*)?$/i;

/**
 * A form body that needs none of body-parser's general machinery (content negotiation,
 * decompression, charsets): read directly (bench/README.md, "Hot paths").
 */
function isPlainFormBody(req: Request): boolean {
  const { headers } = req;
  const type = headers['content-type'];
  return (
    type !== undefined &&
    (type === FORM_TYPE || PLAIN_FORM_TYPE.test(type)) &&
    headers['content-encoding'] === undefined &&
    // A request with a body says so (RFC 9112 §6.3); one without goes to body-parser's path, which refuses it.
    (headers['content-length'] !== undefined || headers['transfer-encoding'] !== undefined) &&
    req.body === undefined &&
    !req.readableEnded
  );
}

function readPlainForm(req: Request, limits: FormLimits): Promise<RawParams> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => RawParams) => {
      if (settled) return;
      settled = true;
      try {
        resolve(outcome());
      } catch (error) {
        // The rest of the body is discarded, so that the connection can carry the answer.
        req.resume();
        reject(error);
      }
    };
    const tooLarge = (): never => {
      throw new PayloadTooLargeError('The request body is too large.');
    };
    if (Number(req.headers['content-length']) > limits.maxBodySize) return settle(tooLarge);

    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limits.maxBodySize) settle(tooLarge);
      else chunks.push(chunk);
    });
    req.on('end', () =>
      settle(() => {
        const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
        return parseFormBody(body.toString('utf8'), limits.maxParameters);
      }),
    );
    // A request closed before its end was aborted: nothing more will come, and nobody is left to
    // answer. (Node emits 'error' on an aborted request only to a listener of its own.)
    req.on('close', () =>
      settle(() => {
        throw new InvalidRequestError('The request body could not be read.');
      }),
    );
  });
}

/** Form parameters, counted as body-parser counts them (every `&`-separated part). */
function parseFormBody(text: string, maxParameters: number): RawParams {
  if (text.length === 0) return Object.create(null) as RawParams;
  let count = 1;
  for (let at = text.indexOf('&'); at !== -1; at = text.indexOf('&', at + 1)) {
    if (++count > maxParameters) throw new PayloadTooLargeError('The request has too many parameters.');
  }
  return parseUrlEncoded(text, '&', '=', { maxKeys: 0 });
}

function bodyParserReader(limits: FormLimits): (req: Request, res: Response) => Promise<RawParams> {
  const parse: RequestHandler = bodyParser.urlencoded({
    extended: false,
    limit: limits.maxBodySize,
    parameterLimit: limits.maxParameters,
  });
  return (req, res) =>
    new Promise<RawParams>((resolve, reject) => {
      if (!req.is(FORM_TYPE)) {
        return reject(new InvalidRequestError('The request body must be application/x-www-form-urlencoded.'));
      }
      parse(req, res, (error?: unknown) => {
        if (error !== undefined) return reject(bodyError(error));
        const body: unknown = req.body ?? {};
        if (typeof body !== 'object' || body === null) {
          return reject(new InvalidRequestError('The request body could not be read as form parameters.'));
        }
        resolve(body as RawParams);
      });
    });
}

/** Reads a form body whose parameters must each come once (RFC 6749 §3.1, §3.2). */
export function formParamsReader(limits: FormLimits, knownNames: ReadonlySet<string>): (req: Request, res: Response) => Promise<FormParams> {
  const read = rawFormReader(limits);
  return (req, res) => read(req, res).then((params) => singleValuedParams(params, knownNames));
}

/** Where a form read by `repeatableFormReader` keeps every parameter as it arrived. */
export const AS_RECEIVED = Symbol('parameters as received');
export type FormParamsWithRepeats = FormParams & { readonly [AS_RECEIVED]: RawParams };

/**
 * As `formParamsReader`, but the `repeatable` parameters may come more than once (RFC 8707 §2.1
 * `resource`): the single-valued parameters, with every parameter as it arrived under `AS_RECEIVED`.
 */
export function repeatableFormReader(
  limits: FormLimits,
  knownNames: ReadonlySet<string>,
  repeatable: ReadonlySet<string>,
): (req: Request, res: Response) => Promise<FormParamsWithRepeats> {
  const read = rawFormReader(limits);
  return async (req, res) => {
    const received = await read(req, res);
    return Object.assign(singleValuedParams(received, knownNames, repeatable), { [AS_RECEIVED]: received });
  };
}

/** Reads the query parameters of a request from the URL itself, whatever query parser the app uses. */
export function queryReader(limits: Pick<FormLimits, 'maxParameterLength'>): (req: Request) => RawParams {
  return (req) => {
    const at = req.originalUrl.indexOf('?');
    const params = at === -1 ? (Object.create(null) as RawParams) : parseUrlEncoded(req.originalUrl.slice(at + 1), '&', '=', { maxKeys: 0 });
    return checkLengths(params, limits.maxParameterLength);
  };
}

/**
 * RFC 6749 §3.1, §3.2: "Request and response parameters MUST NOT be included more than once."
 * A `repeatable` parameter that came more than once is left out, for its reader to take as received.
 */
function singleValuedParams(body: RawParams, knownNames: ReadonlySet<string>, repeatable?: ReadonlySet<string>): FormParams {
  const params: Record<string, string> = Object.create(null);
  for (const [name, value] of Object.entries(body)) {
    // RFC 6749 §3.1: "Parameters sent without a value MUST be treated as if they were omitted".
    if (value === '') continue;
    if (typeof value !== 'string') {
      if (repeatable?.has(name) && Array.isArray(value)) continue;
      // Only names this endpoint knows are echoed: an unknown name could be a misplaced secret.
      const which = knownNames.has(name) ? `The parameter ${name}` : 'A parameter';
      throw new InvalidRequestError(`${which} is repeated or is not a single value.`);
    }
    params[name] = value;
  }
  return params;
}

/** Maps body-parser failures to `invalid_request` with the status they deserve. */
export function bodyError(error: unknown): OAuthError {
  const type = (error as { type?: unknown }).type;
  const cause = { cause: error };
  if (type === 'entity.too.large') return new PayloadTooLargeError('The request body is too large.', cause);
  if (type === 'parameters.too.many') return new PayloadTooLargeError('The request has too many parameters.', cause);
  if (type === 'charset.unsupported') return new InvalidRequestError('The request body charset is not supported.', cause);
  return new InvalidRequestError('The request body could not be read.', cause);
}
