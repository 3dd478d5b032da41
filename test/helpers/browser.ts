// Headless Chromium for the page tests: Debian's `chromium` (/usr/bin/chromium, or
// CHROMIUM_PATH) driven by playwright-core. Launched with a fresh profile and every background
// service off, so the browser never reaches for the network. Tests skip (with this module's
// reason) when no browser is installed; `.ci/run` installs it.

import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from '../../scripts/build-worker.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** null when a browser is available, else why the browser tests skip. */
export const noBrowser: string | null = existsSync(CHROMIUM) ? null : `no browser at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;

/** Screenshots land here (git-ignored) for a person to look at after a run. */
export const ARTIFACTS = join(ROOT, 'test-artifacts');

export interface OpenBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Chromium with a fresh profile directory (removed on close). playwright adds --headless,
 * --no-sandbox and --user-data-dir=PROFILE itself (it refuses a --user-data-dir in args).
 */
export async function launchBrowser(): Promise<OpenBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'edge-mtl-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: false,
    viewport: { width: 1280, height: 900 },
    args: ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Console errors and uncaught page errors, collected from the moment of the call. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  return errors;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, name);
  await page.screenshot({ path, fullPage: true });
  return path;
}
