import path from 'node:path';
import { createInterface } from 'node:readline';
import type { ChildProcess } from 'node:child_process';
import { killAndWait, spawnTracked } from '../helpers/children';
import { launchBrowser, type Browser } from '../helpers/browser';
import { startExampleApp, type RunningExampleApp } from '../helpers/example-app';
import { freePort } from '../helpers/redis-server';

/*
 * RFC 8628 end to end: openid-client (a child process: it is ESM-only) is the device; it starts
 * a device authorization and polls with its own helpers. Headless Chromium is the person: the
 * example-app's /device page, its login page, its consent page, then the result page. The
 * person starts only once the device has been told authorization_pending, so the test does not
 * depend on timing. The example-app asks for 1 s between polls.
 */

const SCRIPT = path.join(__dirname, '..', 'clients', 'openid-client-device.mjs');

let exampleApp: RunningExampleApp;
let issuer: string;
let browser: Browser;
const devices: ChildProcess[] = [];

beforeAll(async () => {
  const port = await freePort();
  issuer = `http://127.0.0.1:${port}/oauth`;
  exampleApp = await startExampleApp({ PORT: String(port), ISSUER: issuer, DEVICE_POLL_INTERVAL: '1' });
  browser = await launchBrowser();
});

afterAll(async () => {
  await Promise.all(devices.map((device) => killAndWait(device)));
  await browser?.close();
  await exampleApp?.stop();
});

/** Starts the device; resolves the JSON lines it prints, one by one, on demand. */
function startDevice() {
  const child = spawnTracked(process.execPath, [SCRIPT, issuer, exampleApp.url], { stdio: ['ignore', 'pipe', 'inherit'] });
  devices.push(child);
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
  return {
    /** The next line that has `key`. */
    async next(key: string): Promise<Record<string, unknown>> {
      for (;;) {
        const { value, done } = await lines.next();
        if (done) throw new Error(`the device script ended before printing ${key}`);
        const line = JSON.parse(value as string) as Record<string, unknown>;
        if (key in line) return line;
      }
    },
  };
}

/** Starts a device and waits until its first poll was told authorization_pending; returns its user code. */
async function deviceWaitingForUser() {
  const device = startDevice();
  const { started } = (await device.next('started')) as { started: Record<string, string | number> };
  expect(await device.next('poll')).toEqual({ poll: 'authorization_pending' });
  return { device, started };
}

const bodyText = async () => (await browser.page.textContent('body')) ?? '';

test('allow: /device with the code filled in, login, consent, "connected"; the device gets tokens for the user and refreshes them', async () => {
  const { device, started } = await deviceWaitingForUser();
  const origin = new URL(issuer).origin;
  expect(started).toMatchObject({ verification_uri: `${origin}/device`, verification_uri_complete: `${origin}/device?user_code=${started.user_code}`, interval: 1 });

  const { page } = browser;
  await page.goto(started.verification_uri_complete as string);
  expect(await page.inputValue('input[name="user_code"]')).toBe(started.user_code);
  await Promise.all([page.waitForURL(/\/login\?/), page.click('button[type="submit"]')]);
  await page.fill('input[name="username"]', 'demo');
  await page.fill('input[name="password"]', 'demo-password-change-me');
  await Promise.all([page.waitForURL(/\/oauth\/device\/verify\?/), page.click('button[type="submit"]')]);
  expect(await bodyText()).toContain('Command-line tool (device flow)');
  await Promise.all([page.waitForURL(/\/oauth\/device\/decision$/), page.click('button[name="decision"][value="allow"]')]);
  expect(await bodyText()).toContain('Device connected');

  expect(await device.next('outcome')).toEqual({
    outcome: { scope: 'read', api: { client_id: 'cli', scope: 'read', sub: 'demo' }, refreshedScope: 'read' },
  });
});

test('deny: the code typed into the empty form, consent denied, "denied"; the device gets access_denied', async () => {
  const { device, started } = await deviceWaitingForUser();
  const { page } = browser;
  await page.goto(`${new URL(issuer).origin}/device`);
  // As a person might type it: lower case, no dash. Still signed in from the first test.
  await page.fill('input[name="user_code"]', (started.user_code as string).replace('-', '').toLowerCase());
  await Promise.all([page.waitForURL(/\/oauth\/device\/verify\?/), page.click('button[type="submit"]')]);
  await Promise.all([page.waitForURL(/\/oauth\/device\/decision$/), page.click('button[name="decision"][value="deny"]')]);
  expect(await bodyText()).toContain('Access denied');
  expect(await device.next('outcome')).toEqual({ outcome: { error: 'access_denied' } });
});
