//! The CA (https-pki) and the validator (https-verify) judge names under name constraints by
//! the same rule (https-pkix): what the CA's policy refuses to sign, the validator rejects when
//! it is signed anyway, and what the CA signs, the validator accepts.

use https_pki::{CaOptions, CertificateAuthority, Error, Profile};
use https_verify::{verify_chain, Request, ServerName, TrustAnchors, VerifyError};

/// A root made by rcgen with the given DNS subtrees (pki refuses to write malformed ones),
/// loaded into https-pki as a CA.
fn root_with(permitted: &[&str], excluded: &[&str]) -> CertificateAuthority {
    let key = rcgen::KeyPair::generate().expect("key");
    let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    p.distinguished_name
        .push(rcgen::DnType::CommonName, "Constrained Root");
    p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    p.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    let dns = |names: &[&str]| {
        names
            .iter()
            .map(|n| rcgen::GeneralSubtree::DnsName(n.to_string()))
            .collect()
    };
    p.name_constraints = Some(rcgen::NameConstraints {
        permitted_subtrees: dns(permitted),
        excluded_subtrees: dns(excluded),
    });
    let cert = p.self_signed(&key).expect("root");
    CertificateAuthority::from_pem(&cert.pem(), &key.serialize_pem(), None).expect("load CA")
}

/// What the CA's policy says, and what the validator says of the same name signed without
/// policy. `Ok` = certified / valid.
fn judge(ca: &CertificateAuthority, name: &str) -> (Result<(), Error>, Result<(), VerifyError>) {
    let policy = ca.issue(&[name], &Profile::server()).map(|_| ());
    let leaf = ca
        .issue(&[name], &Profile::server().without_policy())
        .expect("issue without policy");
    let anchors = TrustAnchors::from_der_list([ca.cert_der()]).expect("anchors");
    // A wildcard is checked with a name it stands for.
    let expected = ServerName::parse(&name.replacen('*', "x", 1)).expect("name");
    let verdict = verify_chain(
        &Request::new(&leaf.cert_der, &anchors, https_verify::unix_now()).name(&expected),
    )
    .map(|_| ());
    (policy, verdict)
}

fn assert_agree(ca: &CertificateAuthority, name: &str, certified: bool) {
    let (policy, verdict) = judge(ca, name);
    assert_eq!(policy.is_ok(), certified, "CA on {name}: {policy:?}");
    assert_eq!(
        verdict.is_ok(),
        certified,
        "validator on {name}: {verdict:?}"
    );
    if let (Err(p), Err(v)) = (&policy, &verdict) {
        assert!(p.is_policy(), "{name}: {p}");
        assert!(
            matches!(v, VerifyError::NameConstraintViolation { .. }),
            "{name}: {v}"
        );
    }
}

#[test]
fn leading_period_dns_constraint_is_refused_by_ca_and_rejected_by_validator() {
    // RFC 5280 §4.2.1.10 (and x509-limbo rfc5280::nc::invalid-dnsname-leading-period): a DNS
    // constraint is a DNS name; `.example.com` is malformed, not "strictly below".
    let refused = CertificateAuthority::new_root(
        &CaOptions::root("Leading Period").permit_dns(".example.com"),
    );
    assert!(
        matches!(refused, Err(Error::InvalidName { .. })),
        "{refused:?}"
    );
    // Nor is a wildcard a constraint the validator accepts.
    let wildcard =
        CertificateAuthority::new_root(&CaOptions::root("Wildcard").permit_dns("*.example.com"));
    assert!(
        matches!(wildcard, Err(Error::InvalidName { .. })),
        "{wildcard:?}"
    );
    let ca = root_with(&[".example.com"], &[]);
    for name in [
        "a.example.com",
        "example.com",
        "*.example.com",
        "a.example.org",
    ] {
        assert_agree(&ca, name, false);
    }
}

#[test]
fn permitted_subtree_is_judged_the_same_on_both_sides() {
    let ca =
        CertificateAuthority::new_root(&CaOptions::root("Example Only").permit_dns("example.com"))
            .expect("root");
    for (name, certified) in [
        ("example.com", true),
        ("a.example.com", true),
        ("a.b.example.com", true),
        ("*.example.com", true),
        ("badexample.com", false),
        ("example.org", false),
        ("com", false),
    ] {
        assert_agree(&ca, name, certified);
    }
}

#[test]
fn excluded_subtree_covers_every_name_a_wildcard_stands_for() {
    // `*.example.com` stands for bar.example.com too, which is excluded (CVE-2025-61727).
    let ca = root_with(&["example.com"], &["bar.example.com"]);
    assert_agree(&ca, "*.example.com", false);
    assert_agree(&ca, "bar.example.com", false);
    assert_agree(&ca, "foo.example.com", true);
}
