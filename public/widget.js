// mtasts widgets for documentation sites:
//
//   <script type="module" src="https://<mtasts host>/widget.js"></script>
//   <mtasts-check domain="example.com"></mtasts-check>
//   <mtasts-generate domain="example.com" mx="mx1.example.com"></mtasts-generate>
//
// Each element renders in its own shadow root. The WebAssembly module is
// loaded once per page, however many widgets there are; this file only
// defines the elements and hands each one's attributes to it.
// scripts/build-widget points these two names at the content-hashed files
// and fills in CSS (public/components.css and public/widget.css, minified).
const GLUE = './widget/mtasts_widget.js';
const WASM = './widget/mtasts_widget_bg.wasm';
const CSS = '';

// Where this file was loaded from: the default policy proxy and full app.
const BASE = new URL('./', import.meta.url).href;

/** One stylesheet object for every widget's shadow root, or null where
 * constructable stylesheets are missing (then each gets a <style>). */
const SHEET = (() => {
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    return sheet;
  } catch {
    return null;
  }
})();

function style(root) {
  if (SHEET) {
    root.adoptedStyleSheets = [SHEET];
  } else if (!root.querySelector('style')) {
    const el = document.createElement('style');
    el.textContent = CSS;
    root.prepend(el);
  }
}

/** Replaces what the shadow root shows, keeping its <style> if it has one. */
function show(root, ...nodes) {
  root.replaceChildren(...root.querySelectorAll(':scope > style'), ...nodes);
}

let loading;
/** The module, loaded and instantiated on first use, once per page. */
function load() {
  loading ??= import(new URL(GLUE, import.meta.url).href).then(async (m) => {
    await m.default({ module_or_path: new URL(WASM, import.meta.url) });
    return m;
  });
  return loading;
}

function isWebUrl(v) {
  try {
    return /^https?:$/.test(new URL(v).protocol);
  } catch {
    return false;
  }
}

/** What each attribute accepts, and what the widget does otherwise. */
const VALID = {
  theme: [(v) => ['light', 'dark', 'auto'].includes(v), 'light, dark or auto; showing light'],
  'heading-level': [(v) => /^[2-6]$/.test(v), 'a number from 2 to 6; using 3'],
  proxy: [isWebUrl, 'an absolute http(s) URL such as https://checker.example.net/; checks will fail'],
  app: [isWebUrl, 'an absolute http(s) URL; the full-report link will be wrong'],
  resolver: [
    (v) => v.split(/[\s,]+/).filter(Boolean).every(isWebUrl),
    'https:// DoH URLs separated by spaces; checks will fail',
  ],
};

/** A page developer's typo gets a console warning that says what to write. */
function checkAttribute(el, name, value) {
  const rule = VALID[name];
  if (!rule || value === null || value.trim() === '' || rule[0](value.trim())) return;
  console.warn(`mtasts widget: <${el.localName}> ${name}="${value}" is not valid: use ${rule[1]}.`);
}

class MtastsWidget extends HTMLElement {
  static get observedAttributes() {
    return [...this.attrs, 'theme'];
  }

  connectedCallback() {
    if (this._widget || this._mounting) return;
    const root = this.shadowRoot || this.attachShadow({ mode: 'open' });
    style(root);
    const p = document.createElement('p');
    p.className = 'mtasts loading-text';
    p.setAttribute('role', 'status');
    p.textContent = `Loading the ${this.constructor.what}…`;
    show(root, p);
    this._mounting = load()
      .then((m) => {
        if (!this.isConnected) return;
        const box = document.createElement('div');
        show(root, box);
        const widget = m[this.constructor.mount](box, BASE);
        this._widget = widget;
        // Settings first, so an autorun check uses them.
        for (const name of this.constructor.attrs) {
          const value = this.getAttribute(name);
          if (value !== null) widget.set(name, value);
        }
        this.mounted();
      })
      .catch((e) => this.failed(e))
      .finally(() => {
        this._mounting = null;
      });
  }

  disconnectedCallback() {
    // Moving the element in the page disconnects and reconnects it at once:
    // keep what was typed unless it is really gone.
    queueMicrotask(() => {
      if (this.isConnected || !this._widget) return;
      this._widget.free();
      this._widget = null;
    });
  }

  attributeChangedCallback(name, _old, value) {
    checkAttribute(this, name, value);
    if (!this._widget) return;
    try {
      this._widget.set(name, value ?? undefined);
      if (name === 'domain') this.mounted();
    } catch (e) {
      this.failed(e);
    }
  }

  mounted() {}

  /** Never a blank box: what failed, and where the full app is. */
  failed(e) {
    const root = this.shadowRoot;
    if (!root) return;
    const p = document.createElement('p');
    p.className = 'mtasts error-view';
    p.setAttribute('role', 'alert');
    const why = e && e.message ? e.message : String(e);
    p.append(`The ${this.constructor.what} could not start (${why}). `);
    if (/Content.Security.Policy|unsafe-eval/i.test(why)) {
      p.append("This page's Content Security Policy must allow 'wasm-unsafe-eval' in script-src. ");
    }
    const a = document.createElement('a');
    a.href = BASE;
    a.target = '_blank';
    a.rel = 'noopener';
    a.textContent = 'Open mtasts in a new tab';
    p.append(a, '.');
    show(root, p);
    this._widget = null;
    console.error('mtasts widget:', e);
  }
}

class MtastsCheck extends MtastsWidget {
  static attrs = ['proxy', 'resolver', 'app', 'heading-level', 'domain'];
  static mount = 'mount_check';
  static what = 'MTA-STS checker';

  mounted() {
    if (this.hasAttribute('autorun') && this.getAttribute('domain')) this._widget.run();
  }

  /** Checks `domain` (or the one in the box); for pages that script it. */
  check(domain) {
    const ranOnChange = domain !== undefined && this.hasAttribute('autorun');
    if (domain !== undefined) this.setAttribute('domain', domain);
    return (this._mounting || Promise.resolve()).then(() => (ranOnChange ? true : this._widget?.run() ?? false));
  }
}

class MtastsGenerate extends MtastsWidget {
  static attrs = ['app', 'domain', 'mx'];
  static mount = 'mount_generate';
  static what = 'MTA-STS generator';
}

for (const [name, cls] of [['mtasts-check', MtastsCheck], ['mtasts-generate', MtastsGenerate]]) {
  if (!customElements.get(name)) customElements.define(name, cls);
}
