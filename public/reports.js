// The Reports view's loader. The app adds this module script the first time
// its Reports view opens (src/ui/on_demand.rs); it loads the view's own
// WebAssembly module and mounts the reader into #reports-root. Report files
// are read in the page by that module: nothing is uploaded.
// scripts/build-reports points these two names at the content-hashed files.
const GLUE = './reports/mtasts_reports.js';
const WASM = './reports/mtasts_reports_bg.wasm';

const root = document.getElementById('reports-root');

function failed(e) {
  const p = document.createElement('p');
  p.className = 'error-view';
  p.setAttribute('role', 'alert');
  const why = e && e.message ? e.message : String(e);
  p.textContent = `The reports reader could not start (${why}). Reload the page to try again.`;
  root?.replaceChildren(p);
  console.error('mtasts reports:', e);
}

if (root) {
  import(new URL(GLUE, import.meta.url).href)
    .then(async (m) => {
      await m.default({ module_or_path: new URL(WASM, import.meta.url) });
      m.mount(root);
    })
    .catch(failed);
}
