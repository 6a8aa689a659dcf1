import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startExampleApp, type RunningExampleApp } from './example-app';
import { started } from './started';

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** Debian's headless Chromium in a throwaway profile, able to reach loopback addresses only. */
export async function launchBrowser(): Promise<Browser> {
  const profile = await mkdtemp(path.join(tmpdir(), 'oauth-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      // Only loopback addresses: any other host name fails to resolve.
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Captures the redirects of the server's `/oauth/` requests to `callback` (nothing listens
 * there): Playwright calls route handlers only for the first request of a redirect chain, so
 * the handler sits on the server's requests and stops the redirects that lead to the callback.
 * Returns the list the captured callback URLs are added to.
 */
export async function captureCallbacks(context: BrowserContext, appUrl: string, callback: string): Promise<string[]> {
  const callbacks: string[] = [];
  await context.route(`${appUrl}/oauth/**`, async (route) => {
    const response = await route.fetch({ maxRedirects: 0 });
    const location = response.headers().location;
    if (location === undefined || !location.startsWith(`${callback}?`)) return route.fulfill({ response });
    callbacks.push(location);
    return route.fulfill({ status: 200, contentType: 'text/plain', body: 'callback captured' });
  });
  return callbacks;
}

/** A started example-app, a browser, and the callbacks it was redirected to (see `captureCallbacks`). */
export interface BrowserOnExampleApp {
  readonly exampleApp: RunningExampleApp;
  readonly page: Page;
  readonly callbacks: string[];
}

/**
 * For the tests of one file: starts the example-app and the browser before them, capturing the
 * redirects to `callback`, and stops both after them (also when one of them failed to start).
 */
export function browserOnExampleApp(callback: string): BrowserOnExampleApp {
  let exampleApp: RunningExampleApp | undefined;
  let browser: Browser | undefined;
  let callbacks: string[] = [];
  beforeAll(async () => {
    exampleApp = await startExampleApp();
    browser = await launchBrowser();
    callbacks = await captureCallbacks(browser.context, exampleApp.url, callback);
  });
  afterAll(async () => {
    await browser?.close();
    await exampleApp?.stop();
  });
  return {
    get exampleApp() {
      return started(exampleApp, 'the example-app');
    },
    get page() {
      return started(browser, 'the browser').page;
    },
    get callbacks() {
      return callbacks;
    },
  };
}
