//! Browser-side logic of the web app, run in headless Chromium with
//! wasm-bindgen-test: localStorage round trips, DoH request building, routes,
//! kind detection, HTML escaping and the resolver fallback.
//! Run with `tests/wasm/run.sh` (see tests/e2e/README.md).
#![cfg(target_arch = "wasm32")]

use base64::Engine;
use mtasts::sts::dns::RecordType;
use mtasts::sts::lint::Kind;
use mtasts::sts::report::{Body, DnsStatus, Fetch, Previous};
use mtasts::ui::route::{Route, View};
use mtasts::ui::storage::{self, History, Settings};
use mtasts::ui::{html, json, linter, net};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn history_round_trips_through_local_storage() {
    storage::remove(storage::HISTORY_KEY);
    assert_eq!(storage::load_history(), History::default());
    let mut h = History::default();
    h.touch("a.test");
    h.touch("b.test");
    h.touch("a.test");
    assert_eq!(h.recent, ["a.test", "b.test"]);
    h.previous.insert(
        "a.test".into(),
        Previous {
            id: "20240101".into(),
            body: Body(b"version: STSv1\r\nmode: enforce\r\n".to_vec()),
        },
    );
    // A body that is not UTF-8 must come back byte for byte (base64 in JSON).
    h.previous.insert(
        "b.test".into(),
        Previous {
            id: "x1".into(),
            body: Body(vec![0xef, 0xbb, 0xbf, 0xff, b'v']),
        },
    );
    assert!(storage::save_history(&h));
    let raw = storage::get_raw(storage::HISTORY_KEY).unwrap();
    assert!(raw.contains("\"base64\""), "{raw}");
    assert_eq!(storage::load_history(), h);
}

#[wasm_bindgen_test]
fn recent_domains_are_capped() {
    let mut h = History::default();
    for i in 0..25 {
        h.touch(&format!("d{i}.test"));
    }
    assert_eq!(h.recent.len(), storage::RECENT_MAX);
    assert_eq!(h.recent[0], "d24.test");
}

#[wasm_bindgen_test]
fn damaged_storage_falls_back_to_defaults() {
    storage::set_raw(storage::HISTORY_KEY, "{not json");
    assert_eq!(storage::load_history(), History::default());
    storage::set_raw(storage::SETTINGS_KEY, "{\"proxy\": 42}");
    assert_eq!(storage::load_settings(), Settings::default());
    storage::remove(storage::HISTORY_KEY);
    storage::remove(storage::SETTINGS_KEY);
}

#[wasm_bindgen_test]
fn settings_round_trip_and_urls() {
    let s = Settings {
        proxy: "https://proxy.test/".into(),
        resolvers: vec![" https://r1.test/dns-query ".into(), "".into()],
    };
    assert!(storage::save_settings(&s));
    assert_eq!(storage::load_settings(), s);
    assert_eq!(s.resolvers(), ["https://r1.test/dns-query"]);
    assert_eq!(
        s.policy_url("example.com", true),
        "https://proxy.test/api/policy?domain=example.com&ua=browser"
    );
    let d = Settings::default();
    assert_eq!(
        d.policy_url("example.com", false),
        "/api/policy?domain=example.com"
    );
    assert_eq!(d.resolvers()[0], "https://cloudflare-dns.com/dns-query");
    // An emptied list means the defaults, not "no DNS".
    let empty = Settings {
        proxy: String::new(),
        resolvers: vec![],
    };
    assert_eq!(empty.resolvers(), d.resolvers());
    storage::remove(storage::SETTINGS_KEY);
}

#[wasm_bindgen_test]
fn doh_get_url_follows_rfc8484() {
    let url = net::doh_url(
        "https://dns.test/dns-query",
        "_mta-sts.example.com",
        RecordType::Txt,
    )
    .unwrap();
    let (base, param) = url.split_once("?dns=").unwrap();
    assert_eq!(base, "https://dns.test/dns-query");
    // base64url without padding (RFC 8484 §4.1, §6).
    assert!(!param.contains(['=', '+', '/']), "{param}");
    let msg = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(param)
        .unwrap();
    assert_eq!(&msg[0..2], &[0, 0], "ID 0 for HTTP caching");
    assert_eq!(&msg[4..6], &[0, 1], "one question");
    let qname: &[u8] = b"\x08_mta-sts\x07example\x03com\x00";
    assert_eq!(&msg[12..12 + qname.len()], qname);
    assert_eq!(&msg[12 + qname.len()..12 + qname.len() + 4], &[0, 16, 0, 1]);
    // An endpoint that already has a query string gets `&dns=`.
    let url = net::doh_url("https://dns.test/q?ct=x", "example.com", RecordType::Mx).unwrap();
    assert!(url.starts_with("https://dns.test/q?ct=x&dns="), "{url}");
}

#[wasm_bindgen_test]
async fn unreachable_resolvers_are_tried_in_turn() {
    let resolvers = vec![
        "http://127.0.0.1:9/dns-query".to_string(),
        "http://127.0.0.2:9/dns-query".to_string(),
    ];
    let (resolver, r) = net::resolve(&resolvers, "example.com", RecordType::Mx).await;
    let f = r.unwrap_err();
    assert_eq!(f.status, DnsStatus::Unreachable);
    assert!(
        f.detail.contains("127.0.0.1:9") && f.detail.contains("127.0.0.2:9"),
        "{}",
        f.detail
    );
    assert!(f.transport());
    assert_eq!(resolver, resolvers[1]);
}

#[wasm_bindgen_test]
fn proxy_json_reads_into_fetch() {
    let text = r#"{"url":"https://mta-sts.a.test/.well-known/mta-sts.txt","status":200,
        "headers":[["content-type","text/plain"]],"body":{"base64":"77u/dmVyc2lvbg=="},
        "truncated":false,"elapsed_ms":12,"addresses":["192.0.2.1"],
        "certificate":{"subject_names":["mta-sts.a.test"]}}"#;
    let f = net::read_fetch(text).unwrap();
    assert_eq!(f.status, Some(200));
    assert_eq!(f.header("Content-Type"), Some("text/plain"));
    assert_eq!(f.body_bytes(), b"\xef\xbb\xbfversion");
    assert_eq!(f.elapsed_ms, Some(12));
    // Wrong types are refused, naming the field.
    for (bad, field) in [
        (r#"{"status":"two hundred"}"#, "status"),
        (r#"{"status":70000}"#, "status"),
        (r#"{"status":200.5}"#, "status"),
        (r#"{"headers":[["a"]]}"#, "headers"),
        (r#"{"truncated":"no"}"#, "truncated"),
        (r#"{"error":{"class":"tls-broken","message":"x"}}"#, "error.class"),
        (r#"{"body":{"base64":"%%%"}}"#, "body"),
        (r#"{"addresses":"192.0.2.1"}"#, "addresses"),
    ] {
        let err = net::read_fetch(bad).unwrap_err();
        assert!(err.contains(field), "{bad}: {err}");
    }
    assert!(net::read_fetch("[1]").is_err());
    assert!(net::read_fetch("<html>").is_err());
    assert_eq!(
        net::read_refusal(r#"{"error":"not a domain"}"#).as_deref(),
        Some("not a domain")
    );
    assert_eq!(net::read_refusal("Bad Request"), None);
}

/// The proxy writes `Fetch` with serde (the server, the Worker); the app
/// reads it by hand. Every field, every error class, text and binary
/// bodies, and the minimal shape must come back equal.
#[wasm_bindgen_test]
fn proxy_json_reader_agrees_with_serde_on_every_field() {
    use mtasts::sts::report::{Certificate, FetchError, FetchErrorClass};
    let full = Fetch {
        url: "https://mta-sts.a.test/.well-known/mta-sts.txt".into(),
        status: Some(301),
        headers: vec![
            ("content-type".into(), "text/plain; charset=utf-8".into()),
            ("location".into(), "https://a.test/".into()),
        ],
        body: Some(Body(vec![0xef, 0xbb, 0xbf, 0xff, 0x00, b'v', 0x80])),
        truncated: true,
        error: None,
        elapsed_ms: Some(20_001),
        addresses: vec!["192.0.2.10".into(), "2001:db8::10".into()],
        certificate: Some(Certificate {
            subject_names: vec!["mta-sts.a.test".into(), "*.a.test".into()],
            issuer: Some("CN=Test CA".into()),
            not_before: Some("2026-01-01T00:00:00Z".into()),
            not_after: Some("2027-01-01T00:00:00Z".into()),
        }),
    };
    let mut cases = vec![
        full.clone(),
        Fetch::default(),
        Fetch {
            body: Some(Body(b"version: STSv1\r\nmode: enforce\r\n".to_vec())),
            ..full.clone()
        },
        Fetch {
            certificate: Some(Certificate::default()),
            ..Fetch::default()
        },
    ];
    for class in FetchErrorClass::ALL {
        cases.push(Fetch {
            status: None,
            body: None,
            error: Some(FetchError {
                class,
                message: format!("{} happened", class.as_str()),
            }),
            ..full.clone()
        });
    }
    for f in cases {
        let text = json::to_string(&f, false).unwrap();
        assert_eq!(net::read_fetch(&text).as_ref(), Ok(&f), "{text}");
        // And what serde itself reads from it.
        assert_eq!(json::from_str::<Fetch>(&text).as_ref(), Ok(&f), "{text}");
    }
}

#[wasm_bindgen_test]
fn routes_parse_and_print() {
    assert_eq!(
        Route::parse(""),
        Route {
            view: View::Checker,
            domain: None
        }
    );
    let r = Route::parse("?domain=B%C3%BCcher.example");
    assert_eq!(r.domain.as_deref(), Some("Bücher.example"));
    assert_eq!(r.search(), "?domain=B%C3%BCcher.example");
    assert_eq!(Route::parse("?view=generator").view, View::Generator);
    assert_eq!(Route::parse("?view=nope").view, View::Checker);
    assert_eq!(
        Route {
            view: View::Linter,
            domain: None
        }
        .search(),
        "?view=linter"
    );
}

#[wasm_bindgen_test]
fn kinds_are_detected() {
    assert_eq!(linter::detect("v=STSv1; id=1"), Kind::Txt);
    assert_eq!(linter::detect("  \"v=stsv1;id=1\""), Kind::Txt);
    assert_eq!(
        linter::detect("v=TLSRPTv1; rua=mailto:a@b.test"),
        Kind::Tlsrpt
    );
    assert_eq!(
        linter::detect("version: STSv1\nmode: testing\n"),
        Kind::Policy
    );
    assert_eq!(linter::detect("mode: enforce"), Kind::Policy);
}

#[wasm_bindgen_test]
fn html_escaping_keeps_crlf_and_defuses_markup() {
    assert_eq!(
        html::esc("<b a=\"x\">&'\r\n"),
        "&lt;b a=&quot;x&quot;&gt;&amp;&#39;&#13;\n"
    );
    let out = html::policy_body(b"version: STSv1\r\n<script>\r\n", &[]);
    assert!(!out.contains("<script>"));
    assert!(out.contains("CRLF"));
}

#[wasm_bindgen_test]
fn widget_settings_come_from_its_attributes_and_where_it_was_loaded() {
    use mtasts::ui::embed::Config;
    let c = Config {
        base: "https://checker.example.net/mtasts/".into(),
        ..Config::default()
    };
    // No attributes: the proxy and the app are where widget.js came from.
    assert_eq!(
        c.settings().policy_url("example.com", false),
        "https://checker.example.net/mtasts/api/policy?domain=example.com"
    );
    assert_eq!(c.settings().resolvers(), storage::DEFAULT_RESOLVERS);
    assert_eq!(
        c.permalink("xn--bcher-kva.example"),
        "https://checker.example.net/mtasts/?domain=xn--bcher-kva.example"
    );
    let c = Config {
        proxy: Some("https://proxy.example.org/".into()),
        resolver: Some(" https://a.example/dns-query,https://b.example/dns-query  ".into()),
        app: Some("https://app.example.org".into()),
        ..c
    };
    assert_eq!(
        c.settings().policy_url("example.com", true),
        "https://proxy.example.org/api/policy?domain=example.com&ua=browser"
    );
    assert_eq!(
        c.settings().resolvers(),
        ["https://a.example/dns-query", "https://b.example/dns-query"]
    );
    assert_eq!(c.app(), "https://app.example.org/");
    assert_eq!(c.permalink("a&b"), "https://app.example.org/?domain=a%26b");
}

#[wasm_bindgen_test]
fn mx_tls_answers_read_back_as_serde_wrote_them() {
    use mtasts::sts::mx_tls::{
        CertificateFacts, Probe, ProbeError, ProbeErrorClass, Reply, Session, Verification,
    };
    use mtasts::sts::proxy::MxTlsAnswer;
    let full = Probe {
        host: "mx1.a.test".into(),
        address: "2001:db8::25".into(),
        at: 1_750_000_000,
        elapsed_ms: 1_234,
        greeting: Some(Reply {
            code: 220,
            text: "mx1.a.test ESMTP".into(),
        }),
        starttls: Some(true),
        tls: Some(Session {
            version: "TLSv1.3".into(),
            cipher: "TLS13_AES_256_GCM_SHA384".into(),
        }),
        chain: vec![
            CertificateFacts {
                names: vec!["mx1.a.test".into(), "*.a.test".into()],
                subject: "CN=mx1.a.test".into(),
                issuer: "CN=Test CA".into(),
                not_before: -86_400,
                not_after: 1_760_000_000,
            },
            CertificateFacts::default(),
        ],
        verification: Some(Verification::NameMismatch),
        trusted: Some(false),
        error: None,
    };
    let mut probes = vec![full.clone(), Probe::default()];
    for v in Verification::ALL {
        probes.push(Probe {
            verification: Some(v),
            ..full.clone()
        });
    }
    for class in ProbeErrorClass::ALL {
        probes.push(Probe {
            error: Some(ProbeError {
                class,
                message: format!("{} happened", class.as_str()),
            }),
            ..full.clone()
        });
    }
    let answer = MxTlsAnswer {
        domain: "a.test".into(),
        probes,
        not_probed: vec!["mx11.a.test".into()],
    };
    let text = json::to_string(&answer, false).unwrap();
    assert_eq!(net::read_mx_tls(&text).as_ref(), Ok(&answer), "{text}");
    for (bad, field) in [
        (r#"{"probes":[{"address":"192.0.2.1"}]}"#, "host"),
        (r#"{"probes":[{"host":"m","verification":"fine"}]}"#, "verification"),
        (r#"{"probes":[{"host":"m","error":{"class":"oops"}}]}"#, "error.class"),
        (r#"{"probes":[{"host":"m","chain":[{"not_after":1.5}]}]}"#, "not_after"),
        (r#"{"probes":[{"host":"m","starttls":"yes"}]}"#, "starttls"),
        (r#"{"probes":{}}"#, "probes"),
    ] {
        let err = net::read_mx_tls(bad).unwrap_err();
        assert!(err.contains(field), "{bad}: {err}");
    }
    assert!(net::read_mx_tls("[]").is_err());
}
