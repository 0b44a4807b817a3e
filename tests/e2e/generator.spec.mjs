// What the generator shows, copied from the page, lints clean with the CLI.
import { test, expect } from '@playwright/test';
import { lintWithCli } from './helpers.mjs';

async function copied(page, button) {
  await button.click();
  await expect(button).toHaveText('Copied');
  return page.evaluate(() => navigator.clipboard.readText());
}

test('generated policy and records lint clean with the CLI', async ({ page }) => {
  await page.goto('?view=generator');
  await page.getByLabel('Mail domain', { exact: true }).fill('example.org');
  await page.getByLabel('MX hosts, one per line').fill('mx1.example.org\nexample-org.mail.protection.outlook.com');
  await page.getByLabel('Mode', { exact: true }).selectOption('enforce');
  await page.getByLabel('max_age', { exact: true }).selectOption('1209600');

  // The provider host is replaced by its wildcard.
  await expect(page.locator('.notice')).toContainText('*.mail.protection.outlook.com');

  const policy = await copied(page, page.getByRole('button', { name: 'Copy policy file' }));
  expect(policy).toContain('mx: *.mail.protection.outlook.com\r\n');
  expect(policy).toContain('mode: enforce\r\n');
  const p = lintWithCli('policy', policy, { domain: 'example.org' });
  expect(p.status, p.stdout + p.stderr).toBe(0);

  const txt = await copied(page, page.getByRole('button', { name: 'Copy _mta-sts TXT value' }));
  expect(txt).toMatch(/^v=STSv1; id=\d{14}$/);
  expect(lintWithCli('txt', txt).status).toBe(0);

  const rpt = await copied(page, page.getByRole('button', { name: 'Copy _smtp._tls TXT value' }));
  expect(rpt).toBe('v=TLSRPTv1; rua=mailto:tls-reports@example.org');
  expect(lintWithCli('tlsrpt', rpt).status).toBe(0);

  // Each output is linted in the page too.
  await expect(page.locator('.pill.ok')).toHaveCount(3);
});

test('content-hash and manual ids; errors name the field', async ({ page }) => {
  await page.goto('?view=generator');
  await page.getByLabel('Mail domain', { exact: true }).fill('example.org');
  await page.getByLabel('MX hosts, one per line').fill('mx1.example.org');
  await page.getByLabel('Hash of the policy').check();
  await expect(page.locator('#gen-sts-txt')).toHaveText(/^v=STSv1; id=[0-9a-f]{20}$/);
  await page.getByLabel('Type one').check();
  await page.getByLabel('Id (1 to 32 letters and digits)').fill('not valid!');
  await expect(page.locator('#gen-id-err')).toContainText('1 to 32 letters and digits');
  await page.getByLabel('Id (1 to 32 letters and digits)').fill('v2');
  await expect(page.locator('#gen-sts-txt')).toHaveText('v=STSv1; id=v2');
});

test('hosting snippets and the rollout plan', async ({ page }) => {
  await page.goto('?view=generator');
  await page.getByLabel('Mail domain', { exact: true }).fill('example.org');
  await page.getByLabel('MX hosts, one per line').fill('mx1.example.org');
  await page.getByLabel('max_age', { exact: true }).selectOption('86400');
  for (const name of ['nginx', 'Apache', 'Caddy', 'Cloudflare Workers / Pages', 'GitHub Pages', 'Netlify']) {
    await expect(page.locator('details.host > summary', { hasText: name })).toBeVisible();
  }
  await page.locator('details.host > summary', { hasText: 'GitHub Pages' }).click();
  await expect(page.locator('details.host[open]')).toContainText('.nojekyll');
  const today = new Date();
  const tomorrow = new Date(today.getTime() + 86400_000).toISOString().slice(0, 10);
  await expect(page.locator('ol.plan')).toContainText(today.toISOString().slice(0, 10));
  // Teardown: remove after max_age (one day here).
  await expect(page.locator('ol.plan li').last()).toContainText(tomorrow);
});
