//! Instruction counts per validation, ours vs rustls-webpki, on the bench chain (leaf +
//! intermediate + root, ECDSA P-256, name check). Noise-free where wall clocks are not:
//!
//! ```text
//! cargo build --release -p https-verify --example callgrind
//! valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*ours_measured*' \
//!     target/release/examples/callgrind ours 100
//! valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*webpki_measured*' \
//!     target/release/examples/callgrind webpki 100
//! ```
//!
//! Divide the reported `Collected` total by the count. Without valgrind it prints wall-clock
//! rates instead.
use https_pki::{CaOptions, CertificateAuthority, Profile};
use https_verify::{verify_chain, Request, ServerName, TrustAnchors};
use rustls_pki_types::{CertificateDer, UnixTime};
use std::time::Instant;

const HOST: &str = "bench.example.test";

struct Chain {
    root: Vec<u8>,
    inter: Vec<u8>,
    leaf: Vec<u8>,
    now: i64,
}

/// Both sides build their trust store and name outside the measured loop, as the bench does.
fn ours_loop(c: &Chain, n: usize) -> usize {
    let anchors = TrustAnchors::from_der_list([&c.root]).expect("anchors");
    let name = ServerName::parse(HOST).expect("name");
    ours_measured(c, &anchors, &name, n)
}

#[inline(never)]
fn ours_measured(c: &Chain, anchors: &TrustAnchors, name: &ServerName, n: usize) -> usize {
    let inters = [c.inter.as_slice()];
    let mut ok = 0;
    for _ in 0..n {
        let req = Request::new(&c.leaf, anchors, c.now)
            .intermediates(&inters)
            .name(name);
        ok += usize::from(verify_chain(std::hint::black_box(&req)).is_ok());
    }
    ok
}

fn webpki_loop(c: &Chain, n: usize) -> usize {
    let root = CertificateDer::from(c.root.clone());
    let anchors = vec![webpki::anchor_from_trusted_cert(&root).expect("anchor")];
    webpki_measured(c, &anchors, n)
}

#[inline(never)]
fn webpki_measured(c: &Chain, anchors: &[rustls_pki_types::TrustAnchor<'_>], n: usize) -> usize {
    let inters = vec![CertificateDer::from(c.inter.clone())];
    let leaf = CertificateDer::from(c.leaf.clone());
    let name = rustls_pki_types::ServerName::try_from(HOST).expect("name");
    let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(c.now as u64));
    let mut ok = 0;
    for _ in 0..n {
        let Ok(ee) = webpki::EndEntityCert::try_from(std::hint::black_box(&leaf)) else {
            continue;
        };
        let valid = ee
            .verify_for_usage(
                webpki::ALL_VERIFICATION_ALGS,
                anchors,
                &inters,
                time,
                webpki::KeyUsage::server_auth(),
                None,
                None,
            )
            .is_ok()
            && ee.verify_is_valid_for_subject_name(&name).is_ok();
        ok += usize::from(valid);
    }
    ok
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let side = args.next().unwrap_or_else(|| "both".into());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(100);
    let root = CertificateAuthority::new_root(&CaOptions::root("Bench Verify Root"))?;
    let inter = root.new_intermediate(&CaOptions::intermediate("Bench Verify Intermediate"))?;
    let leaf = inter.issue(&[HOST], &Profile::server())?;
    let chain = Chain {
        root: root.cert_der().to_vec(),
        inter: inter.cert_der().to_vec(),
        leaf: leaf.cert_der.clone(),
        now: https_verify::unix_now(),
    };
    if side == "dump" {
        // `callgrind dump`: write the chain as DER files into the current directory.
        for (file, der) in [
            ("root", &chain.root),
            ("inter", &chain.inter),
            ("leaf", &chain.leaf),
        ] {
            std::fs::write(format!("{file}.der"), der)?;
        }
        return Ok(());
    }
    if side == "ab" {
        // `callgrind ab N`: 21 interleaved rounds of N validations each; median ratio ours/webpki.
        let mut ratios: Vec<f64> = (0..21)
            .map(|round| {
                let time = |f: fn(&Chain, usize) -> usize| {
                    let start = Instant::now();
                    std::hint::black_box(f(&chain, n));
                    start.elapsed().as_secs_f64()
                };
                let (o, w) = if round % 2 == 0 {
                    let o = time(ours_loop);
                    (o, time(webpki_loop))
                } else {
                    let w = time(webpki_loop);
                    (time(ours_loop), w)
                };
                w / o
            })
            .collect();
        ratios.sort_by(f64::total_cmp);
        println!(
            "rate ratio ours/webpki: median {:.3} ({:.3}..{:.3})",
            ratios[10], ratios[0], ratios[20]
        );
        return Ok(());
    }
    for (name, run) in [
        ("ours", ours_loop as fn(&Chain, usize) -> usize),
        ("webpki", webpki_loop),
    ] {
        if side != "both" && side != name {
            continue;
        }
        let start = Instant::now();
        let ok = run(&chain, n);
        let secs = start.elapsed().as_secs_f64();
        println!("{name}: {ok}/{n} valid, {:.0}/s", n as f64 / secs);
        if ok != n {
            return Err(format!("{name} rejected the chain").into());
        }
    }
    Ok(())
}
