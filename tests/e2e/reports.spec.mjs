// The Reports view reads TLS-RPT reports in the page: the real fixtures give
// the totals `mtasts reports` prints (worker/tests/reports_cli.rs), a bad
// file is refused with its reason while the others are read, the view's
// module only loads when the view opens, and no request carries a report.
// The live cross-check runs the Checker's own check (here against a DoH and
// proxy mock; against the real test bed in reports-testbed.spec.mjs) and
// only when its button is pressed.
import { test, expect } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { goodFetch, mockDoh, mockProxy, root, shots, useSettings } from './helpers.mjs';

const FIXTURES = path.join(root, 'tests', 'fixtures', 'tlsrpt');
const ALL = fs
  .readdirSync(FIXTURES)
  .filter((f) => /\.(json|eml)$/.test(f))
  .sort()
  .map((f) => path.join(FIXTURES, f));

/** Every request the page makes, with its body, to check none carries a report. */
function watchRequests(page) {
  const seen = [];
  page.on('request', (r) => seen.push({ url: r.url(), method: r.method(), body: r.postDataBuffer() }));
  return seen;
}

/** Fails when a request was not a GET of the app's own files, or carried a body or report text. */
function expectNothingUploaded(seen, origin, needles) {
  for (const r of seen) {
    expect(r.method, r.url).toBe('GET');
    expect(r.body, r.url).toBeNull();
    expect(r.url.startsWith(origin), `${r.url} is not the page's own origin`).toBe(true);
    for (const n of needles) expect(r.url, `${r.url} carries report text`).not.toContain(n);
  }
}

async function openReports(page) {
  await page.goto('?view=reports');
  await expect(page.getByRole('heading', { level: 1, name: 'Read TLS-RPT reports' })).toBeVisible();
  // The module mounts the file picker once it has loaded.
  await expect(page.getByLabel('Report files')).toBeAttached({ timeout: 20_000 });
}

test('the view module loads only when Reports opens', async ({ page }) => {
  const seen = watchRequests(page);
  await page.goto('./');
  await expect(page.getByRole('navigation', { name: 'Views' })).toBeVisible();
  await expect(page.locator('#checker-title, h1').first()).toBeVisible();
  expect(seen.filter((r) => /\/reports[-.]/.test(r.url)).map((r) => r.url)).toEqual([]);

  await page.getByRole('link', { name: 'Reports' }).click();
  await expect(page).toHaveURL(/\?view=reports$/);
  await expect(page.getByLabel('Report files')).toBeAttached({ timeout: 20_000 });
  const loaded = seen.map((r) => r.url).filter((u) => /\/reports[-.]/.test(u));
  expect(loaded.some((u) => /\/reports\.js$/.test(u))).toBe(true);
  expect(loaded.some((u) => /\/reports-[0-9a-f]{16}_bg\.wasm$/.test(u))).toBe(true);
});

test('every real fixture: the totals of `mtasts reports`, and nothing leaves the page', async ({ page, baseURL }) => {
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const seen = watchRequests(page);
  await openReports(page);
  // From here on, a request would be the reports going somewhere.
  const before = seen.length;

  expect(ALL.length).toBe(12);
  await page.getByLabel('Report files').setInputFiles(ALL);

  await expect(page.locator('#rua-read')).toHaveText(
    'Read 12 files: 12 fine, 0 with errors; 10 reports counted (2 read twice and counted once).',
    { timeout: 20_000 },
  );
  await expect(page.locator('#rua-sessions')).toContainText('61 successful, 4 failed');
  await expect(page.locator('#rua-refused')).toHaveCount(0);

  // Per day and per reporter tables, failures with the core's explanation and fix.
  await expect(page.getByRole('region', { name: 'Sessions per day' })).toBeVisible();
  // The chart has one bar per row of the table.
  const dayRows = await page.getByRole('region', { name: 'Sessions per day' }).locator('tbody tr').count();
  expect(dayRows).toBeGreaterThan(1);
  await expect(page.getByRole('img', { name: /Sessions per day/ }).locator('g')).toHaveCount(dayRows);
  const reporters = page.getByRole('region', { name: 'Sessions per reporter' });
  await expect(reporters).toContainText('Google');
  await expect(reporters).toContainText('Microsoft');
  const failures = page.locator('.finding', { hasText: 'validation-failure' });
  await expect(failures).toContainText('3 sessions');
  await expect(failures).toContainText('Fix:');
  await expect(page.locator('.finding', { hasText: 'sts-policy-fetch-error' })).toContainText('context deadline exceeded');
  await expect(page.getByRole('heading', { name: 'Ready to enforce?' })).toBeVisible();
  // The fixtures are from 2019 to 2024: not enough recent days for any domain.
  await expect(page.locator('.verdict.enforced', { hasText: 'Ready to enforce' })).toHaveCount(0);
  await expect(page.locator('.verdict', { hasText: 'krvtz.net' }).first()).toBeVisible();

  // The domain field narrows everything to one policy domain.
  await page.getByLabel('Policy domain', { exact: true }).selectOption('krvtz.net');
  await expect(page.locator('#rua-read')).toContainText('4 reports counted');
  await expect(page.locator('#rua-sessions')).toContainText('7 successful, 1 failed');

  expect(seen.length, seen.slice(before).map((r) => r.url).join('\n')).toBe(before);
  expectNothingUploaded(seen, new URL(baseURL).origin, ['krvtz.net', 'organization-name']);
  expect(errors).toEqual([]);
  fs.mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, 'reports.png'), fullPage: true });
});

test('refused files say why; the others are still read', async ({ page }) => {
  await openReports(page);
  const good = fs.readFileSync(path.join(FIXTURES, 'google-2.json'));
  // 9 MiB of spaces gzip to a few kilobytes and inflate past the 8 MiB cap.
  const bomb = zlib.gzipSync(Buffer.alloc(9 << 20, 0x20));
  await page.getByLabel('Report files').setInputFiles([
    { name: 'cut.json', mimeType: 'application/json', buffer: Buffer.from('{"organization-name": "X", "policies": [') },
    { name: 'google.com!example.com!1!2!001.json.gz', mimeType: 'application/gzip', buffer: zlib.gzipSync(good) },
    { name: 'bomb.json.gz', mimeType: 'application/gzip', buffer: bomb },
  ]);
  await expect(page.locator('#rua-read')).toContainText('Read 3 files: 1 fine, 2 with errors; 1 report counted', {
    timeout: 20_000,
  });
  const refused = page.locator('#rua-refused');
  await expect(refused.getByRole('heading', { name: '2 files not read' })).toBeVisible();
  await expect(refused.locator('li', { hasText: 'cut.json' })).toContainText('not valid JSON');
  await expect(refused.locator('li', { hasText: 'bomb.json.gz' })).toContainText('gzip bomb');
  // The .json.gz was inflated and counted: google-2.json alone is 2 successful sessions.
  await expect(page.locator('#rua-sessions')).toContainText('2 successful, 0 failed');

  // More files add to the reading; Clear starts again.
  await page.getByLabel('Report files').setInputFiles(path.join(FIXTURES, 'google-5.json'));
  await expect(page.locator('#rua-read')).toContainText('Read 4 files');
  await page.getByRole('button', { name: 'Clear' }).click();
  await expect(page.locator('#rua-read')).toHaveCount(0);
});

test('keyboard only, and no axe-core violations', async ({ page }) => {
  await openReports(page);
  await page.getByLabel('Report files').setInputFiles([path.join(FIXTURES, 'google-5.json'), path.join(FIXTURES, 'mailru-1.json')]);
  await expect(page.locator('#rua-sessions')).toContainText('0 successful, 4 failed', { timeout: 20_000 });

  // Tab from the file picker reaches the domain field and the buttons.
  await page.getByLabel('Report files').focus();
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Policy domain', { exact: true })).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: 'Download CSV' })).toBeFocused();

  const r = await new AxeBuilder({ page }).analyze();
  const found = r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(' | ')}`);
  expect(found, 'axe violations').toEqual([]);
});

test('a dropped file is read like a picked one; a file over the cap is refused by its size', async ({ page }) => {
  await openReports(page);
  const text = fs.readFileSync(path.join(FIXTURES, 'google-2.json'), 'utf8');
  const dt = await page.evaluateHandle((t) => {
    const d = new DataTransfer();
    d.items.add(new File([t], 'google-2.json', { type: 'application/json' }));
    return d;
  }, text);
  await page.dispatchEvent('#rua-drop', 'drop', { dataTransfer: dt });
  await expect(page.locator('#rua-read')).toHaveText('Read 1 file: 1 fine, 0 with errors; 1 report counted.', {
    timeout: 20_000,
  });
  await expect(page.locator('#rua-sessions')).toContainText('2 successful, 0 failed');

  // One byte over the 32 MiB cap: refused before it is read.
  await page.getByLabel('Report files').setInputFiles({
    name: 'huge.mbox',
    mimeType: 'application/mbox',
    buffer: Buffer.alloc((32 << 20) + 1, 0x41),
  });
  await expect(page.locator('#rua-refused li', { hasText: 'huge.mbox' })).toContainText('more than the 32 MiB cap', {
    timeout: 20_000,
  });
  await expect(page.locator('#rua-sessions')).toContainText('2 successful, 0 failed');
});

test('when the module cannot be fetched, the view says so', async ({ page }) => {
  await page.route('**/reports.js', (route) => route.fulfill({ status: 404, body: 'not found' }));
  await page.goto('?view=reports');
  await expect(page.locator('#reports-root [role="alert"]')).toContainText('could not be loaded');
});

// krvtz.net as the mocks serve it now: a second MX host (carp-21) in the
// policy, and a shorter max_age than the reports' senders applied.
const KRVTZ = 'krvtz.net';
const KRVTZ_POLICY = 'version: STSv1\r\nmode: enforce\r\nmx: carp-20.krvtz.net\r\nmx: carp-21.krvtz.net\r\nmax_age: 604800\r\n';
const KRVTZ_ZONE = {
  [`_mta-sts.${KRVTZ}`]: { TXT: [['v=STSv1; id=20260101000000']] },
  [`_smtp._tls.${KRVTZ}`]: { TXT: [[`v=TLSRPTv1; rua=mailto:tls@${KRVTZ}`]] },
  [KRVTZ]: { MX: [{ preference: 10, host: `carp-20.${KRVTZ}` }, { preference: 20, host: `carp-21.${KRVTZ}` }] },
  [`mta-sts.${KRVTZ}`]: { A: ['192.0.2.10'] },
  [`carp-20.${KRVTZ}`]: { A: ['192.0.2.20'] },
  [`carp-21.${KRVTZ}`]: { A: ['192.0.2.21'] },
};
const KRVTZ_FILES = ['google-1.json', 'google-2.json', 'mailru-1.json', 'microsoft-1.json', 'google-5.json'].map((f) =>
  path.join(FIXTURES, f),
);

/** The page pointed at a DoH mock and the proxy mock for krvtz.net; returns the requests they saw. */
async function mockKrvtz(page) {
  const asked = [];
  await useSettings(page, { proxy: '', resolvers: ['https://doh.reports.test/dns-query'] });
  await mockDoh(page, 'https://doh.reports.test/**', KRVTZ_ZONE, asked);
  await mockProxy(page, (d) => goodFetch(d, KRVTZ_POLICY));
  return asked;
}

const button = (page, d) => page.getByRole('button', { name: `Cross-check with a live check of ${d}` });

test('live cross-check: only on the button, the Checker\'s check, the CLI\'s sentences, in the export', async ({ page, baseURL }) => {
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const asked = await mockKrvtz(page);
  const seen = watchRequests(page);
  await openReports(page);
  const before = seen.length;
  await page.getByLabel('Report files').setInputFiles(KRVTZ_FILES);
  await expect(page.locator('#rua-read')).toContainText('Read 5 files', { timeout: 20_000 });

  // One button per policy domain; the note beside them says what leaves the page.
  await expect(button(page, KRVTZ)).toBeVisible();
  await expect(button(page, 'example.com')).toBeVisible();
  await expect(button(page, KRVTZ)).toHaveAccessibleDescription(/Only the domain name is sent, and only when you press the button/);
  // Nothing was asked before the button.
  expect(seen.length, seen.slice(before).map((r) => r.url).join('\n')).toBe(before);
  expect(asked).toEqual([]);

  await button(page, KRVTZ).click();
  const live = page.locator('.rua-live', { has: button(page, KRVTZ) });
  await expect(live.locator('[data-live-verdict]')).toHaveAttribute('data-live-verdict', 'enforced', { timeout: 20_000 });
  await expect(live.getByRole('status')).toHaveText(`The live check of ${KRVTZ} is done.`);
  const lines = live.locator('ul.rua-cross li');
  await expect(lines.first()).toHaveText('policy served now: mode enforce; mx carp-20.krvtz.net, carp-21.krvtz.net; max_age 604800');
  await expect(live).toContainText('applied another policy');
  await expect(live).toContainText('no mx carp-21.krvtz.net, which the policy has now; max_age 10368000, now 604800');
  await expect(live.locator('li', { hasText: 'sts-policy-fetch-error: 1 session reported by Mail.ru' })).toContainText(
    'answers 200 with a valid policy',
  );
  // The ready-to-enforce answer of krvtz.net now weighs the live check (every MX covered).
  await expect(page.locator('#rua-ready ~ .verdict li', { hasText: 'Every MX record is covered by the policy served now.' })).toBeVisible();
  await expect(page.locator('#rua-ready ~ .verdict li', { hasText: 'The live check says enforced' })).toBeVisible();
  // The other domain was not checked.
  expect(asked.some((q) => q.name.includes('example.com'))).toBe(false);

  // What left the page: DNS questions about krvtz.net and the proxy's policy fetch of it, nothing of the reports.
  const after = seen.slice(before);
  expect(after.length).toBeGreaterThan(0);
  for (const r of after) {
    expect(r.method, r.url).toBe('GET');
    expect(r.body, r.url).toBeNull();
    for (const n of ['organization-name', 'Mail.ru', 'Google', 'example.com']) expect(r.url, `${r.url} carries report text`).not.toContain(n);
  }
  const origin = new URL(baseURL).origin;
  expect(after.filter((r) => r.url.startsWith(origin)).map((r) => new URL(r.url).searchParams.get('domain'))).toEqual(
    expect.arrayContaining([KRVTZ]),
  );

  // The JSON export holds the cross-check: in `cross_checks` always, in
  // `cross_check` once the summary is of that domain (as `--domain D --check`).
  let download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download JSON' }).click();
  let json = JSON.parse(fs.readFileSync(await (await download).path(), 'utf8'));
  expect(json.cross_check).toBeNull();
  expect(json.cross_checks.map((x) => x.domain)).toEqual([KRVTZ]);
  await page.getByLabel('Policy domain', { exact: true }).selectOption(KRVTZ);
  await expect(button(page, 'example.com')).toHaveCount(0);
  download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download JSON' }).click();
  json = JSON.parse(fs.readFileSync(await (await download).path(), 'utf8'));
  expect(json.cross_check.domain).toBe(KRVTZ);
  expect(json.cross_check.current).toBe('mode enforce; mx carp-20.krvtz.net, carp-21.krvtz.net; max_age 604800');
  expect(json.cross_check.other_policies[0].differences).toEqual([
    'no mx carp-21.krvtz.net, which the policy has now',
    'max_age 10368000, now 604800',
  ]);
  expect(json.cross_check.policy_failures.map((f) => f.result_type)).toEqual(['sts-policy-fetch-error']);
  // The page shows the export's cross-check line for line.
  await expect(lines).toHaveCount(1 + json.cross_check.other_policies.length + json.cross_check.uncovered_failures.length +
    json.cross_check.mx_tls_failures.length + json.cross_check.policy_failures.length);

  expect(errors).toEqual([]);
  fs.mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, 'reports-cross-check.png'), fullPage: true });
});

test('live cross-check by keyboard only; no axe-core violations with it shown', async ({ page }) => {
  await mockKrvtz(page);
  await openReports(page);
  await page.getByLabel('Report files').setInputFiles(KRVTZ_FILES);
  await expect(page.locator('#rua-read')).toContainText('Read 5 files', { timeout: 20_000 });

  // Tab from the Clear button reaches the first cross-check button.
  await page.getByRole('button', { name: 'Clear' }).focus();
  let reached = false;
  for (let i = 0; i < 40 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await button(page, KRVTZ).evaluate((b) => b === document.activeElement);
  }
  expect(reached, 'Tab reaches the cross-check button').toBe(true);
  await page.keyboard.press('Enter');
  const live = page.locator('.rua-live', { has: button(page, KRVTZ) });
  await expect(live.locator('ul.rua-cross li').first()).toContainText('policy served now', { timeout: 20_000 });
  // The button keeps the focus while the check runs and after.
  await expect(button(page, KRVTZ)).toBeFocused();
  // Space presses it again: a new check of the same domain.
  await page.keyboard.press('Space');
  await expect(live.locator('ul.rua-cross li').first()).toContainText('policy served now', { timeout: 20_000 });
  await expect(button(page, KRVTZ)).toBeFocused();

  const r = await new AxeBuilder({ page }).analyze();
  const found = r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(' | ')}`);
  expect(found, 'axe violations').toEqual([]);
});

test('live cross-check when the proxy cannot be reached: said in place, no cross-check', async ({ page }) => {
  await useSettings(page, { proxy: '', resolvers: ['https://doh.reports.test/dns-query'] });
  await mockDoh(page, 'https://doh.reports.test/**', KRVTZ_ZONE);
  await page.route('**/api/policy?*', (route) => route.fulfill({ status: 404, body: 'not found' }));
  await openReports(page);
  await page.getByLabel('Report files').setInputFiles(KRVTZ_FILES);
  await button(page, KRVTZ).click();
  const live = page.locator('.rua-live', { has: button(page, KRVTZ) });
  await expect(live.locator('[data-error="proxy"]')).toContainText('not answering properly', { timeout: 20_000 });
  await expect(live.locator('[data-error="proxy"]')).toContainText('Without the policy served now there is no cross-check');
  await expect(live.locator('ul.rua-cross')).toHaveCount(0);
});
