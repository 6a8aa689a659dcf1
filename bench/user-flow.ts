/**
 * The runner's side of the authorization code and refresh scenarios: the bench user's browser
 * (a cookie jar that follows redirects and answers a consent form with Allow) and the OAuth
 * client (PKCE S256, code exchange, refresh). With them the runner checks a server, mints the
 * codes and refresh tokens a run needs before it starts, and hands them to autocannon.
 */
import autocannon from 'autocannon';
import { AUTHORIZE_PATH, CLIENT_ID, REDIRECT_URI, SCOPE, TOKEN_PATH, pkcePair } from './common';

/** Requests in flight while minting: enough to keep a server busy without queueing much. */
const MINT_CONCURRENCY = 32;
/** Redirects and forms one authorization may take (oidc-provider's first one: authorize, interaction, resume). */
const MAX_HOPS = 8;

export interface TokenAnswer {
  status: number;
  body: { access_token?: unknown; refresh_token?: unknown; error?: unknown };
}

export interface UserFlowClient {
  /** The body of a token request that redeems a fresh code, got through the authorization endpoint. */
  codeExchange(): Promise<string>;
  /** `count` such bodies, minted concurrently. */
  codeExchanges(count: number): Promise<string[]>;
  /** `count` refresh tokens, each from a code exchange of its own. */
  refreshTokens(count: number): Promise<string[]>;
  token(body: string): Promise<TokenAnswer>;
}

function authorizePath(challenge: string, state: string): string {
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    scope: SCOPE,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  return `${AUTHORIZE_PATH}?${query}`;
}

/** autocannon gives response headers with the case the server sent them in. */
function locationOf(headers: autocannon.Request['headers']): string {
  const name = Object.keys(headers ?? {}).find((key) => key.toLowerCase() === 'location');
  return name === undefined ? '' : String(headers?.[name]);
}

function exchangeBody(code: string, verifier: string): string {
  return new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier }).toString();
}

function refreshBody(refreshToken: string): string {
  return `grant_type=refresh_token&refresh_token=${encodeURIComponent(refreshToken)}`;
}

export function userFlowClient(port: number, basic: string): UserFlowClient {
  const origin = `http://127.0.0.1:${port}`;
  const browser = browserSession();

  async function codeExchange(): Promise<string> {
    const { verifier, challenge } = pkcePair();
    const code = await browser.authorize(`${origin}${authorizePath(challenge, 'bench')}`);
    return exchangeBody(code, verifier);
  }

  async function token(body: string): Promise<TokenAnswer> {
    const response = await fetch(`${origin}${TOKEN_PATH}`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    return { status: response.status, body: (await response.json().catch(() => ({}))) as TokenAnswer['body'] };
  }

  /**
   * The first authorization through the browser (it may sign in and consent), the rest by
   * autocannon with the browser's cookies: each request has its own PKCE pair, and its state
   * names it, so that the code in the redirect finds its verifier.
   */
  async function codeExchanges(count: number): Promise<string[]> {
    const bodies = [await codeExchange()];
    if (count === 1) return bodies;
    const verifiers: string[] = [];
    let failed = 0;
    await autocannon({
      url: origin,
      headers: { cookie: browser.cookieHeader() },
      connections: Math.min(MINT_CONCURRENCY, count - 1),
      amount: count - 1,
      // autocannon ends at its next sample tick (every second by default).
      sampleInt: 100,
      requests: [
        {
          setupRequest(request) {
            const { verifier, challenge } = pkcePair();
            return { ...request, path: authorizePath(challenge, String(verifiers.push(verifier) - 1)) };
          },
          onResponse(_status, _body, _context, headers) {
            const redirect = new URL(locationOf(headers), origin);
            const [code, state] = ['code', 'state'].map((name) => redirect.searchParams.get(name));
            if (code === null || state === null) failed++;
            else bodies.push(exchangeBody(code, verifiers[Number(state)]));
          },
        },
      ],
    });
    if (failed > 0 || bodies.length < count) throw new Error(`minting codes: ${count - bodies.length} of ${count} authorizations gave no code`);
    return bodies;
  }

  async function refreshTokens(count: number): Promise<string[]> {
    const tokens: string[] = [];
    const bodies = await codeExchanges(count);
    await inParallel(count, async (i) => void tokens.push(refreshTokenOf(await token(bodies[i]))));
    return tokens;
  }

  return { codeExchange, codeExchanges, refreshTokens, token };
}

/** The refresh token of a successful answer; anything else means a misconfigured server. */
function refreshTokenOf(answer: TokenAnswer): string {
  const { access_token: accessToken, refresh_token: refreshToken } = answer.body;
  if (answer.status !== 200 || typeof accessToken !== 'string' || typeof refreshToken !== 'string') {
    throw new Error(`token request answered ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  return refreshToken;
}

/** Refuses a 2xx, or an answer without an OAuth error: `what` had to be refused. */
function expectRefused(answer: TokenAnswer, what: string): void {
  if (answer.status < 400 || answer.status >= 500 || typeof answer.body.error !== 'string') {
    throw new Error(`${what} answered ${answer.status} ${JSON.stringify(answer.body)}, not a 4xx OAuth error`);
  }
}

/** One code redeemed by hand gives an access and a refresh token; the same code again is refused. */
export async function checkCodeExchange(client: UserFlowClient): Promise<void> {
  const body = await client.codeExchange();
  refreshTokenOf(await client.token(body));
  expectRefused(await client.token(body), 'a replayed code');
}

/** A refresh token gives a new pair with a different refresh token, and is refused after that. */
export async function checkRefreshRotation(client: UserFlowClient): Promise<void> {
  const [first] = await client.refreshTokens(1);
  const next = refreshTokenOf(await client.token(refreshBody(first)));
  if (next === first) throw new Error('the refresh token was not rotated');
  expectRefused(await client.token(refreshBody(first)), 'a rotated refresh token');
}

/** Runs `task(0 … count-1)`, MINT_CONCURRENCY at a time. */
async function inParallel(count: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(MINT_CONCURRENCY, count) }, worker));
}

/** A signed-in user's browser: cookies kept, redirects followed by hand, a consent form answered with Allow. */
function browserSession() {
  const cookies = new Map<string, string>();
  const cookieHeader = () => [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');

  async function visit(url: URL, form?: URLSearchParams): Promise<Response> {
    const headers: Record<string, string> = { cookie: cookieHeader() };
    if (form !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(url, { method: form === undefined ? 'GET' : 'POST', headers, body: form, redirect: 'manual' });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const at = pair.indexOf('=');
      cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
    return response;
  }

  /** Follows the authorization until it redirects to the client, and returns the code it carries. */
  async function authorize(start: string): Promise<string> {
    let url = new URL(start);
    let response = await visit(url);
    for (let hop = 0; hop < MAX_HOPS; hop++) {
      const location = response.headers.get('location');
      if (location !== null) {
        url = new URL(location, url);
        if (url.href.startsWith(REDIRECT_URI)) return codeOf(url);
        response = await visit(url);
        continue;
      }
      const consent = response.status === 200 ? consentForm(await response.text(), url) : undefined;
      if (consent === undefined) throw new Error(`authorization answered ${response.status} at ${url.pathname}`);
      response = await visit(consent.action, consent.fields);
    }
    throw new Error(`authorization took more than ${MAX_HOPS} steps`);
  }

  return { authorize, cookieHeader };
}

function codeOf(redirect: URL): string {
  const code = redirect.searchParams.get('code');
  if (code === null) throw new Error(`authorization redirected without a code: ${redirect.search}`);
  return code;
}

/** A consent page's form (ours: hidden transaction_id and csrf_token), answered with decision=allow. */
function consentForm(html: string, page: URL): { action: URL; fields: URLSearchParams } | undefined {
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
  if (action === undefined) return undefined;
  const fields = new URLSearchParams({ decision: 'allow' });
  for (const [, name, value] of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields.set(name, value);
  return { action: new URL(action.replace(/&amp;/g, '&'), page), fields };
}

/** Each request redeems the next code; the run is bounded to the number of codes. */
export function codeRequests(bodies: string[]): autocannon.Request[] {
  let next = 0;
  return [{ setupRequest: (request) => ({ ...request, body: bodies[next++] }) }];
}

/**
 * Each connection keeps one refresh token chain in its autocannon context: it takes one of
 * `heads`, then always sends the refresh token the previous answer returned. autocannon resets
 * a connection's context when it starts its list of requests over, so the list holds as many
 * requests as one connection may make.
 */
export function refreshRequests(heads: string[], perConnection: number): autocannon.Request[] {
  const request: autocannon.Request = {
    setupRequest(req, context) {
      const chain = context as { refreshToken?: string };
      chain.refreshToken ??= heads.pop();
      return { ...req, body: refreshBody(chain.refreshToken ?? 'no-chain-left') };
    },
    onResponse(status, body, context) {
      if (status === 200) (context as { refreshToken?: string }).refreshToken = (JSON.parse(body) as { refresh_token: string }).refresh_token;
    },
  };
  return Array.from({ length: perConnection }, () => request);
}
