//! Everything https-pki (and https-verify's PEM helpers) read from files: private keys (PKCS#8,
//! SEC1, PKCS#1 in PEM), public keys, CSRs (PEM and DER, self-signature checked), certificate
//! bundles, CRL bundles, trust anchors, a CA's certificate + key (+ chain), and `inspect`'s
//! describe. The first byte picks the reader. Checked: what loads re-encodes and loads again to
//! the same key/request; a loaded key's public half matches; errors are values, never panics.
#![no_main]

use https_pki::{CertificateAuthority, Csr, PrivateKey};

fn text(input: &[u8]) -> Option<&str> {
    std::str::from_utf8(input).ok()
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&which, input)) = data.split_first() else {
        return;
    };
    match which % 9 {
        0 => {
            let Some(t) = text(input) else { return };
            if let Ok(key) = PrivateKey::from_pem(t) {
                let again =
                    PrivateKey::from_pem(&key.to_pkcs8_pem()).expect("our PKCS#8 PEM loads");
                assert_eq!(again.pkcs8_der(), key.pkcs8_der(), "key PEM round-trips");
                assert_eq!(
                    again.public_key_der(),
                    key.public_key_der(),
                    "same public key"
                );
                let pub_pem = key.public_key_pem();
                assert_eq!(
                    https_pki::public_key_algorithm_from_pem(&pub_pem).ok(),
                    Some(key.algorithm()),
                    "the public key PEM names the key's algorithm"
                );
            }
        }
        1 => {
            let Some(t) = text(input) else { return };
            if let Ok(csr) = Csr::from_pem(t) {
                let again = Csr::from_pem(&csr.to_pem()).expect("our CSR PEM loads");
                assert_eq!(again.der(), csr.der(), "CSR PEM round-trips");
                let _ = (
                    csr.common_name(),
                    csr.subject_alt_names(),
                    csr.fingerprint(),
                );
            }
        }
        2 => {
            if let Ok(csr) = Csr::from_der(input) {
                assert_eq!(csr.der(), input, "a CSR keeps its DER");
                let _ = (
                    csr.unsupported_names(),
                    csr.algorithm(),
                    csr.public_key_der(),
                );
            }
        }
        3 => {
            let Some(t) = text(input) else { return };
            let _ = https_pki::public_key_algorithm_from_pem(t);
        }
        4 => {
            let Some(t) = text(input) else { return };
            if let Ok(certs) = https_pki::certificates_from_pem(t) {
                let pem = https_pki::certificates_to_pem(&certs);
                let again = https_pki::certificates_from_pem(&pem).expect("our bundle loads");
                assert_eq!(again, certs, "certificate bundle round-trips");
            }
        }
        5 => {
            let _ = https_verify::certs_from_pem(input);
            let _ = https_verify::crls_from_pem(input);
            if let Ok(a) = https_verify::TrustAnchors::from_pem(input) {
                for i in 0..a.len() {
                    assert!(
                        a.der(i).is_some() && a.subject(i).is_some(),
                        "anchor {i} is listed"
                    );
                }
            }
        }
        6 => {
            // cert ‖ 0 ‖ key [‖ 0 ‖ chain]
            let Some(t) = text(input) else { return };
            let mut parts = t.splitn(3, '\0');
            let (cert, key, chain) = (parts.next(), parts.next(), parts.next());
            if let (Some(c), Some(k)) = (cert, key) {
                let _ = CertificateAuthority::from_pem(c, k, chain);
            }
        }
        7 => {
            if let Ok(d) = https_pki::inspect::describe(input) {
                let _ = format!("{d:?}");
            }
        }
        _ => {
            let _ = https_pki::inspect::describe_all(input);
        }
    }
});
