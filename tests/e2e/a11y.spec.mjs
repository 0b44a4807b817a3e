// axe-core finds no violations on any view, in light and dark schemes, at
// desktop and phone widths; screenshots of each view go to test-results/.
import { test, expect } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import path from 'node:path';
import { mockDoh, mockProxy, goodZone, goodFetch, useSettings, shots } from './helpers.mjs';

const DOH = 'https://doh.test/dns-query';

async function noViolations(page, what) {
  const r = await new AxeBuilder({ page }).analyze();
  const summary = r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(' | ')}`);
  expect(summary, `${what}`).toEqual([]);
}

async function setupChecker(page) {
  await useSettings(page, { proxy: '', resolvers: [DOH] });
  const zone = goodZone('shot.test');
  // One uncovered MX host, so the report shows a finding and a red row.
  zone['shot.test'].MX.push({ preference: 30, host: 'backup.elsewhere.test' });
  await mockDoh(page, `${DOH}?*`, zone);
  await mockProxy(page, (d) => goodFetch(d, 'version: STSv1\r\nmode: testing\r\nmx: mx1.shot.test\r\nmx: *.mail.shot.test\r\nmax_age: 86400\r\n'));
}

async function fillGenerator(page) {
  await page.getByLabel('Mail domain', { exact: true }).fill('example.org');
  await page.getByLabel('MX hosts, one per line').fill('mx1.example.org\nexample-org.mail.protection.outlook.com');
  await page.locator('details.host > summary').first().click();
}

async function fillLinter(page) {
  await page.getByLabel('Record or policy').fill('version: STSv1\nmode: enforce\n\nmx: mail.example.com\n  mx: *.example.net\nmax_age: 86400000\n');
  await page.locator('details.senders > summary').first().click();
}

for (const scheme of ['light', 'dark']) {
  for (const [label, viewport] of [['desktop', { width: 1280, height: 900 }], ['phone', { width: 360, height: 780 }]]) {
    test.describe(`${scheme} ${label}`, () => {
      test.use({ colorScheme: scheme, viewport });

      test('checker (idle, report, error view)', async ({ page }) => {
        await page.goto('./');
        await noViolations(page, 'checker idle');
        await setupChecker(page);
        await page.goto('?domain=shot.test');
        await expect(page.locator('.verdict')).toBeVisible({ timeout: 30_000 });
        await page.locator('details.senders > summary').first().click();
        await noViolations(page, 'checker report');
        await page.screenshot({ path: path.join(shots, `checker-${scheme}-${label}.png`), fullPage: true });
        // No horizontal scrolling of the page at 360 px.
        expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1)).toBe(true);

        await page.goto('?domain=' + encodeURIComponent('not a domain'));
        await expect(page.getByTestId('domain-error')).toBeVisible();
        await noViolations(page, 'checker input error');
      });

      test('checker error view', async ({ page }) => {
        await useSettings(page, { proxy: 'http://127.0.0.1:9', resolvers: ['http://127.0.0.1:9/dns-query'] });
        await page.goto('?domain=example.com');
        await expect(page.locator('[data-error="resolver"]')).toBeVisible({ timeout: 30_000 });
        await noViolations(page, 'resolver error view');
        await page.screenshot({ path: path.join(shots, `checker-error-${scheme}-${label}.png`), fullPage: true });
      });

      test('generator', async ({ page }) => {
        await page.goto('?view=generator');
        await noViolations(page, 'generator empty');
        await fillGenerator(page);
        await noViolations(page, 'generator filled');
        await page.screenshot({ path: path.join(shots, `generator-${scheme}-${label}.png`), fullPage: true });
        expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1)).toBe(true);
      });

      test('linter', async ({ page }) => {
        await page.goto('?view=linter');
        await noViolations(page, 'linter empty');
        await fillLinter(page);
        await noViolations(page, 'linter findings');
        await page.screenshot({ path: path.join(shots, `linter-${scheme}-${label}.png`), fullPage: true });
        expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1)).toBe(true);
      });

      test('settings', async ({ page }) => {
        await page.goto('?view=settings');
        await noViolations(page, 'settings');
      });
    });
  }
}
