// The policy proxy as a Cloudflare Worker: the thin runtime shell. Every rule
// (which query is valid, which URL is fetched with which headers, the
// timeout, which response headers are kept, the 64 KiB cap, error classes,
// the answer's headers and CORS, the rate-limit key, the refusals) lives in
// the core (src/sts/proxy/), compiled to wasm (src/lib.rs, pkg/ from
// build.sh). This file only does I/O: ask the rate-limiting binding, fetch
// without following redirects, read at most the cap + 1 byte of the body,
// answer JSON.

import wasmModule from "./pkg/mtasts_edge_bg.wasm";
import {
  initSync, plan, finish, answer_headers, error_json, max_body, timeout_ms, rate_key, refusal,
  mx_tls_unavailable,
} from "./pkg/mtasts_edge.js";

initSync({ module: wasmModule });

const ANSWER_HEADERS = JSON.parse(answer_headers());
const MAX_BODY = max_body();
// The whole fetch, body included (a trickling server is cut).
const TIMEOUT_MS = timeout_ms();

function answer(status, body) {
  return new Response(status === 204 ? null : body, { status, headers: new Headers(ANSWER_HEADERS) });
}

// A refusal from the rules: its status, `{"error": ...}` and extra headers.
function refuse(kind) {
  const r = JSON.parse(refusal(kind));
  const resp = answer(r.status, error_json(r.error));
  for (const [k, v] of r.headers) resp.headers.set(k, v);
  return resp;
}

function errorMessage(e) {
  if (e == null) return "unknown error";
  const cause = e.cause ? ` (${errorMessage(e.cause)})` : "";
  return `${e.message || String(e)}${cause}`;
}

// Workers' connect() refuses port 25: the MX STARTTLS probe cannot run
// here, and the page is told so (a stable field, not a silent gap).
const MX_TLS = JSON.parse(mx_tls_unavailable());

// Reads at most MAX_BODY + 1 bytes, so the rules can tell "exactly the cap"
// from "more"; then cancels the stream.
async function readCapped(body) {
  const chunks = [];
  let total = 0;
  let error = null;
  let more = false;
  if (body) {
    const reader = body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        const room = MAX_BODY + 1 - total;
        const part = value.byteLength > room ? value.subarray(0, room) : value;
        chunks.push(part);
        total += part.byteLength;
        if (total > MAX_BODY) {
          more = true;
          reader.cancel().catch(() => {});
          break;
        }
      }
    } catch (e) {
      error = errorMessage(e);
    }
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return { bytes, more, error };
}

async function policy(url) {
  const p = JSON.parse(plan(url.search));
  if (p.error !== undefined) return answer(p.status || 400, error_json(p.error));

  const started = Date.now();
  let resp;
  try {
    resp = await fetch(p.url, {
      method: "GET",
      redirect: "manual",
      headers: p.headers,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (e) {
    const text = finish(p.url, 0, "[]", new Uint8Array(0), false, Date.now() - started, errorMessage(e));
    return answer(200, text);
  }
  const headers = JSON.stringify([...resp.headers]);
  const { bytes, more, error } = await readCapped(resp.body);
  const text = finish(p.url, resp.status, headers, bytes, more, Date.now() - started, error);
  return answer(200, text);
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/health") return answer(200, '{"ok":true}');
    if (url.pathname === "/api/mx-tls") {
      if (request.method === "OPTIONS") return answer(204, null);
      return answer(MX_TLS.status, MX_TLS.body);
    }
    if (url.pathname !== "/api/policy") return refuse("not-found");
    if (request.method === "OPTIONS") return answer(204, null);
    // HEAD would run a whole fetch and throw the answer away.
    if (request.method !== "GET") return refuse("method");
    try {
      // The Workers rate-limiting binding (wrangler.toml), keyed per IPv4
      // address and per IPv6 /64. Without the binding nothing is fetched.
      const { success } = await env.POLICY_LIMITER.limit({ key: rate_key(request.headers.get("cf-connecting-ip")) });
      if (!success) return refuse("rate-limited");
      return await policy(url);
    } catch (e) {
      // The cause goes to the Worker's log, never to the caller.
      console.error("mtasts-edge: internal error:", errorMessage(e));
      return refuse("internal");
    }
  },
};
