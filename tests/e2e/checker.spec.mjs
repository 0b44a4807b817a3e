// The checker: input handling, permalinks, history, the designed error views,
// and a full run against a mocked resolver and proxy.
import { test, expect } from '@playwright/test';
import { mockDoh, mockProxy, goodZone, goodFetch, useSettings, GOOD_POLICY } from './helpers.mjs';

const DOH = 'https://doh.test/dns-query';
const settings = { proxy: '', resolvers: [DOH] };

test('bad input shows the specific message and keeps the text', async ({ page }) => {
  await page.goto('./');
  const box = page.getByLabel('Domain, e-mail address or URL');
  for (const [typed, words] of [
    ['192.0.2.1', 'IP address'],
    ['exa mple.com', ''],
    ['localhost', ''],
  ]) {
    await box.fill(typed);
    await box.press('Enter');
    const msg = page.getByTestId('domain-error');
    await expect(msg).toBeVisible();
    if (words) await expect(msg).toContainText(words);
    await expect(box).toHaveValue(typed);
    await expect(box).toHaveAttribute('aria-invalid', 'true');
  }
  // Nothing was run and the address did not change.
  await expect(page.locator('.run')).toHaveCount(0);
  expect(new URL(page.url()).search).toBe('');
});

test('a bad permalink shows the message with the text kept', async ({ page }) => {
  await page.goto('?domain=' + encodeURIComponent('https://[2001:db8::1]/'));
  await expect(page.getByTestId('domain-error')).toContainText('IP address');
  await expect(page.getByLabel('Domain, e-mail address or URL')).toHaveValue('https://[2001:db8::1]/');
});

test('unreachable resolvers show the designed error view', async ({ page }) => {
  // Port 9 on loopback: nothing listens, the connection is refused at once.
  await useSettings(page, { proxy: 'http://127.0.0.1:9', resolvers: ['http://127.0.0.1:9/dns-query', 'http://127.0.0.2:9/dns-query'] });
  await page.goto('?domain=example.com');
  const view = page.locator('[data-error="resolver"]');
  await expect(view).toBeVisible({ timeout: 30_000 });
  await expect(view).toContainText('The DNS resolvers could not be reached');
  await expect(view).toContainText('http://127.0.0.2:9/dns-query');
  await expect(view.getByRole('button', { name: 'Try again' })).toBeVisible();
});

test('a proxy that is not there shows the designed error view, with the DNS part', async ({ page }) => {
  await useSettings(page, settings);
  await mockDoh(page, `${DOH}?*`, goodZone());
  // No proxy mock: the static server answers /api/policy with a 404 page.
  await page.goto('?domain=good.test');
  const view = page.locator('[data-error="proxy"]');
  await expect(view).toBeVisible({ timeout: 30_000 });
  await expect(view).toContainText('HTTP 404');
  await expect(page.locator('.verdict')).toHaveCount(0);
  await expect(page.getByRole('heading', { name: 'DNS records' })).toBeVisible();
});

test('a full check: parallel DoH queries, verdict, coverage, history, back/forward', async ({ page }) => {
  await useSettings(page, settings);
  const seen = [];
  await mockDoh(page, `${DOH}?*`, { ...goodZone(), ...goodZone('other.test') }, seen);
  await mockProxy(page, (d, ua) => goodFetch(d));
  await page.goto('./');
  await page.getByLabel('Domain, e-mail address or URL').fill('  https://Good.TEST/some/path ');
  await page.getByRole('button', { name: 'Check', exact: true }).click();

  await expect(page).toHaveURL(/\?domain=good\.test$/);
  await expect(page.locator('.changes')).toContainText('took the host name');
  const verdict = page.locator('.verdict');
  await expect(verdict).toHaveAttribute('data-verdict', 'enforced', { timeout: 30_000 });
  await expect(verdict).toContainText('MTA-STS is enforced');

  // RFC 8484 GETs with the right media type, for every record the check needs.
  expect(seen.every((q) => q.accept === 'application/dns-message')).toBe(true);
  const asked = seen.map((q) => `${q.type} ${q.name}`);
  for (const want of ['TXT _mta-sts.good.test', 'TXT _smtp._tls.good.test', 'MX good.test', 'A mta-sts.good.test', 'AAAA mta-sts.good.test', 'TLSA _25._tcp.mx1.good.test']) {
    expect(asked).toContain(want);
  }
  await expect(page.locator('table').filter({ hasText: 'Covered by' })).toContainText('*.mail.good.test');
  // The proxy cannot probe port 25 (as on the Worker): the page says so, and how to check instead.
  const unchecked = page.locator('[data-mx-tls-unchecked]');
  await expect(unchecked).toContainText('MX certificates not checked: this proxy cannot reach port 25');
  await expect(unchecked.locator('code')).toHaveText('mtasts check good.test');
  await expect(page.locator('.policy-body li')).toHaveCount(5);

  // JSON export is the core's report.
  const href = await page.getByRole('link', { name: 'Download the report (JSON)' }).getAttribute('href');
  const report = JSON.parse(decodeURIComponent(href.split(',').slice(1).join(',')));
  expect(report.verdict).toBe('enforced');
  expect(report.observations.policy.body).toBe(GOOD_POLICY);

  // A second domain, then back and forward.
  await page.getByLabel('Domain, e-mail address or URL').fill('other.test');
  await page.getByLabel('Domain, e-mail address or URL').press('Enter');
  await expect(page.locator('#run-title')).toContainText('other.test');
  await expect(page.locator('.verdict')).toHaveAttribute('data-verdict', 'enforced', { timeout: 30_000 });
  await page.goBack();
  await expect(page).toHaveURL(/\?domain=good\.test$/);
  await expect(page.locator('#run-title')).toContainText('good.test');
  await page.goForward();
  await expect(page.locator('#run-title')).toContainText('other.test');

  // History: recent domains, and the last id and body for id drift.
  const history = await page.evaluate(() => JSON.parse(localStorage.getItem('mtasts.history')));
  expect(history.recent.slice(0, 2)).toEqual(['other.test', 'good.test']);
  expect(history.previous['good.test']).toEqual({ id: '20240101000000', body: GOOD_POLICY });
});

test('a changed policy with the same id is reported as id drift', async ({ page }) => {
  await useSettings(page, settings);
  await page.addInitScript(() => {
    localStorage.setItem('mtasts.history', JSON.stringify({
      recent: ['good.test'],
      previous: { 'good.test': { id: '20240101000000', body: 'version: STSv1\r\nmode: testing\r\nmx: mx1.good.test\r\nmax_age: 86400\r\n' } },
    }));
  });
  await mockDoh(page, `${DOH}?*`, goodZone());
  await mockProxy(page, (d) => goodFetch(d));
  await page.goto('?domain=good.test');
  await expect(page.locator('li.finding[data-code="id-not-bumped"]')).toBeVisible({ timeout: 30_000 });
  await expect(page.locator('.verdict')).toHaveAttribute('data-verdict', 'broken');
});

test('a CDN that blocks mail servers shows the browser comparison', async ({ page }) => {
  await useSettings(page, settings);
  await mockDoh(page, `${DOH}?*`, goodZone());
  await mockProxy(page, (d, ua) =>
    ua === 'browser' ? goodFetch(d) : { ...goodFetch(d), status: 403, body: '<html>blocked</html>', headers: [['content-type', 'text/html']] });
  await page.goto('?domain=good.test');
  await expect(page.locator('li.finding[data-code="policy-ua-blocked"]')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByRole('heading', { name: 'Mail server vs browser' })).toBeVisible();
});
