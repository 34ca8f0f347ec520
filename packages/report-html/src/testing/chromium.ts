/**
 * Debian's Chromium (`apt-get install -y chromium`) driven through playwright-core, for the browser
 * tests of the report page and of the web console.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';

/**
 * `describe` where Chromium is installed; elsewhere a skipped suite whose name says what is missing,
 * unless DDINIT_REQUIRE_CHROMIUM is set (`.ci/run` sets it after installing Chromium): then the suite
 * runs and fails, so CI never passes with the browser tests left out.
 */
export function describeInChromium(name: string, suite: () => void): void {
  if (existsSync(CHROMIUM) || process.env.DDINIT_REQUIRE_CHROMIUM) describe(name, suite);
  else describe.skip(`${name}: SKIPPED, ${CHROMIUM} is not installed (apt-get install -y chromium)`, suite);
}

/** Headless, and quiet on the network: no update checks, syncing or first-run pages of its own. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
