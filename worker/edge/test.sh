#!/usr/bin/env bash
# End-to-end test of the Worker in workerd (wrangler dev, local) against the
# repo's test bed: real DNS and TLS, nothing mocked. Builds outside the bed
# (it has no network), then re-runs itself inside `tests/testbed/testbed run`.
#
#   worker/edge/test.sh              # build + test (needs root, like the bed)
#   MTASTS_EDGE_NO_BUILD=1 worker/edge/test.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
port=${MTASTS_EDGE_PORT:-8787}

if [ "${MTASTS_TESTBED:-}" != 1 ]; then
    [ -f "$root/dist/widget.js" ] || {
        echo "test.sh: dist/ has no app and widget: build them first (scripts/build-app); wrangler serves dist/ as the Worker's static assets" >&2
        exit 1
    }
    if [ -z "${MTASTS_EDGE_NO_BUILD:-}" ]; then
        CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/tmp/target-edge} "$here/build.sh"
    fi
    [ -x "$here/node_modules/.bin/wrangler" ] || {
        echo "test.sh: run 'npm install --prefix worker/edge' first" >&2
        exit 1
    }
    export MTASTS_TESTBED_NO_CHROMIUM=1
    exec "$root/tests/testbed/testbed" run -- "$0" "$@"
fi

cd "$here"
log=$(mktemp /tmp/mtasts-edge-wrangler.XXXXXX)
# Offline: no metrics, no Request.cf download, no update check; workerd
# trusts the test CA through NODE_EXTRA_CA_CERTS (miniflare passes the PEM on
# as the outbound network's trustedCertificates).
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false \
    NO_UPDATE_NOTIFIER=1 CI=1 NODE_EXTRA_CA_CERTS="$MTASTS_TESTBED_CA" \
    WRANGLER_LOG_PATH=/tmp
node_modules/.bin/wrangler dev --ip 127.0.0.1 --port "$port" \
    --show-interactive-dev-session=false >"$log" 2>&1 &
wrangler_pid=$!
stop() {
    kill "$wrangler_pid" 2>/dev/null || true
    wait "$wrangler_pid" 2>/dev/null || true
}
trap stop EXIT

for _ in $(seq 1 120); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/health" 2>/dev/null && break
    if ! kill -0 "$wrangler_pid" 2>/dev/null; then
        echo "test.sh: wrangler dev exited:" >&2
        cat "$log" >&2
        exit 1
    fi
    sleep 0.5
done
curl -fsS -o /dev/null "http://127.0.0.1:$port/health" || {
    echo "test.sh: wrangler dev did not come up in 60 s:" >&2
    cat "$log" >&2
    exit 1
}

set +e
MTASTS_EDGE_BASE="http://127.0.0.1:$port" python3 - <<'PY'
import base64, json, os, sys, urllib.request, urllib.error

base = os.environ["MTASTS_EDGE_BASE"]
failed = 0

def get(path, method="GET"):
    req = urllib.request.Request(base + path, method=method)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, dict((k.lower(), v) for k, v in r.headers.items()), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict((k.lower(), v) for k, v in e.headers.items()), e.read()

def policy(scenario, extra=""):
    status, headers, raw = get(f"/api/policy?domain={scenario}.mtasts.test{extra}")
    check(f"{scenario}: proxy answers 200 JSON", status == 200, f"{status} {raw[:200]!r}")
    check(f"{scenario}: CORS", headers.get("access-control-allow-origin") == "*", headers)
    return json.loads(raw)

def body(f):
    b = f.get("body")
    if b is None:
        return None
    return base64.b64decode(b["base64"]) if isinstance(b, dict) else b.encode()

def hdr(f, name):
    return next((v for k, v in f.get("headers", []) if k == name), None)

def check(name, ok, detail=""):
    global failed
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f"  -- {detail}"))
    if not ok:
        failed += 1

f = policy("enforce")
b = body(f) or b""
check("enforce: upstream 200", f.get("status") == 200, f)
check("enforce: body is the policy", b.startswith(b"version: STSv1") and b"mode: enforce" in b, b[:80])
check("enforce: content-type kept", (hdr(f, "content-type") or "").startswith("text/plain"), f.get("headers"))
check("enforce: only kept headers", all(k in ("content-type", "content-length", "cache-control", "server", "location",
      "content-encoding", "last-modified", "cf-ray", "cf-mitigated") for k, _ in f["headers"]), f["headers"])
check("enforce: not truncated, no error", f.get("truncated") is False and "error" not in f, f)
check("enforce: url", f.get("url") == "https://mta-sts.enforce.mtasts.test/.well-known/mta-sts.txt", f.get("url"))

f = policy("policy-404")
check("policy-404: upstream 404 kept", f.get("status") == 404, f)

for s, code in (("redirect-301", 301), ("redirect-302", 302)):
    f = policy(s)
    check(f"{s}: {code} not followed", f.get("status") == code, f)
    check(f"{s}: location kept", (hdr(f, "location") or "").startswith(f"https://www.{s}.mtasts.test/"), f.get("headers"))

for s in ("too-large", "endless"):
    f = policy(s)
    n = len(body(f) or b"")
    check(f"{s}: truncated at 64 KiB", f.get("truncated") is True and n == 65536, f"truncated={f.get('truncated')} len={n} error={f.get('error')}")

f = policy("ua-blocked")
check("ua-blocked: MTA user agent gets 403", f.get("status") == 403, f.get("status"))
f = policy("ua-blocked", "&ua=browser")
check("ua-blocked: ua=browser gets 200", f.get("status") == 200, f.get("status"))

f = policy("bom")
check("bom: raw bytes kept", (body(f) or b"").startswith(b"\xef\xbb\xbfversion"), (body(f) or b"")[:10])

for q, what in (("", "no domain"), ("?domain=10.0.0.1", "IP address"), ("?domain=a..b", "empty label"),
                ("?domain=x.com&ua=curl", "bad ua"), ("?domain=%zz", "bad percent-encoding")):
    status, headers, raw = get("/api/policy" + q)
    try:
        err = json.loads(raw).get("error")
    except ValueError:
        err = None
    check(f"bad input ({what}): 400 JSON error", status == 400 and isinstance(err, str) and err, f"{status} {raw[:120]!r}")
    check(f"bad input ({what}): CORS", headers.get("access-control-allow-origin") == "*", headers)

# The app and the widgets, served from dist/ as static assets.
import re
status, headers, raw = get("/widget.js")
check("widget.js: 200 JavaScript with CORS", status == 200 and "javascript" in headers.get("content-type", "")
      and headers.get("access-control-allow-origin") == "*", (status, headers))
m = re.search(rb"widget-[0-9a-f]{16}_bg\.wasm", raw)
check("widget.js names its content-hashed wasm", m is not None, raw[:200])
if m:
    status, headers, wasm = get("/" + m.group(0).decode())
    check("widget wasm: 200 application/wasm, CORS, cached for good",
          status == 200 and headers.get("content-type") == "application/wasm"
          and headers.get("access-control-allow-origin") == "*" and "immutable" in headers.get("cache-control", ""),
          (status, headers))
    check("widget wasm: a wasm module", wasm[:4] == b"\0asm", wasm[:8])
status, headers, raw = get("/")
check("/: the app", status == 200 and "text/html" in headers.get("content-type", "") and b"mtasts" in raw,
      (status, headers.get("content-type")))
status, _, raw = get("/embed-demo.html")
check("/embed-demo.html: the demo page", status == 200 and b"<mtasts-check" in raw, status)
status, _, _ = get("/widget.js.br")
check("precompressed copies are not uploaded", status == 404, status)

status, headers, _ = get("/api/policy?domain=enforce.mtasts.test", method="OPTIONS")
check("OPTIONS: 204 + CORS", status == 204 and "GET" in headers.get("access-control-allow-methods", ""), (status, headers))
status, _, _ = get("/nope")
check("other path: 404", status == 404, status)

ua_ok = False
with open(os.environ["MTASTS_TESTBED_ACCESS_LOG"], errors="replace") as log:
    for line in log:
        if "mta-sts.enforce.mtasts.test" in line and "/.well-known/mta-sts.txt" in line:
            ua_ok = ua_ok or line.rstrip("\n").endswith("mtasts-policy-fetcher/0.1 (MTA-STS, RFC 8461)")
check("enforce: nginx saw the MTA user agent", ua_ok, "see $MTASTS_TESTBED_ACCESS_LOG")

f = policy("slow")
e = f.get("error") or {}
check("slow: cut at the 20 s timeout, class timeout", "status" not in f and e.get("class") == "timeout", f)

# Failures before any response: workerd gives no typed error, only text.
print("-- errors as workerd reports them (class from classify_error_text):")
expect = {"refused": "connection-refused", "not-tls": "tls", "cert-expired": "tls-expired",
          "cert-wrong-host": "tls-hostname", "cert-untrusted": "tls-untrusted", "no-address": "no-address"}
for s, want in expect.items():
    f = policy(s)
    e = f.get("error") or {}
    check(f"{s}: no response, an error", "status" not in f and bool(e), f)
    check(f"{s}: class is the native one or tls with the runtime's text",
          e.get("class") == want or (e.get("class") == "tls" and "does not say" in e.get("message", "")), e)
    mark = "same" if e.get("class") == want else f"native says {want}"
    print(f"     {s:16} class={e.get('class')!s:20} ({mark}) message={e.get('message')!r}")

# The MX STARTTLS probe: Workers cannot open port 25, and say so.
status, headers, raw = get("/api/mx-tls?domain=mx-tls-ok.mtasts.test")
try:
    mx = json.loads(raw)
except ValueError:
    mx = {}
check("/api/mx-tls: 501 JSON, unavailable port-25, CORS", status == 501 and mx.get("unavailable") == "port-25"
      and headers.get("access-control-allow-origin") == "*", (status, raw[:200]))
check("/api/mx-tls: says it in words", str(mx.get("error", "")).startswith(
      "MX certificates not checked: this proxy cannot reach port 25"), mx)
status, headers, _ = get("/api/mx-tls?domain=mx-tls-ok.mtasts.test", method="OPTIONS")
check("/api/mx-tls OPTIONS: 204 + CORS", status == 204 and headers.get("access-control-allow-origin") == "*", (status, headers))

# API edges: JSON 404 and 405 with CORS; HEAD refused before any fetch.
status, headers, raw = get("/api/nope")
check("unknown /api/ path: JSON 404 with CORS", status == 404 and b'"error"' in raw
      and headers.get("access-control-allow-origin") == "*", (status, raw[:120]))
for m in ("POST", "HEAD"):
    status, headers, raw = get("/api/policy?domain=enforce.mtasts.test", method=m)
    check(f"{m}: 405 with Allow and CORS", status == 405 and headers.get("allow") == "GET, OPTIONS"
          and headers.get("access-control-allow-origin") == "*", (status, headers))

# Last, as it uses up this client's budget: the rate-limiting binding
# answers 429 with Retry-After within 60 more requests.
limited = None
for _ in range(61):
    status, headers, raw = get("/api/policy?domain=a..b")
    if status == 429:
        limited = (headers, raw)
        break
check("rate limit: 429 within the minute's budget", limited is not None, "never limited")
if limited:
    headers, raw = limited
    check("rate limit: Retry-After, CORS, JSON", headers.get("retry-after") == "60"
          and headers.get("access-control-allow-origin") == "*" and b'"error"' in raw, (headers, raw[:120]))

sys.exit(1 if failed else 0)
PY
rc=$?
set -e
if [ "$rc" != 0 ]; then
    echo "---- wrangler log" >&2
    tail -40 "$log" >&2
fi
echo "test.sh: $([ "$rc" = 0 ] && echo PASS || echo FAIL)"
exit "$rc"
