// Runs the Wasm parse + lint bench (src/lib.rs, built by scripts/bench-wasm
// with wasm-bindgen --target web into DIR) in headless Chromium and prints
// the native bench's lines for the same inputs, each with its ratio to the
// native figure in NATIVE (the output of `cargo run --example bench`).
//
//   node run.mjs DIR BUDGET_MS NATIVE
//
// The page is served from memory (no server, no network) with the headers
// of a cross-origin isolated page, so that performance.now() has its finer
// resolution.
import { chromium } from 'playwright';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const [dir, budgetArg, nativeFile] = process.argv.slice(2);
const budget = Number(budgetArg) || 500;
// localhost is a secure context, which cross-origin isolation needs.
const origin = 'http://localhost:9';

// name -> µs/run from the native lines.
const native = new Map();
for (const line of readFileSync(nativeFile, 'utf8').split('\n')) {
  const m = line.match(/^(.*?)\s+\d+ bytes\s+([\d.]+) µs\/run/);
  if (m) native.set(m[1].trim(), Number(m[2]));
}

const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
});
try {
  const page = await browser.newPage();
  await page.route(`${origin}/**`, (route) => {
    const name = new URL(route.request().url()).pathname.slice(1) || 'index.html';
    const body = name === 'index.html' ? '<!doctype html><title>bench</title>' : readFileSync(path.join(dir, path.basename(name)));
    route.fulfill({
      body,
      contentType: types[path.extname(name)] || 'application/octet-stream',
      headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
    });
  });
  await page.goto(`${origin}/index.html`);
  await page.evaluate(async () => {
    const m = await import('/mtasts_wasm_bench.js');
    await m.default();
    window.bench = m;
  });
  const isolated = await page.evaluate(() => self.crossOriginIsolated);
  console.log(`Chromium ${browser.version()}, Wasm${isolated ? '' : ' (performance.now() coarse: not cross-origin isolated)'}:`);
  const names = (await page.evaluate(() => window.bench.names())).split('\n');
  let reference = 0;
  for (const [i, name] of names.entries()) {
    if (process.env.BENCH_ONLY && !name.includes(process.env.BENCH_ONLY)) continue;
    const [perNs, runs, findings, occurrences] = (await page.evaluate(([i, b]) => window.bench.measure(i, b), [i, budget]))
      .split(' ')
      .map(Number);
    if (name === '64 KiB policy') reference = perNs;
    const line = await page.evaluate(
      ([i, p, r, f, o, ref]) => window.bench.line(i, p, BigInt(r), f, o, ref),
      [i, perNs, runs, findings, occurrences, reference],
    );
    const n = native.get(name);
    console.log(n ? `${line}  x${(perNs / 1000 / n).toFixed(2)} of native` : line);
  }
} finally {
  await browser.close();
}
