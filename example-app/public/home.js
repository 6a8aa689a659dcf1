'use strict';
// The home page's demo client: the authorization code flow with PKCE as a single-page app runs it
// (RFC 6749 §4.1, RFC 7636), with the verifier and state kept in sessionStorage.
(() => {
  const section = /** @type {HTMLElement} */ (document.getElementById('pkce-demo'));
  const button = /** @type {HTMLButtonElement} */ (document.getElementById('pkce-start'));
  const status = /** @type {HTMLElement} */ (document.getElementById('pkce-status'));
  const settings = /** @type {Record<'clientId' | 'redirectUri' | 'scope' | 'issuer' | 'authorizationEndpoint' | 'tokenEndpoint' | 'api', string>} */ (
    /** @type {unknown} */ (section.dataset)
  );
  const STORAGE_KEY = 'example-app-demo-flow';
  const redirectUri = new URL(settings.redirectUri);

  // sessionStorage belongs to one origin: the flow must start where the callback lands.
  if (location.origin !== redirectUri.origin) {
    button.disabled = true;
    status.append('The demo client comes back to ');
    const link = document.createElement('a');
    link.href = `${redirectUri.origin}/`;
    link.textContent = `${redirectUri.origin}/`;
    status.append(link, ': open this page there to run it.');
    return;
  }
  button.addEventListener('click', () => start().catch(showFailure));
  if (location.pathname === redirectUri.pathname) finish().catch(showFailure);

  async function start() {
    const verifier = randomBase64url(32); // RFC 7636 §4.1: 43 characters
    const state = randomBase64url(16);
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ verifier, state }));
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
    const url = new URL(settings.authorizationEndpoint);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: settings.clientId,
      redirect_uri: settings.redirectUri,
      scope: settings.scope,
      state,
      code_challenge: base64url(new Uint8Array(digest)), // RFC 7636 §4.2 S256
      code_challenge_method: 'S256',
    }).toString();
    location.assign(url);
  }

  async function finish() {
    const params = new URLSearchParams(location.search);
    const saved = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null');
    sessionStorage.removeItem(STORAGE_KEY);
    // The code leaves the address bar and the history.
    history.replaceState(null, '', '/');
    // RFC 6749 §10.12: a response this page did not ask for is ignored.
    if (saved === null || params.get('state') !== saved.state) return show('This response does not answer a request of this page (state does not match): ignored.');
    // RFC 9207 §2.4: the response must come from this issuer.
    if (params.get('iss') !== settings.issuer) return show('The response names another issuer: ignored.');
    const error = params.get('error');
    if (error !== null) return show(`The authorization server answered ${error}${params.has('error_description') ? `: ${params.get('error_description')}` : ''}.`);

    show('Exchanging the code for tokens…');
    const tokenResponse = await fetch(settings.tokenEndpoint, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: params.get('code') ?? '',
        redirect_uri: settings.redirectUri,
        client_id: settings.clientId,
        code_verifier: saved.verifier,
      }),
    });
    const tokens = await tokenResponse.json();
    showJson('token-response', tokenResponse, tokens);
    if (!tokenResponse.ok) return show('The token endpoint refused the code.');

    const hello = await fetch(settings.api, { headers: { Authorization: `Bearer ${tokens.access_token}` } });
    showJson('hello-response', hello, await hello.json());
    show(hello.ok ? 'Signed in: here are the tokens and what the API says about them.' : 'The API refused the access token.');
  }

  /** @param {string} message */
  function show(message) {
    status.textContent = message;
  }

  /** @param {unknown} failure */
  function showFailure(failure) {
    show(`The demo failed: ${failure instanceof Error ? failure.message : String(failure)}`);
  }

  /**
   * @param {string} id
   * @param {Response} response
   * @param {unknown} body
   */
  function showJson(id, response, body) {
    /** @type {HTMLElement} */ (document.getElementById('pkce-result')).hidden = false;
    /** @type {HTMLElement} */ (document.getElementById(id)).textContent = `HTTP ${response.status}\n${JSON.stringify(body, null, 2)}`;
  }

  /** @param {number} bytes */
  function randomBase64url(bytes) {
    return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
  }

  /** @param {Uint8Array} bytes */
  function base64url(bytes) {
    return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
})();
