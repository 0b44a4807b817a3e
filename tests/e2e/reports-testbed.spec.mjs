// The Reports view's live cross-check against the real test bed: no mocks.
// A report from a sender that applied an older policy of
// mx-not-covered.mtasts.test (mode testing, mx1 and mx2), with failures at
// mx2 and a policy fetch error, is read in the page; the button checks the
// domain as it is served now (enforce, mx1 only) through `mtasts serve`'s
// proxy and the bed's DoH resolver. The page must show what
// `mtasts reports --domain D --check` prints for the same report and the
// same resolver, sentence for sentence, and export the same cross-check.
//
// Run with scripts/e2e-testbed (inside `tests/testbed/testbed run`); the
// ordinary Playwright config leaves it out, and outside the bed it fails.
import { test, expect } from '@playwright/test';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { cli, root, shots, useSettings } from './helpers.mjs';

const BED = process.env.MTASTS_TESTBED === '1';
const DOH = process.env.MTASTS_TESTBED_DOH || 'https://doh.mtasts.test/dns-query';
const CA = process.env.MTASTS_TESTBED_CA || '';
const D = 'mx-not-covered.mtasts.test';

/** One day's report of a sender still applying the policy before mx2 was dropped and enforce set. */
const REPORT = {
  'organization-name': 'Old Policy Sender',
  'date-range': { 'start-datetime': '2026-11-30T00:00:00Z', 'end-datetime': '2026-11-30T23:59:59Z' },
  'contact-info': 'tlsrpt@sender.example',
  'report-id': '2026-11-30-mx-not-covered',
  policies: [
    {
      policy: {
        'policy-type': 'sts',
        'policy-domain': D,
        'policy-string': ['version: STSv1', 'mode: testing', `mx: mx1.${D}`, `mx: mx2.${D}`, 'max_age: 86400'],
        'mx-host': [`mx1.${D}`, `mx2.${D}`],
      },
      summary: { 'total-successful-session-count': 40, 'total-failure-session-count': 7 },
      'failure-details': [
        {
          'result-type': 'validation-failure',
          'sending-mta-ip': '198.51.100.7',
          'receiving-mx-hostname': `mx2.${D}`,
          'failed-session-count': 5,
        },
        {
          'result-type': 'sts-policy-fetch-error',
          'sending-mta-ip': '198.51.100.7',
          'failed-session-count': 2,
          'failure-reason-code': 'connect timeout',
        },
      ],
    },
  ],
};

/** `mtasts reports --domain D --check ARGS FILE` through the bed's resolver: stdout. */
function cliReports(file, extra) {
  const args = ['reports', '--domain', D, '--check', '--doh', DOH, '--allow-private', '--timeout', '3', ...extra];
  if (CA) args.push('--extra-ca', CA);
  args.push(file);
  return new Promise((resolve, reject) => {
    execFile(cli, args, { encoding: 'utf8', timeout: 60_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cli} ${args.join(' ')}: ${err.message}: ${stderr.trim().slice(0, 400)}`));
      else resolve(stdout);
    });
  });
}

/** The sentences under "Against the live check of D:" in the CLI's summary. */
function crossLines(text) {
  const lines = text.split('\n');
  const at = lines.indexOf(`Against the live check of ${D}:`);
  expect(at, text).toBeGreaterThanOrEqual(0);
  const out = [];
  for (const l of lines.slice(at + 1)) {
    if (!l.startsWith('  ')) break;
    out.push(l.slice(2));
  }
  return out;
}

test.describe('Reports view against the test bed', () => {
  test('runs inside the test bed', () => {
    expect(BED, 'run with scripts/e2e-testbed (inside tests/testbed/testbed run)').toBe(true);
  });

  test('a sender that applied an older policy: the page says what `mtasts reports --check` says', async ({ page }) => {
    const dir = path.join(root, 'test-results', 'reports-testbed');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `old-policy.${D}.json`);
    fs.writeFileSync(file, JSON.stringify(REPORT));
    const [text, json] = await Promise.all([cliReports(file, []), cliReports(file, ['--json']).then(JSON.parse)]);
    const cliLines = crossLines(text);

    // This origin's proxy, the bed's resolver only.
    await useSettings(page, { proxy: '', resolvers: [DOH] });
    await page.goto('?view=reports');
    await expect(page.getByLabel('Report files')).toBeAttached({ timeout: 20_000 });
    await page.getByLabel('Report files').setInputFiles(file);
    await expect(page.locator('#rua-read')).toHaveText('Read 1 file: 1 fine, 0 with errors; 1 report counted.', {
      timeout: 20_000,
    });
    await page.getByLabel('Policy domain', { exact: true }).selectOption(D);
    const button = page.getByRole('button', { name: `Cross-check with a live check of ${D}` });
    await button.click();
    const live = page.locator('.rua-live', { has: button });
    // The live state disagrees with the report: enforce now, mx2 dropped.
    await expect(live.locator('[data-live-verdict]')).toHaveAttribute('data-live-verdict', 'broken', { timeout: 30_000 });
    const pageLines = (await live.locator('ul.rua-cross li').allInnerTexts()).map((t) => t.trim());
    expect(pageLines).toEqual(cliLines);
    expect(pageLines[0]).toBe(`policy served now: mode enforce; mx mx1.${D}; max_age 1209600`);
    expect(pageLines.join('\n')).toContain(
      `Old Policy Sender applied another policy (version ${json.cross_check.other_policies[0].version}, last 2026-11-30): mode testing, now enforce; mx mx2.${D}, not in the policy now; max_age 86400, now 1209600.`,
    );
    expect(pageLines).toContain(
      `5 failed sessions at mx2.${D} (validation-failure), which the policy served now does not cover; it is an MX record.`,
    );
    expect(pageLines.find((l) => l.startsWith('sts-policy-fetch-error: 2 sessions reported by Old Policy Sender'))).toContain(
      `Today https://mta-sts.${D}/.well-known/mta-sts.txt answers 200 with a valid policy`,
    );

    // The export's cross-check is the CLI's JSON one.
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download JSON' }).click();
    const exported = JSON.parse(fs.readFileSync(await (await download).path(), 'utf8'));
    expect(exported.cross_check).toEqual(json.cross_check);
    expect(exported.cross_checks).toEqual([json.cross_check]);
    // And the ready-to-enforce reasons about the live check are the CLI's.
    const liveReasons = (r) => r.reasons.filter((x) => x.code === 'mx-covered' || x.code === 'live-check');
    expect(liveReasons(exported.ready[0])).toEqual(liveReasons(json.ready[0]));
    expect(liveReasons(exported.ready[0]).map((x) => x.met)).toEqual([false, false]);

    fs.mkdirSync(shots, { recursive: true });
    await live.screenshot({ path: path.join(shots, 'reports-cross-check-testbed.png') });
  });
});
