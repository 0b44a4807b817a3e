// mtasts widgets for documentation sites:
//
//   <script type="module" src="https://<mtasts host>/widget.js"></script>
//   <mtasts-check domain="example.com"></mtasts-check>
//   <mtasts-generate domain="example.com" mx="mx1.example.com"></mtasts-generate>
//
// Each element renders in its own shadow root. The WebAssembly module is
// loaded once per page, however many widgets there are; this file only
// defines the elements and hands each one's attributes to it.
// scripts/build-widget points these two names at the content-hashed files.
const GLUE = './widget/mtasts_widget.js';
const WASM = './widget/mtasts_widget_bg.wasm';

// Where this file was loaded from: the default policy proxy and full app.
const BASE = new URL('./', import.meta.url).href;

let loading;
/** The module and the shared stylesheet, loaded on first use. */
function load() {
  loading ??= import(new URL(GLUE, import.meta.url).href).then(async (m) => {
    await m.default({ module_or_path: new URL(WASM, import.meta.url) });
    const css = m.css();
    let sheet = null;
    try {
      sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
    } catch {
      sheet = null; // no constructable stylesheets: a <style> per widget
    }
    return { m, css, sheet };
  });
  return loading;
}

const FRAME =
  'display:block;font:16px/1.5 system-ui,sans-serif;color:#1a1a1a;background:#fff;' +
  'border:1px solid #c4c8cf;border-radius:8px;padding:0.9em 1em;';

class MtastsWidget extends HTMLElement {
  static get observedAttributes() {
    return this.attrs;
  }

  connectedCallback() {
    if (this._widget || this._mounting) return;
    const root = this.shadowRoot || this.attachShadow({ mode: 'open' });
    if (!root.firstChild) {
      const p = document.createElement('p');
      p.setAttribute('style', FRAME);
      p.setAttribute('role', 'status');
      p.textContent = `Loading the ${this.constructor.what}…`;
      root.append(p);
    }
    this._mounting = load()
      .then(({ m, css, sheet }) => {
        if (!this.isConnected) return;
        const box = document.createElement('div');
        if (sheet) {
          root.adoptedStyleSheets = [sheet];
          root.replaceChildren(box);
        } else {
          const style = document.createElement('style');
          style.textContent = css;
          root.replaceChildren(style, box);
        }
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
      this.shadowRoot?.replaceChildren();
    });
  }

  attributeChangedCallback(name, _old, value) {
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
    p.setAttribute('style', FRAME + 'border:2px solid #b91c1c;background:#fdecec;');
    p.setAttribute('role', 'alert');
    p.append(`The ${this.constructor.what} could not start (${e && e.message ? e.message : e}). `);
    const a = document.createElement('a');
    a.href = BASE;
    a.target = '_blank';
    a.rel = 'noopener';
    a.textContent = 'Open mtasts in a new tab';
    p.append(a, '.');
    root.adoptedStyleSheets = [];
    root.replaceChildren(p);
    this._widget = null;
    console.error('mtasts widget:', e);
  }
}

class MtastsCheck extends MtastsWidget {
  static attrs = ['proxy', 'resolver', 'app', 'domain'];
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
