//! Property test: on random chains made with https-pki (key types, validity windows, CA flags,
//! keyCertSign, pathLen, DNS name constraints, names, purposes), our verdict equals
//! rustls-webpki's.
//!
//! Known, deliberate differences are kept out of the generator and pinned by their own tests below:
//! trust anchors are always valid (we check an anchor's dates and extensions, webpki does not) and
//! issuers with a keyUsage always assert keyCertSign (RFC 5280 §4.2.1.3 requires it of an issuer;
//! webpki does not look at a CA's keyUsage).

use https_pki::time::{Duration, OffsetDateTime};
use https_pki::{CaOptions, CertificateAuthority, KeyType, PrivateKey, Profile, Validity};
use https_verify::{verify_chain, Purpose, Request, ServerName, TrustAnchors};
use proptest::prelude::*;
use rustls_pki_types::{CertificateDer, UnixTime};
use std::sync::OnceLock;

#[derive(Clone, Copy, Debug)]
enum Window {
    Valid,
    Expired,
    NotYetValid,
}

impl Window {
    fn validity(self) -> Validity {
        let now = OffsetDateTime::now_utc();
        match self {
            Window::Valid => Validity::between(now - Duration::days(1), now + Duration::days(30)),
            Window::Expired => Validity::between(now - Duration::days(30), now - Duration::days(1)),
            Window::NotYetValid => {
                Validity::between(now + Duration::days(1), now + Duration::days(30))
            }
        }
    }
}

fn window() -> impl Strategy<Value = Window> {
    prop_oneof![6 => Just(Window::Valid), 1 => Just(Window::Expired), 1 => Just(Window::NotYetValid)]
}

fn fast_key() -> impl Strategy<Value = KeyType> {
    prop_oneof![
        Just(KeyType::EcdsaP256),
        Just(KeyType::EcdsaP384),
        Just(KeyType::Ed25519)
    ]
}

#[derive(Clone, Debug)]
struct CaSpec {
    key: KeyType,
    window: Window,
    is_ca: bool,
    key_cert_sign: bool,
    path_len: Option<u8>,
    permit: Option<&'static str>,
}

fn ca_spec() -> impl Strategy<Value = CaSpec> {
    (
        fast_key(),
        window(),
        prop_oneof![9 => Just(true), 1 => Just(false)],
        Just(true),
        prop_oneof![Just(None), Just(Some(0u8)), Just(Some(1u8))],
        prop_oneof![4 => Just(None), 1 => Just(Some("example.com")), 1 => Just(Some("other.org"))],
    )
        .prop_map(
            |(key, window, is_ca, key_cert_sign, path_len, permit)| CaSpec {
                key,
                window,
                is_ca,
                key_cert_sign,
                path_len,
                permit,
            },
        )
}

#[derive(Clone, Debug)]
struct Case {
    root_key: Option<KeyType>, // None: the cached RSA-2048 root key
    root_path_len: Option<u8>,
    root_permit: Option<&'static str>,
    intermediates: Vec<CaSpec>,
    leaf_key: KeyType,
    leaf_window: Window,
    leaf_names: Vec<&'static str>,
    leaf_client: bool,
    query: &'static str,
    /// Ask for the leaf's first name (a wildcard becomes `x.` + base) instead of `query`.
    query_from_leaf: bool,
    verify_client: bool,
}

impl Case {
    fn query_name(&self) -> String {
        match (self.query_from_leaf, self.leaf_names.first()) {
            (true, Some(n)) => n
                .strip_prefix("*.")
                .map(|b| format!("x.{b}"))
                .unwrap_or_else(|| n.to_string()),
            _ => self.query.to_string(),
        }
    }
}

const NAMES: [&str; 6] = [
    "example.com",
    "www.example.com",
    "*.example.com",
    "a.other.org",
    "127.0.0.1",
    "::1",
];
const QUERIES: [&str; 7] = [
    "example.com",
    "www.example.com",
    "x.example.com",
    "a.other.org",
    "127.0.0.1",
    "::1",
    "b.other.org",
];

fn case() -> impl Strategy<Value = Case> {
    (
        prop_oneof![4 => fast_key().prop_map(Some), 1 => Just(None)],
        prop_oneof![Just(None), Just(Some(0u8)), Just(Some(1u8))],
        prop_oneof![4 => Just(None), 1 => Just(Some("example.com"))],
        proptest::collection::vec(ca_spec(), 0..=2),
        fast_key(),
        window(),
        proptest::sample::subsequence(NAMES.to_vec(), 1..=3),
        prop_oneof![5 => Just(false), 1 => Just(true)],
        (
            proptest::sample::select(QUERIES.to_vec()),
            prop_oneof![1 => Just(false), 2 => Just(true)],
        ),
        prop_oneof![5 => Just(false), 1 => Just(true)],
    )
        .prop_map(
            |(
                root_key,
                root_path_len,
                root_permit,
                intermediates,
                leaf_key,
                leaf_window,
                leaf_names,
                leaf_client,
                (query, query_from_leaf),
                verify_client,
            )| Case {
                root_key,
                root_path_len,
                root_permit,
                intermediates,
                leaf_key,
                leaf_window,
                leaf_names,
                leaf_client,
                query,
                query_from_leaf,
                verify_client,
            },
        )
}

fn rsa_root_key() -> PrivateKey {
    static PKCS8: OnceLock<Vec<u8>> = OnceLock::new();
    let der = PKCS8.get_or_init(|| {
        PrivateKey::generate(KeyType::Rsa2048)
            .expect("RSA key")
            .pkcs8_der()
            .to_vec()
    });
    PrivateKey::from_pkcs8_der(der).expect("cached RSA key")
}

struct Built {
    root: Vec<u8>,
    chain: Vec<Vec<u8>>, // leaf first
}

fn build(c: &Case) -> Built {
    let mut opts = CaOptions::root("Oracle Root");
    opts.path_len = c.root_path_len;
    if let Some(p) = c.root_permit {
        opts = opts.permit_dns(p);
    }
    let root = match c.root_key {
        Some(k) => CertificateAuthority::new_root(&opts.key_type(k)).expect("root"),
        None => CertificateAuthority::new_root_with_key(&opts, rsa_root_key()).expect("RSA root"),
    };
    let root_der = root.cert_der().to_vec();
    let mut issuer = root;
    let mut inter_ders = Vec::new();
    for (i, spec) in c.intermediates.iter().enumerate() {
        let mut o = CaOptions::intermediate(&format!("Oracle Intermediate {i}")).key_type(spec.key);
        o.validity = spec.window.validity();
        o.is_ca = spec.is_ca;
        o.key_cert_sign = spec.key_cert_sign;
        o.path_len = spec.path_len;
        if let Some(p) = spec.permit {
            o = o.permit_dns(p);
        }
        let next = issuer.new_intermediate(&o).expect("intermediate");
        inter_ders.push(next.cert_der().to_vec());
        issuer = next;
    }
    let profile = if c.leaf_client {
        Profile::client()
    } else {
        Profile::server()
    };
    let profile = profile
        .key_type(c.leaf_key)
        .validity(c.leaf_window.validity())
        .without_policy();
    let leaf = issuer.issue(&c.leaf_names, &profile).expect("leaf");
    let mut chain = vec![leaf.cert_der.clone()];
    // The TLS order: leaf, then its issuer, up towards the root.
    chain.extend(inter_ders.into_iter().rev());
    Built {
        root: root_der,
        chain,
    }
}

fn ours(b: &Built, c: &Case, now: i64) -> Result<(), String> {
    let anchors = TrustAnchors::from_der_list([&b.root]).map_err(|e| e.to_string())?;
    let inters: Vec<&[u8]> = b.chain[1..].iter().map(|c| c.as_slice()).collect();
    let name = ServerName::parse(&c.query_name()).map_err(|e| e.to_string())?;
    let purpose = if c.verify_client {
        Purpose::Client
    } else {
        Purpose::Server
    };
    let mut req = Request::new(&b.chain[0], &anchors, now)
        .intermediates(&inters)
        .purpose(purpose);
    if !c.verify_client {
        req = req.name(&name);
    }
    verify_chain(&req).map(|_| ()).map_err(|e| e.to_string())
}

fn theirs(b: &Built, c: &Case, now: i64) -> Result<(), String> {
    let root = CertificateDer::from(b.root.clone());
    let anchor = webpki::anchor_from_trusted_cert(&root).map_err(|e| format!("{e:?}"))?;
    let inters: Vec<CertificateDer<'static>> = b.chain[1..]
        .iter()
        .map(|c| CertificateDer::from(c.clone()))
        .collect();
    let leaf = CertificateDer::from(b.chain[0].clone());
    let ee = webpki::EndEntityCert::try_from(&leaf).map_err(|e| format!("{e:?}"))?;
    let t = UnixTime::since_unix_epoch(std::time::Duration::from_secs(now as u64));
    let usage = if c.verify_client {
        webpki::KeyUsage::client_auth()
    } else {
        webpki::KeyUsage::server_auth()
    };
    ee.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        &[anchor],
        &inters,
        t,
        usage,
        None,
        None,
    )
    .map_err(|e| format!("{e:?}"))?;
    if !c.verify_client {
        let name =
            rustls_pki_types::ServerName::try_from(c.query_name()).map_err(|e| format!("{e:?}"))?;
        ee.verify_is_valid_for_subject_name(&name)
            .map_err(|e| format!("{e:?}"))?;
    }
    Ok(())
}

/// 512 random chains; both verdicts must agree on each, and both outcomes must occur often
/// enough for the comparison to mean something.
#[test]
fn verdict_equals_webpki() {
    use proptest::test_runner::{Config, TestRunner};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let cases = 512;
    let accepted = AtomicUsize::new(0);
    let rejected = AtomicUsize::new(0);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&case(), |c| {
        let b = build(&c);
        let now = https_verify::unix_now();
        let a = ours(&b, &c, now);
        let w = theirs(&b, &c, now);
        prop_assert_eq!(
            a.is_ok(),
            w.is_ok(),
            "ours: {:?}\nwebpki: {:?}\ncase: {:?}",
            a,
            w,
            c
        );
        let counter = if a.is_ok() { &accepted } else { &rejected };
        counter.fetch_add(1, Ordering::Relaxed);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let (acc, rej) = (accepted.into_inner(), rejected.into_inner());
    eprintln!(
        "{} random chains: {acc} accepted, {rej} rejected, same verdict as rustls-webpki",
        acc + rej
    );
    assert!(
        acc >= 20 && rej >= 20,
        "generator too one-sided: {acc} accepted, {rej} rejected"
    );
}

/// A fixed, fully valid chain must pass both, so the property test is not vacuous.
#[test]
fn valid_chain_passes_both() {
    let c = Case {
        root_key: Some(KeyType::EcdsaP256),
        root_path_len: None,
        root_permit: Some("example.com"),
        intermediates: vec![CaSpec {
            key: KeyType::Ed25519,
            window: Window::Valid,
            is_ca: true,
            key_cert_sign: true,
            path_len: Some(0),
            permit: None,
        }],
        leaf_key: KeyType::EcdsaP384,
        leaf_window: Window::Valid,
        leaf_names: vec!["www.example.com", "*.example.com"],
        leaf_client: false,
        query: "x.example.com",
        query_from_leaf: false,
        verify_client: false,
    };
    let b = build(&c);
    let now = https_verify::unix_now();
    assert_eq!(ours(&b, &c, now), Ok(()));
    assert_eq!(theirs(&b, &c, now), Ok(()));
}

/// Deliberate difference: an intermediate whose keyUsage lacks keyCertSign may not issue.
#[test]
fn issuer_without_key_cert_sign_is_rejected_unlike_webpki() {
    let c = Case {
        root_key: Some(KeyType::EcdsaP256),
        root_path_len: None,
        root_permit: None,
        intermediates: vec![CaSpec {
            key: KeyType::EcdsaP256,
            window: Window::Valid,
            is_ca: true,
            key_cert_sign: false,
            path_len: None,
            permit: None,
        }],
        leaf_key: KeyType::EcdsaP256,
        leaf_window: Window::Valid,
        leaf_names: vec!["example.com"],
        leaf_client: false,
        query: "example.com",
        query_from_leaf: false,
        verify_client: false,
    };
    let b = build(&c);
    let now = https_verify::unix_now();
    let ours = ours(&b, &c, now);
    assert!(
        ours.as_ref().is_err_and(|e| e.contains("keyCertSign")),
        "{ours:?}"
    );
    assert_eq!(theirs(&b, &c, now), Ok(()));
}

/// Deliberate difference: an expired trust anchor is not trusted.
#[test]
fn expired_anchor_is_rejected_unlike_webpki() {
    let opts = CaOptions::root("Expired Root").validity(Window::Expired.validity());
    let root = CertificateAuthority::new_root(&opts).expect("root");
    let leaf = root
        .issue(&["example.com"], &Profile::server().without_policy())
        .expect("leaf");
    let b = Built {
        root: root.cert_der().to_vec(),
        chain: vec![leaf.cert_der.clone()],
    };
    let c = Case {
        root_key: Some(KeyType::EcdsaP256),
        root_path_len: None,
        root_permit: None,
        intermediates: vec![],
        leaf_key: KeyType::EcdsaP256,
        leaf_window: Window::Valid,
        leaf_names: vec!["example.com"],
        leaf_client: false,
        query: "example.com",
        query_from_leaf: false,
        verify_client: false,
    };
    let now = https_verify::unix_now();
    let ours = ours(&b, &c, now);
    assert!(
        ours.as_ref().is_err_and(|e| e.contains("expired")),
        "{ours:?}"
    );
    assert_eq!(theirs(&b, &c, now), Ok(()));
}
