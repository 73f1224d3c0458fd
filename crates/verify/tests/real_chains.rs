//! Real web PKI chains (the 14 `online::` cases of x509-limbo: google.com, apple.com, ...) verify
//! both against the suite's roots and against the system store, at the time they were captured.
//! Skips with a reason when the shared suite or the system bundle is absent.

use https_verify::{verify_with_report, Request, ServerName, TrustAnchors};

const LIMBO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/x509-limbo/limbo.json"
);

fn der(pem_text: &str) -> Vec<u8> {
    pem::parse(pem_text).expect("PEM").into_contents()
}

#[test]
fn online_chains_verify_against_suite_roots_and_system_store() {
    let Ok(text) = std::fs::read(LIMBO) else {
        eprintln!("skipped: {LIMBO} not found");
        return;
    };
    let suite: serde_json::Value = serde_json::from_slice(&text).expect("limbo.json");
    let system = TrustAnchors::system().ok();
    if system.is_none() {
        eprintln!(
            "note: no system bundle at {}; checking suite roots only",
            https_verify::SYSTEM_BUNDLE
        );
    }
    let mut checked = 0;
    for case in suite["testcases"].as_array().expect("testcases") {
        let id = case["id"].as_str().unwrap_or_default();
        if !id.starts_with("online::") {
            continue;
        }
        let time = case["validation_time"].as_str().expect("time");
        let time =
            time::OffsetDateTime::parse(time, &time::format_description::well_known::Rfc3339)
                .expect("RFC 3339")
                .unix_timestamp();
        let leaf = der(case["peer_certificate"].as_str().expect("peer"));
        let inters: Vec<Vec<u8>> = case["untrusted_intermediates"]
            .as_array()
            .expect("intermediates")
            .iter()
            .map(|p| der(p.as_str().expect("PEM")))
            .collect();
        let inter_refs: Vec<&[u8]> = inters.iter().map(|c| c.as_slice()).collect();
        let name = ServerName::parse(case["expected_peer_name"]["value"].as_str().expect("name"))
            .expect("name");
        let roots: Vec<Vec<u8>> = case["trusted_certs"]
            .as_array()
            .expect("roots")
            .iter()
            .map(|p| der(p.as_str().expect("PEM")))
            .collect();
        let suite_roots = TrustAnchors::from_der_list(&roots).expect("roots");
        for anchors in std::iter::once(&suite_roots).chain(system.as_ref()) {
            let req = Request::new(&leaf, anchors, time)
                .intermediates(&inter_refs)
                .name(&name);
            let (report, result) = verify_with_report(&req);
            assert!(result.is_ok(), "{id}:\n{report}");
        }
        checked += 1;
    }
    assert_eq!(checked, 14, "online cases in the suite");
}
