//! What the CA signs and what it refuses, without any external tool.
use https_pki::{
    inspect, CaOptions, CertificateAuthority, Csr, Error, KeyType, PrivateKey, Profile,
    SubjectAltName, Validity,
};

fn ca() -> CertificateAuthority {
    CertificateAuthority::new_root(&CaOptions::root("Test CA")).unwrap()
}

fn csr_for(names: &[&str]) -> Csr {
    let key = PrivateKey::generate(KeyType::EcdsaP256).unwrap();
    let sans: Vec<SubjectAltName> = names.iter().map(|n| n.parse().unwrap()).collect();
    Csr::new(&key, names.first().copied().unwrap_or("no-san"), &sans).unwrap()
}

#[test]
fn a_csr_round_trips_through_pem_with_its_names() {
    let csr = csr_for(&[
        "www.example.test",
        "IP:192.0.2.1",
        "IP:2001:db8::1",
        "*.example.test",
    ]);
    let again = Csr::from_pem(&csr.to_pem()).unwrap();
    let names: Vec<String> = again
        .subject_alt_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    assert_eq!(
        names,
        [
            "DNS:www.example.test",
            "IP:192.0.2.1",
            "IP:2001:db8::1",
            "DNS:*.example.test"
        ]
    );
    assert_eq!(again.common_name(), Some("www.example.test"));
}

#[test]
fn a_tampered_csr_is_rejected() {
    let csr = csr_for(&["www.example.test"]);
    let mut der = csr.der().to_vec();
    // The last byte is inside the signature value.
    let last = der.len() - 1;
    der[last] ^= 0x01;
    assert!(matches!(Csr::from_der(&der), Err(Error::CsrSignature)));
    // Change one letter of the requested name: the signature no longer covers the content.
    let pos = der.windows(3).position(|w| w == b"www").unwrap();
    let mut der2 = csr.der().to_vec();
    der2[pos] = b'x';
    assert!(matches!(Csr::from_der(&der2), Err(Error::CsrSignature)));
}

#[test]
fn a_request_without_names_is_refused_by_policy() {
    let err = ca()
        .sign_csr(&csr_for(&[]), &Profile::server())
        .unwrap_err();
    assert!(err.is_policy(), "{err}");
    assert!(err.to_string().contains("subjectAltName"), "{err}");
}

#[test]
fn a_wildcard_over_a_whole_tld_is_refused() {
    let err = ca().issue(&["*.com"], &Profile::server()).unwrap_err();
    assert!(err.is_policy(), "{err}");
    // One label more is fine.
    ca().issue(&["*.example.com"], &Profile::server()).unwrap();
}

#[test]
fn malformed_names_are_rejected_before_signing() {
    for bad in [
        "exa_mple.com",
        "a..b",
        "-x.example",
        "*.*.example.com",
        "x.example.",
    ] {
        let err = ca().issue(&[bad], &Profile::server()).unwrap_err();
        assert!(matches!(err, Error::InvalidName { .. }), "{bad}: {err}");
    }
}

#[test]
fn name_constraints_limit_what_the_ca_signs() {
    let ca = CertificateAuthority::new_root(
        &CaOptions::root("Constrained").permit_dns("example.internal"),
    )
    .unwrap();
    ca.issue(
        &["a.example.internal", "example.internal"],
        &Profile::server(),
    )
    .unwrap();
    for outside in ["example.com", "badexample.internal", "10.0.0.1"] {
        let err = ca.issue(&[outside], &Profile::server()).unwrap_err();
        assert!(err.is_policy(), "{outside}: {err}");
    }
    // Tests of verifiers can still build the violating certificate on purpose.
    ca.issue(&["example.com"], &Profile::server().without_policy())
        .unwrap();
    // The constraint is in the certificate, IPs excluded.
    let d = inspect::describe(ca.cert_pem().as_bytes()).unwrap();
    let nc = d
        .extensions
        .iter()
        .find(|e| e.name == "nameConstraints")
        .unwrap();
    assert!(nc.critical);
    assert!(
        nc.value.contains("permitted: DNS:example.internal"),
        "{}",
        nc.value
    );
    assert!(nc.value.contains("IP:0.0.0.0/0"), "{}", nc.value);
}

#[test]
fn an_intermediate_ca_carries_its_chain() {
    let root = ca();
    let int = root
        .new_intermediate(&CaOptions::intermediate("Issuing CA"))
        .unwrap();
    assert!(!int.is_root());
    let leaf = int
        .issue(&["site.example.test"], &Profile::server())
        .unwrap();
    let chain = https_pki::certificates_from_pem(&leaf.fullchain_pem()).unwrap();
    assert_eq!(chain.len(), 2);
    assert_eq!(chain[1], int.cert_der());
    let d = inspect::describe(int.cert_pem().as_bytes()).unwrap();
    let bc = d
        .extensions
        .iter()
        .find(|e| e.name == "basicConstraints")
        .unwrap();
    assert_eq!(bc.value, "CA:TRUE, pathlen:0");
    assert!(d
        .extensions
        .iter()
        .any(|e| e.name == "authorityKeyIdentifier"));
    // A second-level intermediate's chain holds both intermediates, not the root.
    let int2 = int
        .new_intermediate(&CaOptions::intermediate("Second"))
        .unwrap();
    assert_eq!(
        https_pki::certificates_from_pem(&int2.chain_pem())
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn a_ca_reloads_from_pem_and_checks_its_key() {
    let root = ca();
    let again =
        CertificateAuthority::from_pem(&root.cert_pem(), &root.key().to_pkcs8_pem(), None).unwrap();
    assert!(again.is_root());
    again
        .issue(&["x.example.test"], &Profile::server())
        .unwrap();

    let other = PrivateKey::generate(KeyType::EcdsaP256).unwrap();
    let err =
        CertificateAuthority::from_pem(&root.cert_pem(), &other.to_pkcs8_pem(), None).unwrap_err();
    assert!(matches!(err, Error::KeyMismatch), "{err}");

    let leaf = root
        .issue(&["leaf.example.test"], &Profile::server())
        .unwrap();
    let err =
        CertificateAuthority::from_pem(&leaf.cert_pem, &leaf.key.to_pkcs8_pem(), None).unwrap_err();
    assert!(matches!(err, Error::NotCa(_)), "{err}");
}

#[test]
fn validity_and_serials_are_what_was_asked() {
    let root = ca();
    let past = time::OffsetDateTime::now_utc() - time::Duration::days(30);
    let expired = root
        .issue(
            &["old.example.test"],
            &Profile::server().validity(Validity::between(past, past + time::Duration::days(1))),
        )
        .unwrap();
    let d = inspect::describe(expired.cert_pem.as_bytes()).unwrap();
    assert!(d.expires_in_days.unwrap() < 0);
    assert!(d.to_string().contains("EXPIRED"));

    let fresh = inspect::describe(
        root.issue(&["a.example.test"], &Profile::server())
            .unwrap()
            .cert_pem
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(fresh.expires_in_days, Some(397));
    let other = inspect::describe(
        root.issue(&["a.example.test"], &Profile::server())
            .unwrap()
            .cert_pem
            .as_bytes(),
    )
    .unwrap();
    // 16-byte random serials: two issuances never collide, and carry >= 64 bits.
    assert_ne!(fresh.serial, other.serial);
    assert_eq!(fresh.serial.as_ref().unwrap().split(':').count(), 16);
}

#[test]
fn leaf_extensions_follow_the_profile_and_key_type() {
    let root = ca();
    let server = root
        .issue(
            &["s.example.test"],
            &Profile::server().key_type(KeyType::Rsa2048),
        )
        .unwrap();
    let d = inspect::describe(server.cert_pem.as_bytes()).unwrap();
    let ku = d.extensions.iter().find(|e| e.name == "keyUsage").unwrap();
    assert_eq!(ku.value, "digitalSignature, keyEncipherment");
    assert!(ku.critical);
    let eku = d
        .extensions
        .iter()
        .find(|e| e.name == "extendedKeyUsage")
        .unwrap();
    assert_eq!(eku.value, "serverAuth");

    let client = root
        .issue(
            &["alice.example.test"],
            &Profile::client().key_type(KeyType::Ed25519),
        )
        .unwrap();
    let d = inspect::describe(client.cert_pem.as_bytes()).unwrap();
    let eku = d
        .extensions
        .iter()
        .find(|e| e.name == "extendedKeyUsage")
        .unwrap();
    assert_eq!(eku.value, "clientAuth");
    let ku = d.extensions.iter().find(|e| e.name == "keyUsage").unwrap();
    assert_eq!(ku.value, "digitalSignature");
}

#[test]
fn unusual_cas_can_be_built_for_verifier_tests() {
    let root = ca();
    let mut opts = CaOptions::intermediate("Not a CA");
    opts.is_ca = false;
    let fake = root.new_intermediate(&opts).unwrap();
    let d = inspect::describe(fake.cert_pem().as_bytes()).unwrap();
    assert_eq!(d.is_ca, Some(false));
    // It can still sign, so a verifier has something to reject.
    fake.issue(&["victim.example.test"], &Profile::server())
        .unwrap();
}

#[test]
fn inspect_describes_keys_csrs_and_bundles() {
    let key = PrivateKey::generate(KeyType::EcdsaP384).unwrap();
    let d = inspect::describe(key.to_pkcs8_pem().as_bytes()).unwrap();
    assert_eq!(d.kind, inspect::Kind::PrivateKey);
    assert_eq!(d.public_key_sha256, key.public_key_fingerprint());
    let d = inspect::describe(key.public_key_pem().as_bytes()).unwrap();
    assert_eq!(d.kind, inspect::Kind::PublicKey);
    assert_eq!(d.key.to_string(), "ECDSA P-384");

    let csr = Csr::new(&key, "k", &["k.example.test".parse().unwrap()]).unwrap();
    let d = inspect::describe(csr.to_pem().as_bytes()).unwrap();
    assert_eq!(d.self_signature_valid, Some(true));
    assert_eq!(d.public_key_sha256, key.public_key_fingerprint());
    // DER works too.
    assert_eq!(
        inspect::describe(csr.der()).unwrap().kind,
        inspect::Kind::CertificateRequest
    );

    let root = ca();
    let int = root
        .new_intermediate(&CaOptions::intermediate("I"))
        .unwrap();
    let leaf = int.issue(&["b.example.test"], &Profile::server()).unwrap();
    let all = inspect::describe_all(leaf.fullchain_pem().as_bytes()).unwrap();
    assert_eq!(all.len(), 2);
    let json = serde_json::to_value(&all[0]).unwrap();
    assert_eq!(json["kind"], "certificate");
    assert_eq!(json["subject_alt_names"][0], "DNS:b.example.test");
}

#[test]
fn broken_pem_is_reported_as_such() {
    let root = ca();
    let pem = root.cert_pem();
    let truncated = &pem[..pem.len() / 2];
    assert!(matches!(
        inspect::describe(truncated.as_bytes()),
        Err(Error::BadPem(_))
    ));
    let corrupt = pem.replacen("MII", "M!I", 1);
    assert!(inspect::describe(corrupt.as_bytes()).is_err());
    assert!(matches!(inspect::describe(b"hello"), Err(Error::BadPem(_))));
    let err = Csr::from_pem(&pem).unwrap_err();
    assert!(matches!(err, Error::WrongLabel { .. }), "{err}");
    let err = PrivateKey::from_pem(
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
    )
    .unwrap_err();
    assert!(err.to_string().contains("encrypted"), "{err}");
}

#[test]
fn combined_pem_files_and_parent_only_chains_are_understood() {
    let root = ca();
    let int = root
        .new_intermediate(&CaOptions::intermediate("I"))
        .unwrap();
    // Certificate and key in one file (as some servers keep them): each reader finds its block.
    let combined = format!("{}{}", int.cert_pem(), &*int.key().to_pkcs8_pem());
    let key = PrivateKey::from_pem(&combined).unwrap();
    assert_eq!(key.public_key_der(), int.key().public_key_der());
    // A chain file that holds only the parents still yields leaf + intermediate.
    let parents_only = CertificateAuthority::from_pem(
        &int.cert_pem(),
        &int.key().to_pkcs8_pem(),
        Some(&root.cert_pem()),
    )
    .unwrap();
    assert_eq!(
        https_pki::certificates_from_pem(&parents_only.chain_pem()).unwrap()[0],
        int.cert_der()
    );
}
