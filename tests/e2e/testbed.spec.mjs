// The real checker page against the real test bed (tests/testbed): no mocks.
// `mtasts serve` serves dist/ and the policy proxy at the same origin; the
// page asks the bed's DoH resolver only. For every row of scenarios.tsv the
// page must show the expected verdict and every listed finding code. The
// page's report must equal `mtasts check --json` on the same domain: the same
// verdict, the same finding codes and the same observations (timings, and
// the transports' own words for a failure, aside), since both run the core's
// one check plan.
//
// Run with scripts/e2e-testbed (inside `tests/testbed/testbed run`); the
// ordinary Playwright config leaves it out, and outside the bed it fails.
import { test, expect } from '@playwright/test';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { cli, root, scenarios as scenarioTable, shots, useSettings } from './helpers.mjs';

const BED = process.env.MTASTS_TESTBED === '1';
const DOH = process.env.MTASTS_TESTBED_DOH || 'https://doh.mtasts.test/dns-query';
const CA = process.env.MTASTS_TESTBED_CA || '';
const DNS_DELAY = Number(process.env.MTASTS_TESTBED_DNS_DELAY_MS || 0);
const HTTP_DELAY = Number(process.env.MTASTS_TESTBED_HTTP_DELAY_MS || 0);
const DELAYED = DNS_DELAY > 0 || HTTP_DELAY > 0;
const TESTBED_DIR = path.join(root, 'tests', 'testbed');
const TABLE = process.env.MTASTS_TESTBED_SCENARIOS || path.join(TESTBED_DIR, 'scenarios.tsv');
// One JSON line per scenario, for scripts/e2e-testbed's summary.
const RESULTS = process.env.E2E_TESTBED_RESULTS || path.join(root, 'test-results', 'e2e-testbed-results.jsonl');

/** The observation the app must be given as "seen last time", or null. */
function previousOf(row) {
  if (!row.previous_id && !row.previous_body_file) return null;
  return { id: row.previous_id, body: fs.readFileSync(path.join(TESTBED_DIR, row.previous_body_file), 'utf8') };
}

/** `mtasts check --json` on the same domain with the same resolver; {verdict, codes, report} or {error}. */
function cliCheck(domain, previous) {
  // The command line probes the MX hosts itself; the page asks the same
  // server's /api/mx-tls, which runs the same probe-only plan.
  const args = ['check', '--json', '--doh', DOH, '--allow-private', '--timeout', '3'];
  if (CA) args.push('--extra-ca', CA);
  let bodyFile;
  if (previous) {
    bodyFile = path.join(root, 'test-results', `previous-${domain}.txt`);
    fs.mkdirSync(path.dirname(bodyFile), { recursive: true });
    fs.writeFileSync(bodyFile, previous.body);
    args.push('--previous-id', previous.id, '--previous-body', bodyFile);
  }
  args.push(domain);
  return new Promise((resolve) => {
    execFile(cli, args, { encoding: 'utf8', timeout: 40_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      try {
        const r = JSON.parse(stdout);
        resolve({ verdict: r.verdict, codes: r.findings.map((f) => f.code), report: r });
      } catch {
        resolve({ error: `${err ? err.message : 'no JSON'}: ${(stderr || '').trim().slice(0, 300)}` });
      }
    });
  });
}

/** Waits for the verdict (or an error view) and returns what the page shows. */
async function readReport(page) {
  const verdict = page.locator('.verdict[data-verdict]');
  const errorView = page.locator('[data-error]');
  // mx-tls-slow-greeting holds the SMTP greeting back 15 s.
  await expect(verdict.or(errorView).first()).toBeVisible({ timeout: 40_000 });
  if (await errorView.count()) {
    const kind = await errorView.first().getAttribute('data-error');
    const text = (await errorView.first().innerText()).replace(/\s+/g, ' ').slice(0, 400);
    return { error: `the page shows the "${kind}" error view: ${text}` };
  }
  const shown = await verdict.getAttribute('data-verdict');
  const codes = await page.locator('li.finding[data-code]').evaluateAll((els) => els.map((e) => e.dataset.code));
  const href = await page.getByRole('link', { name: 'Download the report (JSON)' }).getAttribute('href');
  const report = JSON.parse(decodeURIComponent(href.split(',').slice(1).join(',')));
  const mxTls = await page.locator('[data-mx-tls]').evaluateAll((els) => els.map((e) => e.dataset.mxTls));
  const unchecked = await page.locator('[data-mx-tls-unchecked]').count();
  return { verdict: shown, codes, report, mxTls, unchecked };
}

const sameSet = (a, b) => a.length === b.length && [...a].sort().join() === [...b].sort().join();

/**
 * The observations with what legitimately differs between runtimes taken
 * out: timings (a probe's moment and duration too), the order of TXT
 * records within their RRset, and the words a
 * transport uses for a failure (a browser's fetch and reqwest describe a
 * refused connection differently); the status and error class stay.
 */
function comparable(obs) {
  const o = structuredClone(obs);
  for (const k of ['sts_txt', 'tlsrpt_txt', 'mx', 'policy_host']) {
    if (o[k]) delete o[k].detail;
  }
  // A resolver may return an RRset in any order (RFC 2181 §5): two TXT
  // records can come in one order to the page and the other to the CLI.
  for (const k of ['sts_txt', 'tlsrpt_txt']) {
    if (Array.isArray(o[k]?.records)) o[k].records.sort();
  }
  for (const k of ['policy', 'policy_browser']) {
    if (!o[k]) continue;
    delete o[k].elapsed_ms;
    if (o[k].error) delete o[k].error.message;
    // How much of a trickling body came before the deadline is timing.
    if (o[k].error && o[k].error.class === 'timeout') delete o[k].body;
  }
  for (const p of o.mx_tls || []) {
    delete p.at;
    delete p.elapsed_ms;
  }
  return o;
}

test.describe('checker against the test bed', () => {
  // Outside the bed this fails rather than pass by skipping everything.
  test('runs inside the test bed', () => {
    expect(BED, 'run with scripts/e2e-testbed (inside tests/testbed/testbed run)').toBe(true);
  });

  test.beforeEach(async ({ page }) => {
    // This origin's proxy, the bed's resolver only.
    await useSettings(page, { proxy: '', resolvers: [DOH] });
  });

  for (const row of BED ? scenarioTable(TABLE) : []) {
    test(`${row.scenario}: ${row.verdict}${row.codes.length ? ' with ' + row.codes.join(', ') : ''}`, async ({ page }) => {
      test.skip(DELAYED, 'scenarios run without delays');
      const previous = previousOf(row);
      if (previous) {
        // The history as the app stores it (storage.rs: HISTORY_KEY).
        await page.addInitScript(([d, p]) => {
          localStorage.setItem('mtasts.history', JSON.stringify({ recent: [d], previous: { [d]: p } }));
        }, [row.domain, previous]);
      }
      const fromCli = cliCheck(row.domain, previous);
      const t0 = Date.now();
      await page.goto('?domain=' + encodeURIComponent(row.domain));
      await expect(page.locator('#run-title')).toContainText(row.domain);
      const got = await readReport(page);
      const ms = Date.now() - t0;
      const cliGot = await fromCli;

      const line = {
        scenario: row.scenario,
        expected: { verdict: row.verdict, codes: row.codes },
        page: got.error ? { error: got.error } : { verdict: got.verdict, codes: got.codes },
        cli: cliGot,
        ms,
      };
      if (!got.error && !cliGot.error) {
        const pageCodes = got.report.findings.map((f) => f.code);
        line.cliDiffers = got.verdict !== cliGot.verdict || !sameSet(pageCodes, cliGot.codes);
      }
      fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
      fs.appendFileSync(RESULTS, JSON.stringify(line) + '\n');

      // The page and the command line run the same plan: same answer.
      expect(cliGot.error, 'mtasts check --json failed').toBeUndefined();
      if (!got.error) {
        expect(got.verdict, 'page vs mtasts check: verdict').toBe(cliGot.verdict);
        expect([...got.report.findings.map((f) => f.code)].sort(), 'page vs mtasts check: finding codes')
          .toEqual([...cliGot.codes].sort());
        expect(comparable(got.report.observations), 'page vs mtasts check: observations')
          .toEqual(comparable(cliGot.report.observations));
        expect(got.report.by_sender, 'page vs mtasts check: how each sender reads it')
          .toEqual(cliGot.report.by_sender);
        expect(got.report.mx_tls ?? [], 'page vs mtasts check: each MX address judged')
          .toEqual(cliGot.report.mx_tls ?? []);
        // The MX TLS table shows each judgement; the proxy here can probe.
        expect(got.mxTls, 'MX TLS table').toEqual((cliGot.report.mx_tls ?? []).map((r) => r.status));
        expect(got.unchecked, 'no "MX certificates not checked" notice').toBe(0);
      }
      if (row.scenario === 'content-type') {
        // Senders split here: the page shows the matrix under the verdict.
        await expect(page.getByRole('heading', { name: 'How senders read it' })).toBeVisible();
      }

      if (['enforce', 'mx-not-covered', 'mx-tls-one-bad'].includes(row.scenario)) {
        fs.mkdirSync(shots, { recursive: true });
        await page.screenshot({ path: path.join(shots, `testbed-${row.scenario}.png`), fullPage: true });
      }

      expect(got.error, 'verdict shown').toBeUndefined();
      expect(got.verdict, 'verdict').toBe(row.verdict);
      for (const code of row.codes) {
        expect(got.codes, `finding ${code} shown`).toContain(code);
        await expect(page.locator(`li.finding[data-code="${code}"]`).first()).toBeVisible();
      }
      // The page says the same thing in words as in its attribute.
      await expect(page.locator('.verdict')).toHaveClass(new RegExp(`\\b${row.verdict}\\b`));
    });
  }

  test('latency: time to verdict vs the slowest request @latency', async ({ page }) => {
    test.skip(!DELAYED, 'needs MTASTS_TESTBED_DNS_DELAY_MS / MTASTS_TESTBED_HTTP_DELAY_MS');
    const domain = 'enforce.mtasts.test';
    const timings = [];
    page.on('requestfinished', (r) => {
      const t = r.timing();
      if (t.responseEnd > 0) timings.push({ url: r.url(), ms: t.responseEnd });
    });
    await page.goto('./');
    const box = page.getByLabel('Domain, e-mail address or URL');
    await expect(box).toBeVisible();
    // Stamp the submit and the verdict's appearance in the page's own clock.
    await page.evaluate(() => {
      window.__e2e = {};
      document.addEventListener('submit', () => { window.__e2e.submit ??= performance.now(); }, true);
      new MutationObserver(() => {
        if (window.__e2e.submit !== undefined && window.__e2e.verdict === undefined &&
            document.querySelector('.verdict[data-verdict], [data-error]')) {
          window.__e2e.verdict = performance.now();
        }
      }).observe(document.body, { childList: true, subtree: true, attributes: true });
    });
    await box.fill(domain);
    timings.length = 0;
    await page.getByRole('button', { name: 'Check', exact: true }).click();
    await expect(page.locator('.verdict[data-verdict]')).toHaveAttribute('data-verdict', 'enforced', { timeout: 30_000 });
    const m = await page.evaluate(() => ({
      ...window.__e2e,
      resources: performance.getEntriesByType('resource').map((e) => ({ url: e.name, start: e.startTime, ms: e.duration })),
    }));
    expect(m.submit, 'submit seen').toBeDefined();
    expect(m.verdict, 'verdict seen').toBeDefined();
    const total = m.verdict - m.submit;
    const during = m.resources.filter((r) => r.start >= m.submit - 1);
    expect(during.length, 'requests made by the check').toBeGreaterThan(0);
    const slowest = during.reduce((a, b) => (b.ms > a.ms ? b : a));
    const slowestPw = timings.reduce((a, b) => (b.ms > a.ms ? b : a), { ms: 0, url: '-' });
    // When did the last request end, relative to submit (the critical path)?
    const lastEnd = Math.max(...during.map((r) => r.start + r.ms)) - m.submit;
    const ratio = total / slowest.ms;
    const fmt = (x) => x.toFixed(0);
    const report = [
      `latency (DNS delay ${DNS_DELAY} ms, HTTPS delay ${HTTP_DELAY} ms), ${domain}:`,
      `  submit -> verdict          ${fmt(total)} ms`,
      `  slowest request (resource) ${fmt(slowest.ms)} ms  ${slowest.url}`,
      `  slowest request (Playwright timing) ${fmt(slowestPw.ms)} ms  ${slowestPw.url}`,
      `  requests during the check  ${during.length}; last one ended ${fmt(lastEnd)} ms after submit`,
      ...during
        .slice()
        .sort((a, b) => a.start - b.start)
        .map((r) => `    +${fmt(r.start - m.submit).padStart(5)} ms  ${fmt(r.ms).padStart(5)} ms  ${r.url.replace(/\?dns=.*/, '?dns=…')}`),
      `  RATIO time-to-verdict / slowest request = ${ratio.toFixed(3)} (design target <= 1.15; fails only above 2.0)`,
    ].join('\n');
    console.log(report);
    fs.mkdirSync(path.join(root, 'test-results'), { recursive: true });
    fs.writeFileSync(path.join(root, 'test-results', 'e2e-testbed-latency.txt'), report + '\n');
    test.info().annotations.push({ type: 'latency-ratio', description: ratio.toFixed(3) });
    expect(ratio, 'time to verdict / slowest request').toBeLessThanOrEqual(2.0);
  });
});
