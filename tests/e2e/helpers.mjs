// Shared helpers: the CLI, a DNS-over-HTTPS mock that answers in RFC 1035
// wire format, and a policy-proxy mock answering `sts::report::Fetch` JSON.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cli = process.env.MTASTS_CLI || path.join(root, 'target', 'debug', 'mtasts');
export const shots = path.join(root, 'test-results', 'screenshots');

/** Runs `mtasts lint --kind KIND [--json]` on `text`; returns {status, json, stdout}. */
export function lintWithCli(kind, text, { json = false, domain } = {}) {
  if (!fs.existsSync(cli)) {
    throw new Error(`the CLI is missing at ${cli}: build it with \`cargo build -p mtasts-worker\``);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtasts-e2e-'));
  const file = path.join(dir, 'input');
  fs.writeFileSync(file, text);
  const args = ['lint', '--kind', kind];
  if (json) args.push('--json');
  if (domain) args.push('--domain', domain);
  args.push(file);
  const r = spawnSync(cli, args, { encoding: 'utf8' });
  fs.rmSync(dir, { recursive: true, force: true });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, json: json ? JSON.parse(r.stdout) : null };
}

export { execFileSync };

/** The test bed's scenarios.tsv (or `table`) as objects; the header line names the columns. */
export function scenarios(table = path.join(root, 'tests', 'testbed', 'scenarios.tsv')) {
  const lines = fs.readFileSync(table, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
  const header = lines[0].split('\t');
  return lines.slice(1).map((l) => {
    const cells = l.split('\t');
    const row = Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']));
    row.codes = row.codes.split(',').filter(Boolean);
    return row;
  });
}

// ---------------------------------------------------------------------------
// DNS wire format (RFC 1035 §4) for the DoH mock.

const TYPES = { A: 1, CNAME: 5, MX: 15, TXT: 16, AAAA: 28, TLSA: 52 };
const TYPE_NAMES = Object.fromEntries(Object.entries(TYPES).map(([k, v]) => [v, k]));

function b64urlDecode(s) {
  return Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

function encodeName(name) {
  const out = [];
  for (const label of name.replace(/\.$/, '').split('.')) {
    if (!label) continue;
    const b = Buffer.from(label, 'ascii');
    out.push(b.length, ...b);
  }
  out.push(0);
  return out;
}

function u16(n) {
  return [(n >> 8) & 0xff, n & 0xff];
}

function u32(n) {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

/** Reads the question of a query message: {id, name, type, end}. */
export function parseQuery(buf) {
  const id = buf.readUInt16BE(0);
  let i = 12;
  const labels = [];
  while (buf[i] !== 0) {
    const len = buf[i];
    labels.push(buf.subarray(i + 1, i + 1 + len).toString('ascii'));
    i += 1 + len;
  }
  i += 1;
  const type = buf.readUInt16BE(i);
  return { id, name: labels.join('.').toLowerCase(), type: TYPE_NAMES[type] || String(type), end: i + 4 };
}

function rdata(type, value) {
  switch (type) {
    case 'A':
      return value.split('.').map(Number);
    case 'AAAA': {
      const parts = value.split(':');
      return parts.flatMap((p) => u16(parseInt(p || '0', 16)));
    }
    case 'CNAME':
      return encodeName(value);
    case 'MX':
      return [...u16(value.preference), ...encodeName(value.host)];
    case 'TXT': {
      const strings = Array.isArray(value) ? value : [value];
      return strings.flatMap((s) => {
        const b = Buffer.from(s, 'utf8');
        return [b.length, ...b];
      });
    }
    case 'TLSA':
      return [3, 1, 1, ...Buffer.alloc(32, 0xab)];
    default:
      throw new Error(`no rdata encoder for ${type}`);
  }
}

/**
 * A response to `query` from a zone: `zone[name][TYPE] = [values]`, or
 * `zone[name] = 'NXDOMAIN'`. CNAMEs are followed like a recursive resolver.
 */
export function answer(query, zone) {
  const q = parseQuery(query);
  const answers = [];
  let name = q.name;
  let rcode = 0;
  for (let hops = 0; hops < 8; hops++) {
    const node = zone[name];
    if (node === undefined || node === 'NXDOMAIN') {
      rcode = answers.length ? 0 : 3;
      break;
    }
    if (node === 'SERVFAIL') {
      rcode = 2;
      break;
    }
    if (node[q.type]) {
      for (const v of node[q.type]) answers.push({ name, type: q.type, v });
      break;
    }
    if (node.CNAME && q.type !== 'CNAME') {
      answers.push({ name, type: 'CNAME', v: node.CNAME[0] });
      name = node.CNAME[0];
      continue;
    }
    break;
  }
  const out = [
    ...u16(q.id),
    0x81, 0x80 | rcode,
    ...u16(1), ...u16(answers.length), ...u16(0), ...u16(0),
    ...query.subarray(12, q.end),
  ];
  for (const a of answers) {
    const rd = rdata(a.type, a.v);
    out.push(...encodeName(a.name), ...u16(TYPES[a.type]), ...u16(1), ...u32(300), ...u16(rd.length), ...rd);
  }
  return Buffer.from(out);
}

/** Routes every request to `resolverGlob` to a DoH mock over `zone`. */
export async function mockDoh(page, resolverGlob, zone, seen = []) {
  await page.route(resolverGlob, async (route) => {
    const url = new URL(route.request().url());
    const q = b64urlDecode(url.searchParams.get('dns') || '');
    seen.push({ ...parseQuery(q), accept: route.request().headers()['accept'] });
    await route.fulfill({
      status: 200,
      headers: { 'content-type': 'application/dns-message', 'access-control-allow-origin': '*' },
      body: answer(q, zone),
    });
  });
}

/**
 * Routes `/api/policy` to a proxy mock answering `fetch` (a Fetch object),
 * and `/api/mx-tls` as the Cloudflare Worker answers it (no port 25 there).
 */
export async function mockProxy(page, fetchFor) {
  await page.route('**/api/policy?*', async (route) => {
    const url = new URL(route.request().url());
    const body = fetchFor(url.searchParams.get('domain'), url.searchParams.get('ua'));
    await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(body) });
  });
  await page.route('**/api/mx-tls?*', async (route) => {
    const body = {
      error: 'MX certificates not checked: this proxy cannot reach port 25. Run `mtasts check DOMAIN` from a host that can.',
      unavailable: 'port-25',
    };
    await route.fulfill({ status: 501, contentType: 'application/json', body: JSON.stringify(body) });
  });
}

export const policyFor = (d) => `version: STSv1\r\nmode: enforce\r\nmx: mx1.${d}\r\nmx: *.mail.${d}\r\nmax_age: 1209600\r\n`;
export const GOOD_POLICY = policyFor('good.test');

/** A domain with everything right, for the mocks. */
export function goodZone(d = 'good.test') {
  return {
    [`_mta-sts.${d}`]: { TXT: [['v=STSv1; id=20240101000000']] },
    [`_smtp._tls.${d}`]: { TXT: [[`v=TLSRPTv1; rua=mailto:tls@${d}`]] },
    [d]: { MX: [{ preference: 10, host: `mx1.${d}` }, { preference: 20, host: `a.mail.${d}` }] },
    [`mta-sts.${d}`]: { A: ['192.0.2.10'] },
    [`mx1.${d}`]: { A: ['192.0.2.25'] },
    [`a.mail.${d}`]: { A: ['192.0.2.26'] },
  };
}

export function goodFetch(d = 'good.test', body = policyFor(d)) {
  return {
    url: `https://mta-sts.${d}/.well-known/mta-sts.txt`,
    status: 200,
    headers: [['content-type', 'text/plain; charset=utf-8']],
    body,
    truncated: false,
    elapsed_ms: 42,
    addresses: ['192.0.2.10'],
  };
}

/** Resolvers and proxy the app is pointed at in tests (set in localStorage). */
export async function useSettings(page, settings) {
  await page.addInitScript((s) => {
    localStorage.setItem('mtasts.settings', JSON.stringify(s));
  }, settings);
}
