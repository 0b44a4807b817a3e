// The linter can be used with the keyboard alone, in a sensible focus order.
import { test, expect } from '@playwright/test';

async function focusedId(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    return el ? el.id || el.textContent.trim().slice(0, 40) : null;
  });
}

async function tabTo(page, predicate, max = 40) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await predicate()) return;
  }
  throw new Error('focus never reached the target');
}

test('keyboard only: skip link, navigation, linter form, copy', async ({ page }) => {
  await page.goto('./');
  // The app mounts after the Wasm loads; only then is there a skip link.
  await expect(page.locator('nav[aria-label="Views"]')).toBeVisible();
  await page.keyboard.press('Tab');
  await expect(page.locator('a.skip')).toBeFocused();

  // Navigation comes before the content: reach "Lint" and open it.
  await tabTo(page, async () => (await focusedId(page)) === 'Lint');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\?view=linter$/);
  await expect(page.locator('#linter-title')).toBeFocused();

  // The form fields follow in reading order.
  const order = [];
  for (let i = 0; i < 3; i++) {
    await page.keyboard.press('Tab');
    order.push(await focusedId(page));
  }
  expect(order).toEqual(['lint-kind', 'lint-domain', 'lint-input']);

  await page.keyboard.type('v=STSv1; id=bad-id!');
  await expect(page.locator('.lint-result [data-verdict]')).toHaveAttribute('data-verdict', 'invalid');

  // Choose the kind with the keyboard: the verdict stays, the label changes.
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Shift+Tab');
  await expect(page.locator('#lint-kind')).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(page.locator('#lint-detected')).toContainText('Linted as: _mta-sts TXT record');

  // Tab on to the first copy button of a corrected line and use it.
  await tabTo(page, async () => page.evaluate(() => document.activeElement?.classList.contains('copy')));
  await page.keyboard.press('Enter');
  await expect(page.locator('button.copy:focus')).toHaveText(/Copied|Copy failed/);

  // "What real senders do" opens with the keyboard.
  await tabTo(page, async () => page.evaluate(() => document.activeElement?.tagName === 'SUMMARY'));
  await page.keyboard.press('Enter');
  await expect(page.locator('details.senders[open]').first()).toBeVisible();
});
