// Playwright config for the mtasts web app. Serves dist/ (built by
// `trunk build --release`) with python3's static server on a free loopback
// port, and drives Debian's Chromium: no browser download.
import { defineConfig } from '@playwright/test';
import { execSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');

// Workers inherit the environment, so the port is picked once.
if (!process.env.E2E_PORT && !process.env.E2E_BASE_URL) {
  process.env.E2E_PORT = execSync(
    `python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"`,
  ).toString().trim();
}
const baseURL = process.env.E2E_BASE_URL || `http://127.0.0.1:${process.env.E2E_PORT}/`;

export default defineConfig({
  testDir: here,
  // These need the test bed and run in scripts/e2e-testbed (testbed.config.mjs).
  testIgnore: /(testbed|widget)\.spec\.mjs$/,
  outputDir: path.join(root, 'test-results', 'e2e'),
  timeout: 60_000,
  fullyParallel: false,
  workers: 1,
  reporter: [['list']],
  use: {
    baseURL,
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
      ],
    },
    permissions: ['clipboard-read', 'clipboard-write'],
    trace: 'off',
  },
  webServer: process.env.E2E_BASE_URL
    ? undefined
    : {
        command: `python3 -m http.server ${process.env.E2E_PORT} --bind 127.0.0.1 --directory ${path.join(root, 'dist')}`,
        url: baseURL,
        reuseExistingServer: false,
        timeout: 20_000,
        stdout: 'ignore',
        stderr: 'ignore',
      },
});
