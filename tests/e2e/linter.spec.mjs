// The offline linter shows exactly the findings of `mtasts lint`.
import { test, expect } from '@playwright/test';
import { lintWithCli } from './helpers.mjs';

const BROKEN = 'version: STSv1\nmode: enforce\n\nmx: mail.example.com\n  mx: *.example.net\nmax_age: 86400000\n';

async function codesOnPage(page) {
  return page.locator('.lint-result li.finding').evaluateAll((els) => els.map((e) => e.dataset.code));
}

test('a broken policy shows the codes the CLI reports, with lines marked', async ({ page }) => {
  await page.goto('?view=linter');
  await page.getByLabel('Record or policy').fill(BROKEN);
  await expect(page.locator('.lint-result [data-verdict]')).toHaveAttribute('data-verdict', 'invalid');
  await expect(page.locator('#lint-detected')).toContainText('policy file (detected)');

  const cli = lintWithCli('policy', BROKEN, { json: true });
  expect(cli.json.valid).toBe(false);
  const expected = cli.json.findings.map((f) => f.code);
  expect(expected).toEqual(expect.arrayContaining(['policy-blank-line', 'policy-leading-whitespace', 'policy-max-age-too-large']));
  expect(await codesOnPage(page)).toEqual(expected);

  // Lines 3 (blank) and 5 (leading whitespace) are highlighted, line 1 is not.
  const lines = page.locator('.policy-body li');
  await expect(lines.nth(2)).toHaveClass(/bad/);
  await expect(lines.nth(4)).toHaveClass(/bad/);
  await expect(lines.nth(0)).not.toHaveClass(/bad/);
  await expect(lines.nth(4)).toContainText('policy-leading-whitespace');
});

for (const [kind, text] of [
  ['txt', 'v=STSv1;id=2024-01-01'],
  ['txt', 'v=STSv1; id=20240101000000'],
  ['tlsrpt', 'v=TLSRPTv1; rua=tls@example.com'],
  ['tlsrpt', 'v=TLSRPTv1; rua=mailto:tls@example.com,https://r.example.com/x'],
]) {
  test(`${kind} "${text}" matches the CLI`, async ({ page }) => {
    await page.goto('?view=linter');
    await page.getByLabel('Record or policy').fill(text);
    const cli = lintWithCli(kind, text, { json: true });
    await expect(page.locator('.lint-result [data-verdict]')).toHaveAttribute('data-verdict', cli.json.valid ? 'valid' : 'invalid');
    expect(await codesOnPage(page)).toEqual(cli.json.findings.map((f) => f.code));
  });
}

test('what was typed survives a reload', async ({ page }) => {
  await page.goto('?view=linter');
  await page.getByLabel('Record or policy').fill('v=STSv1; id=abc');
  await page.reload();
  await expect(page.getByLabel('Record or policy')).toHaveValue('v=STSv1; id=abc');
});
