//! Group `verify`: `verify/chain3/ecdsa-p256`, validations per second of leaf + intermediate + root
//! (ECDSA P-256 throughout) with a DNS name check, https-verify vs rustls-webpki.
//!
//! Both sides get the same DER bytes and a trust store built once outside the timed loop; each
//! validation parses the leaf and the intermediate, builds the path, verifies two signatures and
//! matches the name, as a TLS client does for every handshake.

use super::{compare_rates, locked_version, Opts, Row, Side};
use anyhow::{ensure, Context, Result};
use https_kit::pki::{CaOptions, CertificateAuthority, Profile};
use https_kit::verify::{self as hv, Request, ServerName, TrustAnchors};
use rustls_pki_types::{CertificateDer, UnixTime};

const HOST: &str = "bench.example.test";

pub fn run(opts: &Opts) -> Result<Vec<Row>> {
    let root =
        CertificateAuthority::new_root(&CaOptions::root("Bench Verify Root")).context("root CA")?;
    let inter = root
        .new_intermediate(&CaOptions::intermediate("Bench Verify Intermediate"))
        .context("intermediate CA")?;
    let leaf = inter.issue(&[HOST], &Profile::server()).context("leaf")?;
    let (root_der, inter_der, leaf_der) = (
        root.cert_der().to_vec(),
        inter.cert_der().to_vec(),
        leaf.cert_der.clone(),
    );
    let now = hv::unix_now();

    // Ours.
    let anchors = TrustAnchors::from_der_list([&root_der]).context("anchors")?;
    let name = ServerName::parse(HOST)?;
    let inters = [inter_der.as_slice()];
    let ours_once = || {
        let req = Request::new(&leaf_der, &anchors, now)
            .intermediates(&inters)
            .name(&name);
        hv::verify_chain(&req).is_ok()
    };
    ensure!(ours_once(), "https-verify rejects the bench chain");

    // rustls-webpki.
    let root_cert = CertificateDer::from(root_der.clone());
    let wp_anchors =
        vec![webpki::anchor_from_trusted_cert(&root_cert).map_err(|e| anyhow::anyhow!("{e:?}"))?];
    let wp_inters = vec![CertificateDer::from(inter_der.clone())];
    let wp_leaf = CertificateDer::from(leaf_der.clone());
    let wp_name = rustls_pki_types::ServerName::try_from(HOST)?;
    let wp_time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(u64::try_from(now)?));
    let webpki_once = || {
        let Ok(ee) = webpki::EndEntityCert::try_from(&wp_leaf) else {
            return false;
        };
        ee.verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &wp_anchors,
            &wp_inters,
            wp_time,
            webpki::KeyUsage::server_auth(),
            None,
            None,
        )
        .is_ok()
            && ee.verify_is_valid_for_subject_name(&wp_name).is_ok()
    };
    ensure!(webpki_once(), "rustls-webpki rejects the bench chain");

    let ours = Box::new(move || {
        assert!(ours_once());
        1.0
    });
    let baseline = Side {
        name: "webpki",
        version: locked_version("rustls-webpki"),
        work: Box::new(move || {
            assert!(webpki_once());
            1.0
        }),
    };
    Ok(compare_rates(
        opts,
        "verify/chain3/ecdsa-p256",
        "verifies/s",
        1.0,
        ours,
        vec![baseline],
    ))
}
