import type { Page } from 'playwright-core';
import { launchBrowser, type Browser } from '../helpers/browser';
import { startExampleApp, type RunningExampleApp } from '../helpers/example-app';
import { freePort } from '../helpers/redis-server';

/*
 * A newcomer's first minute: headless Chromium opens the example-app's home page, reads the
 * clients, and presses the button that runs the authorization code flow with PKCE through the
 * page's own public client (the page's script, as a single-page app would), through the login
 * and consent pages and back to the page, which shows the token response and /api/hello.
 * The issuer is on 127.0.0.1 so that the page, the callback and sessionStorage share one origin.
 */

let exampleApp: RunningExampleApp;
let issuer: string;
let browser: Browser;
let page: Page;
/** Page errors and refused resources (a CSP violation is reported on the console). */
let problems: string[];

beforeAll(async () => {
  const port = await freePort();
  issuer = `http://127.0.0.1:${port}/oauth`;
  exampleApp = await startExampleApp({ PORT: String(port), ISSUER: issuer });
  browser = await launchBrowser();
  ({ page } = browser);
  problems = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
});

afterAll(async () => {
  await browser?.close();
  await exampleApp?.stop();
});

const preJson = async (selector: string) => JSON.parse(((await page.textContent(selector)) ?? '').replace(/^HTTP \d+\n/, '')) as Record<string, unknown>;

test('the page lists the clients, and its button signs in through the demo client and calls /api/hello', async () => {
  await page.goto(`${exampleApp.url}/`);
  const rows = await page.$$eval('#clients tbody tr td:first-child', (cells) => cells.map((cell) => cell.textContent));
  expect(rows).toEqual(['svc-reporting', 'svc-admin', 'api-gateway', 'spa', 'web', 'cli', 'legacy-app', 'mcp-agent', 'mcp-inspector', 'example-app-demo']);
  expect(await page.content()).not.toContain('secret-change-me');

  await Promise.all([page.waitForURL(/\/login\?/), page.click('#pkce-start')]);
  await page.fill('input[name="username"]', 'demo');
  await page.fill('input[name="password"]', 'demo-password-change-me');
  await Promise.all([page.waitForURL(/\/oauth\/authorize\?/), page.click('button[type="submit"]')]);
  expect(await page.textContent('body')).toContain('Example-app home page (PKCE demo)');

  await Promise.all([page.waitForURL(`${exampleApp.url}/`), page.click('button[name="decision"][value="allow"]')]);
  await page.waitForSelector('#hello-response:not(:empty)');
  const tokens = await preJson('#token-response');
  expect(tokens).toEqual(expect.objectContaining({ access_token: expect.any(String), token_type: 'Bearer', scope: 'read' }));
  expect(await preJson('#hello-response')).toEqual({ client_id: 'example-app-demo', scope: 'read', sub: 'demo' });
  expect(await page.textContent('#pkce-status')).toContain('Signed in');
  // The code left the address bar.
  expect(page.url()).toBe(`${exampleApp.url}/`);
  expect(problems).toEqual([]);
});

test('a callback this page did not ask for is ignored: no token request', async () => {
  const tokenRequests: string[] = [];
  page.on('request', (req) => {
    if (req.url().endsWith('/oauth/token')) tokenRequests.push(req.url());
  });
  await page.goto(`${exampleApp.url}/demo/callback?${new URLSearchParams({ code: 'forged', state: 'forged', iss: issuer })}`);
  await page.waitForSelector('#pkce-status:not(:empty)');
  expect(await page.textContent('#pkce-status')).toContain('state does not match');
  expect(await page.isHidden('#pkce-result')).toBe(true);
  expect(tokenRequests).toEqual([]);
});

test('opened on another origin than the callback, the button gives way to a link to the right one', async () => {
  // The default issuer is on localhost while the app is opened on 127.0.0.1.
  const onLocalhost = await startExampleApp();
  try {
    await page.goto(`${onLocalhost.url}/`);
    await page.waitForSelector('#pkce-status:not(:empty)');
    expect(await page.isDisabled('#pkce-start')).toBe(true);
    const port = new URL(onLocalhost.url).port;
    expect(await page.getAttribute('#pkce-status a', 'href')).toBe(`http://localhost:${port}/`);
  } finally {
    await onLocalhost.stop();
  }
});
