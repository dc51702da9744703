import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

// The system Chromium (Debian's `chromium`; .ci/run installs it) driven by playwright-core, which never
// downloads a browser. TILEC_CHROMIUM overrides the path.

export const CHROMIUM = process.env.TILEC_CHROMIUM || '/usr/bin/chromium';

/** Flags for a quiet, offline, sandbox-less (CI runs as root) headless browser. */
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

/**
 * The browser's path, or undefined when it is missing: then tests skip with a visible message, except
 * under CI=true, where a missing browser is an error (CI installs it).
 */
export function chromiumOrSkip(): string | undefined {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  const why = `${CHROMIUM} is missing (apt-get install -y chromium, or set TILEC_CHROMIUM)`;
  if (process.env.CI === 'true') throw new Error(`${why}, and CI must have it`);
  console.warn(`SKIPPED: ${why}; the browser tests of the HTML report are skipped`);
  return undefined;
}

export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({ executablePath, args: ARGS, timeout: 60_000 });
}
