//! What a user of the validator notices: verdicts, errors (their stable kinds), the report, and
//! path building through alternatives.

use https_pki::time::{Duration, OffsetDateTime};
use https_pki::{CaOptions, CertificateAuthority, KeyType, PrivateKey, Profile, Validity};
use https_verify::{
    end_entity_spki, verify_chain, verify_signature, verify_with_report, Check, Outcome, Purpose,
    Request, ServerName, SignatureAlgorithm, TrustAnchors, VerifyError,
};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};

fn now() -> i64 {
    https_verify::unix_now()
}

fn past() -> Validity {
    let n = OffsetDateTime::now_utc();
    Validity::between(n - Duration::days(30), n - Duration::days(2))
}

struct Pki {
    root: CertificateAuthority,
    inter: CertificateAuthority,
}

fn pki() -> Pki {
    let root = CertificateAuthority::new_root(&CaOptions::root("Behaviour Root")).expect("root");
    let inter = root
        .new_intermediate(&CaOptions::intermediate("Behaviour Intermediate"))
        .expect("inter");
    Pki { root, inter }
}

fn anchors(p: &Pki) -> TrustAnchors {
    TrustAnchors::from_der_list([p.root.cert_der()]).expect("anchors")
}

#[test]
fn valid_chain_reports_every_step_and_the_path() {
    let p = pki();
    let leaf = p
        .inter
        .issue(&["www.example.test", "192.0.2.7"], &Profile::server())
        .expect("leaf");
    let a = anchors(&p);
    let inters = [p.inter.cert_der()];
    let name = ServerName::parse("www.example.test").expect("name");
    let req = Request::new(&leaf.cert_der, &a, now())
        .intermediates(&inters)
        .name(&name);
    let (report, result) = verify_with_report(&req);
    let path = result.expect("valid");
    assert_eq!(path.intermediates, vec![0]);
    assert_eq!(path.anchor, 0);
    assert!(report.valid);
    assert_eq!(report.path.len(), 3, "{report}");
    // Two signatures checked, each with the algorithm, hash and TBS digest shown.
    let sigs: Vec<_> = report
        .steps
        .iter()
        .filter(|s| s.check == Check::Signature)
        .collect();
    assert_eq!(sigs.len(), 2, "{report}");
    for s in sigs {
        assert_eq!(s.outcome, Outcome::Pass);
        let d = s.signature.as_ref().expect("signature detail");
        assert_eq!(d.algorithm, "ecdsa-with-SHA256");
        assert_eq!(d.hash, "SHA-256");
        assert_eq!(d.tbs_digest.len(), 64);
    }
    let text = report.to_string();
    assert!(
        text.contains("✓ validity") && text.contains("✓ VALID"),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).expect("json");
    assert_eq!(json["valid"], true);
    assert_eq!(json["steps"][0]["check"], "parse");
    assert!(json["steps"]
        .as_array()
        .is_some_and(|s| s.iter().any(|s| s["signature"]["tbs_digest"].is_string())));

    // The IP SAN matches an IP name.
    let ip = ServerName::parse("192.0.2.7").expect("ip");
    assert!(verify_chain(&req.name(&ip)).is_ok());
}

#[test]
fn expired_leaf_is_rejected_with_certificate_expired() {
    let p = pki();
    let leaf = p
        .inter
        .issue(&["old.example.test"], &Profile::server().validity(past()))
        .expect("leaf");
    let a = anchors(&p);
    let inters = [p.inter.cert_der()];
    let (report, result) =
        verify_with_report(&Request::new(&leaf.cert_der, &a, now()).intermediates(&inters));
    let err = result.expect_err("expired");
    assert!(
        matches!(err, VerifyError::Expired { not_after_unix, .. } if not_after_unix < now()),
        "{err}"
    );
    assert_eq!(err.kind(), "expired");
    assert!(report.has_failed(Check::Validity));
    assert_eq!(
        report.error.as_ref().map(|e| e.kind.as_str()),
        Some("expired")
    );
    assert!(report.to_string().contains("✗ validity"));
}

#[test]
fn name_mismatch_lists_what_was_presented_and_ignores_the_cn() {
    let p = pki();
    let leaf = p
        .inter
        .issue(&["a.example.test", "*.b.example.test"], &Profile::server())
        .expect("leaf");
    let a = anchors(&p);
    let inters = [p.inter.cert_der()];
    let check = |host: &str| {
        let name = ServerName::parse(host).expect("name");
        verify_chain(
            &Request::new(&leaf.cert_der, &a, now())
                .intermediates(&inters)
                .name(&name),
        )
    };
    assert!(check("a.example.test").is_ok());
    assert!(check("x.b.example.test").is_ok());
    assert!(
        check("b.example.test").is_err(),
        "a wildcard does not match its own base"
    );
    assert!(
        check("y.x.b.example.test").is_err(),
        "a wildcard matches one label only"
    );
    match check("c.example.test") {
        Err(VerifyError::NameMismatch {
            expected,
            presented,
        }) => {
            assert_eq!(expected, "DNS:c.example.test");
            assert_eq!(
                presented,
                vec![
                    "DNS:a.example.test".to_string(),
                    "DNS:*.b.example.test".to_string()
                ]
            );
        }
        other => panic!("expected NameMismatch, got {other:?}"),
    }
}

#[test]
fn unknown_issuer_and_missing_intermediate() {
    let p = pki();
    let leaf = p
        .inter
        .issue(&["x.example.test"], &Profile::server())
        .expect("leaf");
    let a = anchors(&p);
    // Without the intermediate there is no path.
    let err = verify_chain(&Request::new(&leaf.cert_der, &a, now())).expect_err("no path");
    assert!(matches!(err, VerifyError::UnknownIssuer { .. }), "{err}");
    assert_eq!(err.kind(), "unknown_issuer");
    // A different root is not trusted.
    let other =
        CertificateAuthority::new_root(&CaOptions::root("Behaviour Root")).expect("other root");
    let wrong = TrustAnchors::from_der_list([other.cert_der()]).expect("anchors");
    let inters = [p.inter.cert_der()];
    let (report, result) =
        verify_with_report(&Request::new(&leaf.cert_der, &wrong, now()).intermediates(&inters));
    assert!(result.is_err());
    // Same name, different key: the signature (or key identifier) step says why.
    assert!(
        report.steps.iter().any(|s| s.outcome != Outcome::Pass),
        "{report}"
    );
}

#[test]
fn purpose_is_checked_with_eku() {
    let p = pki();
    let client = p
        .inter
        .issue(&["client.example.test"], &Profile::client())
        .expect("client cert");
    let a = anchors(&p);
    let inters = [p.inter.cert_der()];
    let base = Request::new(&client.cert_der, &a, now()).intermediates(&inters);
    assert!(verify_chain(&base.purpose(Purpose::Client)).is_ok());
    let err = verify_chain(&base.purpose(Purpose::Server)).expect_err("client cert used as server");
    assert!(matches!(err, VerifyError::ExtendedKeyUsage { .. }), "{err}");
}

/// rcgen directly: https-pki always makes a fresh key for a new CA, and this needs one key twice.
fn ca_params(cn: &str, not_after_days: i64) -> rcgen::CertificateParams {
    let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name.push(rcgen::DnType::CommonName, cn);
    p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    p.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign];
    p.use_authority_key_identifier_extension = true;
    let n = OffsetDateTime::now_utc();
    p.not_before = n - Duration::days(60);
    p.not_after = n + Duration::days(not_after_days);
    p
}

#[test]
fn path_building_skips_an_expired_intermediate_for_a_renewed_one() {
    let root_key = rcgen::KeyPair::generate().expect("key");
    let root_params = ca_params("Renewal Root", 365);
    let root = root_params.self_signed(&root_key).expect("root");
    let root_issuer = rcgen::Issuer::new(root_params, root_key);
    // Same name and key, two validity windows: the first one expired yesterday.
    let inter_key = rcgen::KeyPair::generate().expect("key");
    let old = ca_params("Renewed Intermediate", -1)
        .signed_by(&inter_key, &root_issuer)
        .expect("old");
    let new_params = ca_params("Renewed Intermediate", 365);
    let new = new_params.signed_by(&inter_key, &root_issuer).expect("new");
    let inter_issuer = rcgen::Issuer::new(new_params, inter_key);
    let leaf_key = rcgen::KeyPair::generate().expect("key");
    let mut lp =
        rcgen::CertificateParams::new(vec!["renewed.example.test".to_string()]).expect("params");
    lp.distinguished_name = rcgen::DistinguishedName::new();
    lp.distinguished_name
        .push(rcgen::DnType::CommonName, "renewed.example.test");
    lp.use_authority_key_identifier_extension = true;
    let leaf = lp.signed_by(&leaf_key, &inter_issuer).expect("leaf");

    let a = TrustAnchors::from_der_list([root.der()]).expect("anchors");
    let inters = [old.der().as_ref(), new.der().as_ref()];
    let (report, result) =
        verify_with_report(&Request::new(leaf.der(), &a, now()).intermediates(&inters));
    let path = result.unwrap_or_else(|e| panic!("{e}\n{report}"));
    assert_eq!(path.intermediates, vec![1], "{report}");
    assert!(
        report.has_failed(Check::Validity),
        "the expired candidate is reported:\n{report}"
    );
    // Without the renewed one, the error says why the only candidate failed.
    let only_old = [old.der().as_ref()];
    let err = verify_chain(&Request::new(leaf.der(), &a, now()).intermediates(&only_old))
        .expect_err("expired");
    assert!(matches!(err, VerifyError::Expired { .. }), "{err}");
}

#[test]
fn name_constraints_and_path_length_are_enforced() {
    let root = CertificateAuthority::new_root(&CaOptions::root("NC Root")).expect("root");
    let inter = root
        .new_intermediate(&CaOptions::intermediate("NC Intermediate").permit_dns("example.test"))
        .expect("inter");
    let a = TrustAnchors::from_der_list([root.cert_der()]).expect("anchors");
    let inters = [inter.cert_der()];
    let inside = inter
        .issue(&["in.example.test"], &Profile::server())
        .expect("inside");
    assert!(
        verify_chain(&Request::new(&inside.cert_der, &a, now()).intermediates(&inters)).is_ok()
    );
    let outside = inter
        .issue(&["evil.test"], &Profile::server().without_policy())
        .expect("outside");
    let err = verify_chain(&Request::new(&outside.cert_der, &a, now()).intermediates(&inters))
        .expect_err("NC");
    assert!(
        matches!(err, VerifyError::NameConstraintViolation { .. }),
        "{err}"
    );

    // pathLen 0 on the intermediate forbids another CA below it.
    let sub = inter
        .new_intermediate(&CaOptions::intermediate("Too Deep"))
        .expect("sub");
    let leaf = sub
        .issue(&["deep.example.test"], &Profile::server())
        .expect("leaf");
    let inters = [sub.cert_der(), inter.cert_der()];
    let err = verify_chain(&Request::new(&leaf.cert_der, &a, now()).intermediates(&inters))
        .expect_err("pathLen");
    assert!(
        matches!(
            err,
            VerifyError::PathLenExceeded {
                allowed: 0,
                found: 1,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn garbage_is_malformed_not_a_panic() {
    let a = TrustAnchors::new();
    for bytes in [&b""[..], b"\x30", b"\x30\x84\xff\xff\xff\xff", b"hello"] {
        let (report, result) = verify_with_report(&Request::new(bytes, &a, now()));
        assert!(matches!(result, Err(VerifyError::Malformed { .. })));
        assert!(report.has_failed(Check::Parse));
    }
    assert!(TrustAnchors::from_pem(b"not pem").is_err());
}

#[test]
fn tls_signature_schemes_verify_with_ring() {
    let rng = SystemRandom::new();
    let msg = b"TLS 1.3, server CertificateVerify\x00transcript hash";

    // ECDSA P-256 in a certificate from https-pki, checked through end_entity_spki.
    let p = pki();
    let issued = p
        .inter
        .issue(&["sig.example.test"], &Profile::server())
        .expect("leaf");
    let spki = end_entity_spki(&issued.cert_der).expect("spki");
    let pair = EcdsaKeyPair::from_pkcs8(
        &ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        issued.key.pkcs8_der(),
        &rng,
    )
    .expect("ring key");
    let sig = pair.sign(&rng, msg).expect("sign");
    let scheme = SignatureAlgorithm::EcdsaP256Sha256;
    assert_eq!(verify_signature(&spki, scheme, msg, sig.as_ref()), Ok(()));
    assert!(matches!(
        verify_signature(&spki, scheme, b"other", sig.as_ref()),
        Err(VerifyError::BadSignature { .. })
    ));
    // The curve is bound to the algorithm (as TLS 1.3 binds it to the scheme).
    assert!(matches!(
        verify_signature(
            &spki,
            SignatureAlgorithm::EcdsaP384Sha384,
            msg,
            sig.as_ref()
        ),
        Err(VerifyError::UnsupportedAlgorithm { .. })
    ));

    // Ed25519.
    let doc = Ed25519KeyPair::generate_pkcs8(&rng).expect("ed25519");
    let ed = Ed25519KeyPair::from_pkcs8(doc.as_ref()).expect("ed25519");
    let mut ed_spki = vec![
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    ];
    ed_spki.extend_from_slice(ed.public_key().as_ref());
    let sig = ed.sign(msg);
    assert_eq!(
        verify_signature(&ed_spki, SignatureAlgorithm::Ed25519, msg, sig.as_ref()),
        Ok(())
    );

    // RSA-PSS (SHA-256) and PKCS#1 v1.5 with an RSA-2048 key from https-pki.
    let rsa_key = PrivateKey::generate(KeyType::Rsa2048).expect("rsa");
    let rsa = RsaKeyPair::from_pkcs8(rsa_key.pkcs8_der()).expect("ring rsa");
    let rsa_spki = rsa_key.public_key_der();
    let mut sig = vec![0; rsa.public().modulus_len()];
    rsa.sign(&ring::signature::RSA_PSS_SHA256, &rng, msg, &mut sig)
        .expect("pss");
    let pss = SignatureAlgorithm::RsaPssSha256;
    assert_eq!(verify_signature(&rsa_spki, pss, msg, &sig), Ok(()));
    rsa.sign(&ring::signature::RSA_PKCS1_SHA256, &rng, msg, &mut sig)
        .expect("pkcs1");
    let pkcs1 = SignatureAlgorithm::RsaPkcs1Sha256;
    assert_eq!(verify_signature(&rsa_spki, pkcs1, msg, &sig), Ok(()));
    assert!(verify_signature(&rsa_spki, pss, msg, &sig).is_err());
    assert_eq!(
        https_verify::spki_key_kind(&rsa_spki),
        Ok(https_verify::KeyKind::Rsa { bits: 2048 })
    );
}

fn der_len(len: usize) -> Vec<u8> {
    match len {
        0..=0x7f => vec![len as u8],
        0x80..=0xff => vec![0x81, len as u8],
        _ => vec![0x82, (len >> 8) as u8, len as u8],
    }
}

fn der_tlv(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    out.extend(der_len(contents.len()));
    out.extend_from_slice(contents);
    out
}

/// Splits one DER element off the front: (whole element, rest).
fn der_split(input: &[u8]) -> (&[u8], &[u8]) {
    let first = input[1] as usize;
    let (hdr, len) = if first < 0x80 {
        (2, first)
    } else {
        let n = first & 0x7f;
        (
            2 + n,
            input[2..2 + n]
                .iter()
                .fold(0usize, |a, &b| (a << 8) | b as usize),
        )
    };
    input.split_at(hdr + len)
}

fn der_contents(element: &[u8]) -> &[u8] {
    let first = element[1] as usize;
    let hdr = if first < 0x80 { 2 } else { 2 + (first & 0x7f) };
    &element[hdr..]
}

/// rsassa-pss with SHA-256, MGF1-SHA-256, salt 32 (RFC 4055 §3.1).
const PSS_SHA256_ALG_ID: &[u8] = &[
    0x30, 0x41, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x34, 0xa0,
    0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
    0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30,
    0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0xa2, 0x03,
    0x02, 0x01, 0x20,
];

/// Re-signs `cert` with RSASSA-PSS (rcgen 0.14 cannot): the TBS signature field and the outer
/// algorithm become PSS, the signature is made with ring.
fn resign_pss(cert: &[u8], issuer: &RsaKeyPair, alg_id: &[u8]) -> Vec<u8> {
    let rng = SystemRandom::new();
    let (tbs, _) = der_split(der_contents(cert));
    let mut rest = der_contents(tbs);
    let mut new_tbs = Vec::new();
    let (version, r) = der_split(rest);
    new_tbs.extend_from_slice(version);
    let (serial, r) = der_split(r);
    new_tbs.extend_from_slice(serial);
    let (_old_alg, r) = der_split(r);
    new_tbs.extend_from_slice(alg_id);
    rest = r;
    new_tbs.extend_from_slice(rest);
    let tbs = der_tlv(0x30, &new_tbs);
    let mut sig = vec![0; issuer.public().modulus_len()];
    issuer
        .sign(&ring::signature::RSA_PSS_SHA256, &rng, &tbs, &mut sig)
        .expect("sign");
    let mut bits = vec![0u8];
    bits.extend(sig);
    let mut body = tbs;
    body.extend_from_slice(alg_id);
    body.extend(der_tlv(0x03, &bits));
    der_tlv(0x30, &body)
}

#[test]
fn rsa_pss_signed_certificates_verify() {
    let root =
        CertificateAuthority::new_root(&CaOptions::root("PSS Root").key_type(KeyType::Rsa2048))
            .expect("root");
    let leaf = root
        .issue(&["pss.example.test"], &Profile::server())
        .expect("leaf");
    let issuer = RsaKeyPair::from_pkcs8(root.key().pkcs8_der()).expect("ring RSA key");
    let pss_leaf = resign_pss(&leaf.cert_der, &issuer, PSS_SHA256_ALG_ID);
    let a = TrustAnchors::from_der_list([root.cert_der()]).expect("anchors");
    let name = ServerName::parse("pss.example.test").expect("name");
    // The PKCS#1 original and the PSS re-signed certificate both verify.
    assert!(verify_chain(&Request::new(&leaf.cert_der, &a, now()).name(&name)).is_ok());
    let (report, result) = verify_with_report(&Request::new(&pss_leaf, &a, now()).name(&name));
    assert!(result.is_ok(), "{report}");
    let sig = report
        .steps
        .iter()
        .find_map(|s| s.signature.as_ref())
        .expect("signature step");
    assert!(
        sig.algorithm.starts_with("RSASSA-PSS") && sig.hash == "SHA-256",
        "{sig:?}"
    );
    assert_eq!(sig.issuer_key, "RSA-2048");
    // A salt length other than the hash length is refused, not mis-verified.
    let mut odd = PSS_SHA256_ALG_ID.to_vec();
    let last = odd.len() - 1;
    odd[last] = 0x10;
    let odd_leaf = resign_pss(&leaf.cert_der, &issuer, &odd);
    let err =
        verify_chain(&Request::new(&odd_leaf, &a, now()).name(&name)).expect_err("odd PSS params");
    assert!(
        matches!(err, VerifyError::UnsupportedAlgorithm { .. }),
        "{err}"
    );
}

/// A CRL signed by `ca` (rcgen) revoking `serials`.
fn crl(ca: &CertificateAuthority, serials: &[&[u8]]) -> Vec<u8> {
    let key = rcgen::KeyPair::try_from(ca.key().pkcs8_der()).expect("CA key");
    let issuer =
        rcgen::Issuer::from_ca_cert_der(&ca.cert_der().to_vec().into(), key).expect("issuer");
    let n = OffsetDateTime::now_utc();
    let params = rcgen::CertificateRevocationListParams {
        this_update: n - Duration::hours(1),
        next_update: n + Duration::days(7),
        crl_number: rcgen::SerialNumber::from_slice(&[1]),
        issuing_distribution_point: None,
        revoked_certs: serials
            .iter()
            .map(|s| rcgen::RevokedCertParams {
                serial_number: rcgen::SerialNumber::from_slice(s),
                revocation_time: n - Duration::hours(1),
                reason_code: Some(rcgen::RevocationReason::KeyCompromise),
                invalidity_date: None,
            })
            .collect(),
        key_identifier_method: rcgen::KeyIdMethod::Sha256,
    };
    params.signed_by(&issuer).expect("CRL").der().to_vec()
}

fn serial_of(cert: &[u8]) -> Vec<u8> {
    use x509_parser::prelude::FromDer;
    let (_, c) = x509_parser::certificate::X509Certificate::from_der(cert).expect("cert");
    c.tbs_certificate.raw_serial().to_vec()
}

#[test]
fn revocation_with_caller_supplied_crls() {
    let p = pki();
    let leaf = p
        .inter
        .issue(&["crl.example.test"], &Profile::server())
        .expect("leaf");
    let other = p
        .inter
        .issue(&["other.example.test"], &Profile::server())
        .expect("other");
    let a = anchors(&p);
    let inters = [p.inter.cert_der()];
    let serial = serial_of(&leaf.cert_der);
    let base = Request::new(&leaf.cert_der, &a, now()).intermediates(&inters);

    // The intermediate's CRL lists the leaf: revoked.
    let revoking = crl(&p.inter, &[&serial]);
    let crls = [revoking.as_slice()];
    let (report, result) = verify_with_report(&base.crls(&crls));
    let err = result.expect_err("revoked");
    assert!(matches!(err, VerifyError::Revoked { .. }), "{err}");
    assert_eq!(err.kind(), "revoked");
    assert!(report.has_failed(Check::Revocation), "{report}");

    // A CRL listing another serial, or the same serial from another CA, changes nothing.
    let unrelated = crl(&p.inter, &[&serial_of(&other.cert_der)]);
    let foreign_ca = CertificateAuthority::new_root(&CaOptions::root("Foreign CA")).expect("ca");
    let foreign = crl(&foreign_ca, &[&serial]);
    let crls = [unrelated.as_slice(), foreign.as_slice()];
    assert!(verify_chain(&base.crls(&crls)).is_ok());

    // A CRL that claims to be the intermediate's but is signed by another key fails closed.
    let forged_ca = p
        .root
        .new_intermediate(&CaOptions::intermediate("Behaviour Intermediate"))
        .expect("twin");
    let forged = crl(&forged_ca, &[]);
    let crls = [forged.as_slice()];
    let err = verify_chain(&base.crls(&crls)).expect_err("forged CRL");
    assert!(matches!(err, VerifyError::BadSignature { .. }), "{err}");
}

/// A hostile pool: 40 CAs with the same name and different keys, cross-signing each other in
/// cycles, none reaching the trusted root. The search must end (budgets) with an error.
#[test]
fn hostile_intermediate_pool_ends_with_an_error() {
    let keys: Vec<rcgen::KeyPair> = (0..40)
        .map(|_| rcgen::KeyPair::generate().expect("key"))
        .collect();
    let params = ca_params("Loop CA", 365);
    // Each CA i is signed by CA (i + 1) % 40 (and by (i + 7) % 40): cycles everywhere.
    let issuers: Vec<rcgen::Issuer<'_, &rcgen::KeyPair>> = keys
        .iter()
        .map(|k| rcgen::Issuer::new(ca_params("Loop CA", 365), k))
        .collect();
    let mut pool = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        for step in [1, 7] {
            let cert = params
                .signed_by(key, &issuers[(i + step) % keys.len()])
                .expect("loop CA");
            pool.push(cert.der().to_vec());
        }
    }
    let leaf_key = rcgen::KeyPair::generate().expect("key");
    let mut lp =
        rcgen::CertificateParams::new(vec!["loop.example.test".to_string()]).expect("params");
    lp.distinguished_name = rcgen::DistinguishedName::new();
    lp.use_authority_key_identifier_extension = true;
    lp.subject_alt_names = vec![rcgen::SanType::DnsName(
        "loop.example.test".try_into().expect("name"),
    )];
    let leaf = lp.signed_by(&leaf_key, &issuers[0]).expect("leaf");
    let root = CertificateAuthority::new_root(&CaOptions::root("Unrelated Root")).expect("root");
    let a = TrustAnchors::from_der_list([root.cert_der()]).expect("anchors");
    let refs: Vec<&[u8]> = pool.iter().map(|c| c.as_slice()).collect();
    let err = verify_chain(&Request::new(leaf.der(), &a, now()).intermediates(&refs))
        .expect_err("no path");
    eprintln!("hostile pool: {err}");
    assert!(
        matches!(
            err,
            VerifyError::UnknownIssuer { .. }
                | VerifyError::BudgetExceeded { .. }
                | VerifyError::PathTooLong { .. }
        ),
        "{err}"
    );
}
