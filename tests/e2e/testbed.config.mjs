// Playwright config for the end-to-end run against the real test bed
// (tests/testbed): the real checker page, served with the real policy proxy
// by `mtasts serve`, in Debian's Chromium, asking the bed's DoH resolver.
// Started by scripts/e2e-testbed inside `tests/testbed/testbed run`, which
// also starts the server; nothing is started here.
import { defineConfig } from '@playwright/test';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');

const baseURL = process.env.E2E_BASE_URL || 'http://127.0.0.1:18300/';

// Chromium trusts the bed's CA through the NSS database under this HOME.
const browserEnv = { ...process.env };
if (process.env.MTASTS_TESTBED_HOME) browserEnv.HOME = process.env.MTASTS_TESTBED_HOME;

export default defineConfig({
  testDir: here,
  testMatch: /(testbed|widget)\.spec\.mjs$/,
  outputDir: path.join(root, 'test-results', 'e2e-testbed'),
  timeout: 45_000,
  fullyParallel: false,
  workers: 1,
  reporter: [['list']],
  use: {
    baseURL,
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      env: browserEnv,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
      ],
    },
    trace: 'retain-on-failure',
  },
});
