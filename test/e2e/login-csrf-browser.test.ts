import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { launchBrowser, type Browser } from '../helpers/browser';
import { startExampleApp, type RunningExampleApp } from '../helpers/example-app';
import { loginForm } from '../helpers/example-login';

/*
 * Login CSRF as the adversarial review found it: a page on another port of the same host posts
 * the demo account's credentials to the example-app's /login in Debian's headless Chromium.
 * Cookies are not isolated by port (RFC 6265 §8.5), so the attacker's server even plants a CSRF
 * cookie of its own, with the token the app gave it, in the victim's browser: only the browser's
 * `Sec-Fetch-Site: same-site` and `Origin` tell this post from the app's own form.
 */

let exampleApp: RunningExampleApp;
let attacker: http.Server;
let browser: Browser;

beforeAll(async () => {
  exampleApp = await startExampleApp();
  // A valid pair of CSRF cookie and token, fetched by the attacker's server from the app.
  const page = await fetch(`${exampleApp.url}/login`);
  const { cookie, csrfToken } = loginForm(page.headers.getSetCookie(), await page.text());
  attacker = http.createServer((_req, res) => {
    res.setHeader('Set-Cookie', `${cookie}; Path=/login; HttpOnly; SameSite=Strict`);
    res.setHeader('Content-Type', 'text/html');
    res.end(`<!doctype html><form method="post" action="${exampleApp.url}/login">
<input name="username" value="demo"><input name="password" value="demo-password-change-me">
<input name="returnTo" value="%2F"><input name="csrf_token" value="${csrfToken}">
</form><script>document.forms[0].submit()</script>`);
  });
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => attacker?.close(resolve));
  await exampleApp?.stop();
});

test('a page on another port of this host, with a CSRF cookie and token of its own, cannot sign the browser in', async () => {
  const { page, context } = browser;
  const attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`;
  expect(new URL(attackerUrl).port).not.toBe(new URL(exampleApp.url).port);
  const [posted] = await Promise.all([page.waitForResponse((res) => res.url() === `${exampleApp.url}/login` && res.request().method() === 'POST'), page.goto(attackerUrl)]);
  expect(posted.status()).toBe(403);
  expect(await posted.text()).toContain('Please sign in from this page.');
  const cookies = await context.cookies(exampleApp.url);
  expect(cookies.map((cookie) => cookie.name)).not.toContain('example_session');
});
