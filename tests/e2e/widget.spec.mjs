// The embeddable widgets (<mtasts-check>, <mtasts-generate>) against the real
// test bed: widget.js, its Wasm and the policy proxy come from `mtasts serve`
// (E2E_BASE_URL), DNS from the bed's DoH resolver. The documentation pages
// that embed them are served from a second origin by a small HTTP server
// started here, the way a docs site loads the widget from the mtasts host.
//
// Run with scripts/e2e-testbed (inside `tests/testbed/testbed run`); the
// ordinary Playwright config leaves it out, and outside the bed it fails.
import { test, expect } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { root, scenarios, shots } from './helpers.mjs';

const BED = process.env.MTASTS_TESTBED === '1';
const DOH = process.env.MTASTS_TESTBED_DOH || 'https://doh.mtasts.test/dns-query';
const MTASTS = process.env.E2E_BASE_URL || 'http://127.0.0.1:18300/';
const PAGES = path.join(root, 'tests', 'e2e', 'pages');
// Another origin than MTASTS (host and port differ).
const DOCS_PORT = 18301;
const DOCS = `http://localhost:${DOCS_PORT}/`;

/** axe-core on the widgets (it looks into their shadow roots): no violations. */
async function expectAccessible(page, selectors) {
  let axe = new AxeBuilder({ page });
  for (const s of selectors) axe = axe.include(s);
  const r = await axe.analyze();
  const found = r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(' | ')}`);
  expect(found, 'axe violations').toEqual([]);
}

let docs;

test.describe('embeddable widgets', () => {
  // Outside the bed this fails rather than pass by skipping everything.
  test('runs inside the test bed', () => {
    expect(BED, 'run with scripts/e2e-testbed (inside tests/testbed/testbed run)').toBe(true);
  });

  test.beforeAll(async () => {
    // The docs site: tests/e2e/pages/*.html with the mtasts and DoH addresses filled in.
    docs = http.createServer((req, res) => {
      const name = path.basename(new URL(req.url, DOCS).pathname) || 'index.html';
      const file = path.join(PAGES, name);
      if (!name.endsWith('.html') || !fs.existsSync(file)) {
        res.writeHead(404).end('not found');
        return;
      }
      const html = fs.readFileSync(file, 'utf8').replaceAll('%MTASTS%', MTASTS).replaceAll('%DOH%', DOH);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    });
    await new Promise((resolve) => docs.listen(DOCS_PORT, '127.0.0.1', resolve));
  });

  test.afterAll(async () => {
    await new Promise((resolve) => docs.close(resolve));
  });

  test('demo page: the generator writes a valid policy and the checker gives a verdict, an event and a permalink', async ({ page }) => {
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(MTASTS + 'embed-demo.html');

    // The generator, prefilled from its attributes.
    const gen = page.locator('#generator');
    const policy = gen.locator('#gen-policy');
    await expect(policy).toContainText('mx: mx1.example.com', { timeout: 20_000 });
    await expect(policy).toContainText('mx: mx2.example.com');
    await expect(policy).toContainText('mode: testing');
    await expect(gen.locator('.pill.ok').first()).toHaveText('Lints valid');
    // Typing in it regenerates; nothing of the app's hosting recipes is here.
    await gen.getByLabel('Mode', { exact: true }).selectOption('enforce');
    await expect(policy).toContainText('mode: enforce');
    await expect(gen.getByRole('link', { name: /full generator/ })).toHaveAttribute('href', MTASTS + '?view=generator');
    // compact: no help texts, but what is wrong still shows.
    await gen.evaluate((el) => el.setAttribute('compact', ''));
    await expect(gen.locator('#gen-mx-help')).toBeHidden();
    await gen.getByLabel('Mail domain').fill('');
    await expect(gen.locator('#gen-domain-err')).toHaveText(/Enter the mail domain/);
    await gen.getByLabel('Mail domain').fill('example.com');
    await gen.evaluate((el) => el.removeAttribute('compact'));
    await expect(gen.locator('#gen-mx-help')).toBeVisible();

    // The checker: the demo's own page sets nothing but the domain; point it at the bed's resolver.
    const check = page.locator('#checker');
    await check.evaluate((el, doh) => el.setAttribute('resolver', doh), DOH);
    const box = check.getByLabel("Check a domain's MTA-STS");
    await expect(box).toHaveValue('example.com');
    await box.fill('enforce.mtasts.test');
    await check.getByRole('button', { name: 'Check', exact: true }).click();
    const verdict = check.locator('.verdict[data-verdict]');
    await expect(verdict).toHaveAttribute('data-verdict', 'enforced', { timeout: 30_000 });
    await expect(verdict).toContainText('MTA-STS is enforced');
    // The page heard the event, with the report.
    await expect(page.locator('#last-result')).toHaveText(/enforce\.mtasts\.test is enforced/);
    const link = check.getByRole('link', { name: /Full report for enforce\.mtasts\.test/ });
    await expect(link).toHaveAttribute('href', MTASTS + '?domain=enforce.mtasts.test');
    await expect(link).toHaveAttribute('target', '_blank');
    fs.mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: path.join(shots, 'widget-demo.png'), fullPage: true });
    expect(errors, 'no script errors').toEqual([]);
    await expectAccessible(page, ['#generator', '#checker']);

    // The permalink opens the full report in the app, which runs the check at once.
    const app = await page.context().newPage();
    await app.addInitScript((doh) => {
      localStorage.setItem('mtasts.settings', JSON.stringify({ proxy: '', resolvers: [doh] }));
    }, DOH);
    await app.goto(await link.getAttribute('href'));
    await expect(app.locator('.verdict[data-verdict]')).toHaveAttribute('data-verdict', 'enforced', { timeout: 30_000 });
    await app.close();
  });

  test('where senders split, the checker says how many refuse the policy and links to the app', async ({ page }) => {
    await page.goto(MTASTS + 'embed-demo.html');
    const check = page.locator('#checker');
    await check.evaluate((el, doh) => el.setAttribute('resolver', doh), DOH);
    const box = check.getByLabel("Check a domain's MTA-STS");
    const verdict = check.locator('.verdict[data-verdict]');
    const line = check.locator('.w-senders');

    // Every sender agrees on a healthy domain: no line.
    await box.fill('enforce.mtasts.test');
    await check.getByRole('button', { name: 'Check', exact: true }).click();
    await expect(verdict).toHaveAttribute('data-verdict', 'enforced', { timeout: 30_000 });
    await expect(line).toHaveCount(0);

    // Served as application/octet-stream: enforced by the RFC reading, but
    // postfix-mta-sts-resolver and maddy (go-mtasts) refuse it.
    await box.fill('content-type.mtasts.test');
    await check.getByRole('button', { name: 'Check', exact: true }).click();
    await expect(check.locator('.verdict[data-verdict]')).toHaveAttribute('data-verdict', 'enforced', { timeout: 30_000 });
    await expect(line).toHaveText('Refused by 2 of 8 senders');
    await expect(line.getByRole('link')).toHaveAttribute('href', MTASTS + '?domain=content-type.mtasts.test');
  });

  test('MX TLS: the widget judges each MX host through the proxy and names the one enforcing senders refuse', async ({ page }) => {
    await page.addInitScript(() => {
      window.__mxTls = [];
      document.addEventListener('mtasts-result', (e) => {
        if (e.detail.domain.startsWith('mx-tls-')) {
          window.__mxTls.push({ domain: e.detail.domain, rows: (e.detail.mx_tls || []).map((r) => `${r.host} ${r.status}`) });
        }
      });
    });
    await page.goto(MTASTS + 'embed-demo.html');
    const check = page.locator('#checker');
    await check.evaluate((el, doh) => el.setAttribute('resolver', doh), DOH);
    const box = check.getByLabel("Check a domain's MTA-STS");
    const verdict = check.locator('.verdict[data-verdict]');

    // mx2 presents the hosting provider's certificate: broken, and said so.
    await box.fill('mx-tls-one-bad.mtasts.test');
    await check.getByRole('button', { name: 'Check', exact: true }).click();
    await expect(verdict).toHaveAttribute('data-verdict', 'broken', { timeout: 40_000 });
    await expect(verdict).toContainText('Enforcing senders will not deliver to mx2.mx-tls-one-bad.mtasts.test');
    const finding = check.locator('li.finding[data-code="mx-tls-name-mismatch"]');
    await expect(finding).toBeVisible();
    await expect(finding).toContainText('mail.hoster.mtasts.test');
    await expect(finding.locator('.fix')).toContainText('covers mx2.mx-tls-one-bad.mtasts.test');
    await expect(check.locator('[data-mx-tls-unchecked]')).toHaveCount(0);

    // A healthy MX: enforced, no MX TLS finding, nothing left unchecked.
    await box.fill('mx-tls-ok.mtasts.test');
    await check.getByRole('button', { name: 'Check', exact: true }).click();
    await expect(check.locator('.verdict[data-verdict]')).toHaveAttribute('data-verdict', 'enforced', { timeout: 40_000 });
    await expect(check.locator('li.finding[data-code^="mx-tls-"]')).toHaveCount(0);
    await expect(check.locator('[data-mx-tls-unchecked]')).toHaveCount(0);

    // The report the page heard carries each MX address as judged.
    await expect.poll(() => page.evaluate(() => window.__mxTls.length)).toBe(2);
    expect(await page.evaluate(() => window.__mxTls)).toEqual([
      { domain: 'mx-tls-one-bad.mtasts.test', rows: ['mx1.mx-tls-one-bad.mtasts.test valid', 'mx2.mx-tls-one-bad.mtasts.test invalid'] },
      { domain: 'mx-tls-ok.mtasts.test', rows: ['mx1.mx-tls-ok.mtasts.test valid'] },
    ]);
  });

  // Every MX TLS scenario of the bed through the widget: the verdict and the
  // finding codes the scenario table expects (the checker page's spec holds
  // the same rows against `mtasts check --json`).
  for (const row of BED ? scenarios().filter((r) => r.scenario.startsWith('mx-tls-')) : []) {
    test(`MX TLS in the widget, ${row.scenario}: ${row.verdict}${row.codes.length ? ' with ' + row.codes.join(', ') : ''}`, async ({ page }) => {
      await page.goto(MTASTS + 'embed-demo.html');
      const check = page.locator('#checker');
      await check.evaluate((el, doh) => el.setAttribute('resolver', doh), DOH);
      await check.getByLabel("Check a domain's MTA-STS").fill(row.domain);
      await check.getByRole('button', { name: 'Check', exact: true }).click();
      // mx-tls-slow-greeting holds the SMTP greeting back 15 s.
      const verdict = check.locator('.verdict[data-verdict]');
      await expect(verdict).toHaveAttribute('data-verdict', row.verdict, { timeout: 40_000 });
      const codes = await check.locator('li.finding[data-code]').evaluateAll((els) => els.map((e) => e.dataset.code));
      for (const code of row.codes) expect(codes, `finding ${code} shown`).toContain(code);
      // No MX TLS finding the table does not expect (a healthy MX says nothing).
      expect(codes.filter((c) => c.startsWith('mx-tls-') && !row.codes.includes(c)), 'unexpected MX TLS findings').toEqual([]);
      // This proxy can probe: never the "not checked" notice.
      await expect(check.locator('[data-mx-tls-unchecked]')).toHaveCount(0);
    });
  }

  test('a page with hostile CSS on another origin: the widgets keep their look and work', async ({ page }) => {
    await page.goto(DOCS + 'hostile.html');
    const check = page.locator('#check');
    const box = check.getByLabel("Check a domain's MTA-STS");
    await expect(box).toBeVisible({ timeout: 20_000 });
    // The page's 80px root, 240px body and `* { all: unset }` do not reach in.
    const looks = await box.evaluate((el) => {
      const s = getComputedStyle(el);
      const frame = getComputedStyle(el.getRootNode().querySelector('.mtasts'));
      return { font: s.fontSize, color: frame.color, bg: frame.backgroundColor, family: frame.fontFamily };
    });
    expect(looks.font).toBe('16px');
    expect(looks.color).toBe('rgb(26, 26, 26)');
    expect(looks.bg).toBe('rgb(255, 255, 255)');
    expect(looks.family).not.toMatch(/Comic/);
    const height = await check.evaluate((el) => el.shadowRoot.querySelector('.mtasts').getBoundingClientRect().height);
    expect(height, 'the empty checker stays a compact box').toBeLessThan(200);

    // A bad input: a specific message, and the text stays in the box.
    await box.fill('not a domain!');
    await check.getByRole('button', { name: 'Check', exact: true }).click();
    await expect(check.getByTestId('domain-error')).toBeVisible();
    await expect(check.getByTestId('domain-error')).not.toBeEmpty();
    await expect(box).toHaveValue('not a domain!');

    await box.fill('mx-not-covered.mtasts.test');
    await check.getByRole('button', { name: 'Check', exact: true }).click();
    await expect(check.locator('.verdict[data-verdict]')).toHaveAttribute('data-verdict', 'broken', { timeout: 30_000 });
    const finding = check.locator('li.finding[data-code="mx-not-covered"]');
    await expect(finding).toBeVisible();
    await expect(finding.locator('.fix')).toContainText('Fix');

    // The generator on the same hostile page.
    const gen = page.locator('#gen');
    await gen.getByLabel('Mail domain').fill('example.org');
    await gen.getByLabel('MX hosts, one per line').fill('mx.example.org');
    await expect(gen.locator('#gen-policy')).toContainText('mx: mx.example.org');
    const genFont = await gen.getByLabel('Mail domain').evaluate((el) => getComputedStyle(el).fontSize);
    expect(genFont).toBe('16px');
    fs.mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: path.join(shots, 'widget-hostile.png'), fullPage: true });
  });

  test('two widgets on one page check two domains at once, with one Wasm download', async ({ page }) => {
    const wasm = [];
    page.on('request', (r) => {
      if (r.url().endsWith('.wasm')) wasm.push(r.url());
    });
    await page.addInitScript(() => {
      window.__results = [];
      document.addEventListener('mtasts-result', (e) => {
        // What the widget shows when its event arrives.
        const shown = e.target.shadowRoot.querySelector('.verdict[data-verdict]')?.dataset.verdict;
        window.__results.push({ id: e.target.id, domain: e.detail.domain, verdict: e.detail.verdict, shown });
      });
    });
    await page.goto(DOCS + 'two.html');
    const first = page.locator('#first .verdict[data-verdict]');
    const second = page.locator('#second .verdict[data-verdict]');
    await expect(first).toHaveAttribute('data-verdict', 'enforced', { timeout: 30_000 });
    await expect(second).toHaveAttribute('data-verdict', 'broken', { timeout: 30_000 });
    expect(wasm.length, `Wasm requests: ${wasm.join(', ')}`).toBe(1);

    // Each event came from its own element with its own report.
    const results = await page.evaluate(() => window.__results);
    expect(results).toEqual(
      expect.arrayContaining([
        { id: 'first', domain: 'enforce.mtasts.test', verdict: 'enforced', shown: 'enforced' },
        { id: 'second', domain: 'mx-not-covered.mtasts.test', verdict: 'broken', shown: 'broken' },
      ]),
    );
    expect(results.length).toBe(2);

    // compact hides the findings; theme="dark" is dark; the first is neither.
    await expect(page.locator('#second .w-details')).toBeHidden();
    await expect(page.locator('#first .w-details')).toBeVisible();
    const bg = (id) => page.locator(`#${id}`).evaluate((el) => getComputedStyle(el.shadowRoot.querySelector('.mtasts')).backgroundColor);
    expect(await bg('second')).toBe('rgb(18, 20, 23)');
    expect(await bg('first')).toBe('rgb(255, 255, 255)');
    // Turning compact off shows them, live.
    await page.locator('#second').evaluate((el) => el.removeAttribute('compact'));
    await expect(page.locator('#second li.finding[data-code="mx-not-covered"]')).toBeVisible();

    // The widget's CSS stays inside: the page's own table, paragraph and button are untouched.
    const own = await page.evaluate(() => ({
      collapse: getComputedStyle(document.getElementById('page-table')).borderCollapse,
      border: getComputedStyle(document.getElementById('page-verdict')).borderTopStyle,
      radius: getComputedStyle(document.getElementById('page-button')).borderTopLeftRadius,
    }));
    expect(own).toEqual({ collapse: 'separate', border: 'none', radius: '0px' });

    // A new domain attribute on an autorun widget checks again; the other keeps its result.
    await page.locator('#first').evaluate((el) => el.setAttribute('domain', 'testing.mtasts.test'));
    await expect(first).toHaveAttribute('data-verdict', 'testing', { timeout: 30_000 });
    // heading-level="2": the report's headings fit the page outline.
    await expect(page.locator('#first h2', { hasText: 'Warnings (1)' })).toBeVisible();
    await expect(second).toHaveAttribute('data-verdict', 'broken');
    await expect.poll(() => page.evaluate(() => window.__results.length)).toBe(3);
    fs.mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: path.join(shots, 'widget-two.png'), fullPage: true });
    // Both themes, findings shown: still accessible (contrast included).
    await expectAccessible(page, ['#first', '#second']);
  });

  test('an unreachable resolver or proxy: an error view and an mtasts-error event, not a blank box; the app attribute', async ({ page }) => {
    await page.goto(DOCS + 'two.html');
    await expect(page.locator('#first .verdict[data-verdict]')).toBeVisible({ timeout: 30_000 });
    const detail = await page.locator('#first').evaluate(
      (el) =>
        new Promise((resolve) => {
          el.addEventListener('mtasts-error', (e) => resolve(e.detail), { once: true });
          // Nothing listens on port 9 in the bed.
          el.setAttribute('resolver', 'https://127.0.0.1:9/dns-query');
          el.setAttribute('domain', 'enforce.mtasts.test');
          el.check();
        }),
    );
    expect(detail.kind).toBe('resolver');
    expect(detail.domain).toBe('enforce.mtasts.test');
    const view = page.locator('#first [data-error="resolver"]');
    await expect(view).toBeVisible();
    await expect(view).toContainText('could not be reached');
    await expect(view.getByRole('button', { name: 'Try again' })).toBeVisible();

    // The proxy attribute: a proxy that is down gives the proxy's error view.
    const proxied = await page.locator('#second').evaluate(
      (el, doh) =>
        new Promise((resolve) => {
          el.addEventListener('mtasts-error', (e) => resolve(e.detail), { once: true });
          el.setAttribute('resolver', doh);
          el.setAttribute('proxy', 'http://127.0.0.1:9/');
          el.check('testing.mtasts.test');
        }),
      DOH,
    );
    expect(proxied.kind).toBe('proxy');
    await expect(page.locator('#second [data-error="proxy"]')).toContainText('could not be reached');
    await expect(page.locator('#second [data-error="proxy"]')).toContainText('127.0.0.1:9/api/policy');

    // The app attribute: where the full report opens.
    await page.locator('#second').evaluate((el) => el.setAttribute('app', 'https://docs.example/mtasts'));
    await page.locator('#second').evaluate((el) => el.check());
    await expect(page.locator('#second').getByRole('link', { name: /Full report for testing\.mtasts\.test/ }))
      .toHaveAttribute('href', 'https://docs.example/mtasts/?domain=testing.mtasts.test');
  });

  test('a page whose CSP blocks WebAssembly: each widget says so and links to the app', async ({ page }) => {
    await page.goto(DOCS + 'csp.html');
    const alert = page.locator('#check').getByRole('alert');
    await expect(alert).toContainText('could not start', { timeout: 20_000 });
    await expect(alert).toContainText("must allow 'wasm-unsafe-eval'");
    await expect(alert.getByRole('link', { name: /Open mtasts/ })).toHaveAttribute('href', MTASTS);
  });

  test('the page styles the widget through its custom properties and parts, and can move it', async ({ page }) => {
    await page.goto(DOCS + 'two.html');
    const first = page.locator('#first');
    await expect(first.locator('.verdict[data-verdict]')).toBeVisible({ timeout: 30_000 });
    await page.addStyleTag({
      content: '#first { --mtasts-accent: rgb(109, 40, 217); --mtasts-font-size: 20px; } #first::part(button) { text-transform: uppercase; }',
    });
    const button = first.getByRole('button', { name: 'Check', exact: true });
    const look = await button.evaluate((el) => {
      const s = getComputedStyle(el);
      return { bg: s.backgroundColor, transform: s.textTransform, size: s.fontSize };
    });
    expect(look).toEqual({ bg: 'rgb(109, 40, 217)', transform: 'uppercase', size: '20px' });

    // A typo in an attribute: a console warning that says what to write, and a sane fallback.
    const warnings = [];
    page.on('console', (m) => {
      if (m.type() === 'warning') warnings.push(m.text());
    });
    await first.evaluate((el) => {
      el.setAttribute('theme', 'purple');
      el.setAttribute('heading-level', '9');
      el.setAttribute('proxy', 'checker.example.net');
    });
    await expect.poll(() => warnings.length).toBe(3);
    expect(warnings.join('\n')).toContain('theme="purple" is not valid: use light, dark or auto');
    expect(warnings.join('\n')).toContain('heading-level="9" is not valid: use a number from 2 to 6');
    expect(warnings.join('\n')).toContain('proxy="checker.example.net" is not valid: use an absolute http(s) URL');
    expect(await first.evaluate((el) => getComputedStyle(el.shadowRoot.querySelector('.mtasts')).backgroundColor))
      .toBe('rgb(255, 255, 255)');
    await first.evaluate((el) => el.removeAttribute('proxy'));

    // theme="auto" follows the visitor's scheme.
    await first.evaluate((el) => el.setAttribute('theme', 'auto'));
    const bg = () => first.evaluate((el) => getComputedStyle(el.shadowRoot.querySelector('.mtasts')).backgroundColor);
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await bg()).toBe('rgb(18, 20, 23)');
    await page.emulateMedia({ colorScheme: 'light' });
    expect(await bg()).toBe('rgb(255, 255, 255)');

    // Moving the element keeps what was typed and what was found.
    const box = first.getByLabel("Check a domain's MTA-STS");
    await box.fill('typed.example');
    await page.evaluate(() => document.querySelector('main').prepend(document.getElementById('first')));
    await expect(box).toHaveValue('typed.example');
    await expect(first.locator('.verdict[data-verdict]')).toBeVisible();
  });
});
