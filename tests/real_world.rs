//! Real policy files and DNS records published by real domains
//! (tests/fixtures/real-world, provenance in SOURCES.md), mistakes included.
//! expected.tsv says, for each file, whether it is valid and which codes the
//! mistakes described in SOURCES.md must produce.

use std::collections::BTreeSet;

use mtasts::sts::lint::{lint, Kind};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/real-world");

#[test]
fn every_real_world_policy_gets_the_expected_verdict_and_codes() {
    let table = std::fs::read_to_string(format!("{DIR}/expected.tsv")).unwrap();
    let mut listed = BTreeSet::new();
    let mut failures = Vec::new();
    for row in table.lines().skip(1) {
        let cols: Vec<&str> = row.split('\t').collect();
        let (file, valid) = (cols[0], cols[1] == "valid");
        let must: Vec<&str> = cols
            .get(2)
            .map(|c| c.split(',').filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        listed.insert(file.to_string());
        let body = std::fs::read(format!("{DIR}/policies/{file}")).unwrap();
        let result = lint(Kind::Policy, &body, None);
        let got: Vec<&str> = result.findings.iter().map(|f| f.code.as_str()).collect();
        if result.valid != valid || must.iter().any(|m| !got.contains(m)) {
            failures.push(format!(
                "{file}: valid={} codes={got:?}, expected valid={valid} with {must:?}",
                result.valid
            ));
        }
        // Every error finding must point at a place and say how to fix it.
        for f in result.findings.iter().filter(|f| f.is_error()) {
            assert!(!f.fix.is_empty() && !f.message.is_empty(), "{file}: {f:?}");
        }
    }
    let on_disk: BTreeSet<String> = std::fs::read_dir(format!("{DIR}/policies"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(listed, on_disk, "expected.tsv must list every fixture");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn real_world_records_lint_as_documented() {
    let raw = std::fs::read_to_string(format!("{DIR}/records.json")).unwrap();
    let records: Vec<serde_json::Value> = serde_json::from_str(&raw).unwrap();
    assert_eq!(records.len(), 25);
    for r in &records {
        let value = r["value"].as_str().unwrap();
        let kind = match r["kind"].as_str().unwrap() {
            "txt" => Kind::Txt,
            _ => Kind::Tlsrpt,
        };
        let result = lint(kind, value.as_bytes(), None);
        // The one documented mistake: a TLS-RPT record without rua.
        let expect_valid = value != "v=TLSRPTv1;";
        assert_eq!(result.valid, expect_valid, "{value}: {:?}", result.findings);
        if !expect_valid {
            assert!(result
                .findings
                .iter()
                .any(|f| f.code.as_str() == "tlsrpt-rua-missing"));
        }
    }
}
