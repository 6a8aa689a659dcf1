import bodyParser from 'body-parser';
import type { Request, RequestHandler, Response } from 'express';
import { InvalidRequestError, OAuthError } from '../errors';

export type FormParams = Readonly<Record<string, string | undefined>>;

export interface FormLimits {
  /** Largest accepted body (bytes, or a string such as "16kb"). */
  maxBodySize: number | string;
  /** Most parameters accepted in one body. */
  maxParameters: number;
  /** Longest accepted parameter value, in characters, in a body or a query. */
  maxParameterLength: number;
}

class PayloadTooLargeError extends InvalidRequestError {
  override readonly status = 413;
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
  ) {
    super(`A parameter value is longer than ${maxLength} characters.`);
  }
}

/** No legitimate OAuth value comes near the limit; a longer one is refused before any of it is used. */
function checkLengths(params: RawParams, maxLength: number): RawParams {
  const isLong = (value: unknown) => [value].flat().some((item) => typeof item === 'string' && item.length > maxLength);
  const tooLong = Object.keys(params).filter((name) => isLong(params[name]));
  if (tooLong.length === 0) return params;
  const withinLimit = Object.fromEntries(Object.entries(params).filter(([name]) => !tooLong.includes(name)));
  throw new ParameterTooLongError(maxLength, tooLong, withinLimit);
}

/**
 * Reads an application/x-www-form-urlencoded body (the only type RFC 6749 §3.2, §4.1.3 and
 * RFC 7009/7662 define for these endpoints). It works whether or not the host app already
 * parsed the body: body-parser skips a body that was read, and the parsed value is then
 * checked in the same way.
 */
export function rawFormReader(limits: FormLimits): (req: Request, res: Response) => Promise<RawParams> {
  const parse: RequestHandler = bodyParser.urlencoded({
    extended: false,
    limit: limits.maxBodySize,
    parameterLimit: limits.maxParameters,
  });

  const read = (req: Request, res: Response) =>
    new Promise<RawParams>((resolve, reject) => {
      if (!req.is('application/x-www-form-urlencoded')) {
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
  return async (req, res) => checkLengths(await read(req, res), limits.maxParameterLength);
}

/** Reads a form body whose parameters must each come once (RFC 6749 §3.1, §3.2). */
export function formParamsReader(limits: FormLimits, knownNames: ReadonlySet<string>): (req: Request, res: Response) => Promise<FormParams> {
  const read = rawFormReader(limits);
  return async (req, res) => singleValuedParams(await read(req, res), knownNames);
}

/** Reads the query parameters of a request from the URL itself, whatever query parser the app uses. */
export function queryReader(limits: Pick<FormLimits, 'maxParameterLength'>): (req: Request) => RawParams {
  return (req) => {
    const params: Record<string, string | string[]> = Object.create(null);
    const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '';
    for (const [name, value] of new URLSearchParams(query)) {
      const seen = params[name];
      params[name] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
    }
    return checkLengths(params, limits.maxParameterLength);
  };
}

/** RFC 6749 §3.1, §3.2: "Request and response parameters MUST NOT be included more than once." */
function singleValuedParams(body: RawParams, knownNames: ReadonlySet<string>): FormParams {
  const params: Record<string, string> = Object.create(null);
  for (const [name, value] of Object.entries(body)) {
    // RFC 6749 §3.1: "Parameters sent without a value MUST be treated as if they were omitted".
    if (value === '') continue;
    if (typeof value !== 'string') {
      // Only names this endpoint knows are echoed: an unknown name could be a misplaced secret.
      const which = knownNames.has(name) ? `The parameter ${name}` : 'A parameter';
      throw new InvalidRequestError(`${which} is repeated or is not a single value.`);
    }
    params[name] = value;
  }
  return params;
}

/** Maps body-parser failures to `invalid_request` with the status they deserve. */
function bodyError(error: unknown): OAuthError {
  const type = (error as { type?: unknown }).type;
  if (type === 'entity.too.large') return new PayloadTooLargeError('The request body is too large.');
  if (type === 'parameters.too.many') return new PayloadTooLargeError('The request has too many parameters.');
  if (type === 'charset.unsupported') return new InvalidRequestError('The request body charset is not supported.');
  return new InvalidRequestError('The request body could not be read.');
}
