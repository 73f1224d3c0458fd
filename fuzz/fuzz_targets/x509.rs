//! Certificate parse + path validation (https-verify) against a fixed anchor set at a fixed time,
//! and the report. Input: a script (see `src/script.rs`) whose operations are DER blobs: the first
//! is the end entity, the rest intermediates (any order); the settings byte picks the purpose, the
//! name and a depth limit. Checked: the fast path and the reporting path give the same verdict; the
//! report agrees with it (valid flag, error kind, a path when valid), every rejection maps to a
//! certificate alert; rendering the report
//! as text and JSON never fails.
#![no_main]

use std::sync::OnceLock;

use https_kit_fuzz::fixtures::{der, LIMBO_ANCHORS_PEM, NOW, RFC8448_SERVER_PEM, ROOT_PEM};
use https_kit_fuzz::script::Script;
use https_verify::{verify_chain, verify_with_report, Purpose, Request, ServerName, TrustAnchors};

fn anchors() -> &'static TrustAnchors {
    static A: OnceLock<TrustAnchors> = OnceLock::new();
    A.get_or_init(|| {
        // Ours, RFC 8448's self-signed certificate, and the anchors of the limbo cases in the seeds.
        let mut a = TrustAnchors::from_pem(LIMBO_ANCHORS_PEM.as_bytes()).unwrap_or_default();
        for pem in [ROOT_PEM, RFC8448_SERVER_PEM] {
            a.add_der(&der(pem)).expect("fixture anchor");
        }
        a
    })
}

const NAMES: [&str; 4] = ["fuzz.test", "127.0.0.1", "rsa", "a.b.example"];

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let script = Script::parse(data);
    let Some(((_, leaf), rest)) = script.ops.split_first() else {
        return;
    };
    let intermediates: Vec<&[u8]> = rest.iter().map(|(_, d)| *d).collect();
    let s = script.settings;
    let name = ServerName::parse(NAMES[usize::from(s) % NAMES.len()]).expect("fixed names parse");
    let purpose = if s & 0x04 != 0 {
        Purpose::Client
    } else {
        Purpose::Server
    };
    // Before the fixtures were issued, inside their validity, and RFC 8448's own time.
    let time = [NOW, 1_700_000_000, 1_651_826_546][usize::from(s >> 3) % 3];
    let mut req = Request::new(leaf, anchors(), time)
        .intermediates(&intermediates)
        .purpose(purpose);
    if s & 0x20 == 0 {
        req = req.name(&name);
    }
    if s & 0x40 != 0 {
        req = req.max_depth(usize::from(s & 3));
    }

    let fast = verify_chain(&req);
    let (report, slow) = verify_with_report(&req);
    assert_eq!(
        format!("{fast:?}"),
        format!("{slow:?}"),
        "fast path and report give the same verdict"
    );
    assert_eq!(report.valid, slow.is_ok(), "report.valid is the verdict");
    match &slow {
        Ok(_) => {
            assert!(report.error.is_none(), "a valid report carries no error");
            assert!(
                report.path.len() >= 2,
                "a valid chain names its path to an anchor"
            );
        }
        Err(e) => {
            let info = report
                .error
                .as_ref()
                .expect("an invalid report carries its error");
            assert_eq!(info.kind, e.kind(), "report error kind");
            // Every rejection maps to a certificate alert a handshake would send.
            let alert = https_handshake::certificate_alert(e);
            assert_ne!(alert.to_u8(), 0, "a rejection is never close_notify");
        }
    }
    let _ = report.to_string();
    let _ = report.to_json();
    let _ = https_verify::end_entity_spki(leaf).map(|spki| https_verify::spki_key_kind(&spki));
});
