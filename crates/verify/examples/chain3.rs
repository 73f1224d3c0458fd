//! Verifies a leaf + intermediate + root chain (ECDSA P-256) in a loop and prints the rate:
//! `cargo run --release -p https-verify --example chain3 [SECONDS]` (for profiling).
use https_pki::{CaOptions, CertificateAuthority, Profile};
use https_verify::{verify_chain, verify_with_report, Request, ServerName, TrustAnchors};
use std::time::{Duration, Instant};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seconds: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2.0);
    let root = CertificateAuthority::new_root(&CaOptions::root("Example Root"))?;
    let inter = root.new_intermediate(&CaOptions::intermediate("Example Intermediate"))?;
    let leaf = inter.issue(&["www.example.test"], &Profile::server())?;
    let anchors = TrustAnchors::from_der_list([root.cert_der()])?;
    let name = ServerName::parse("www.example.test")?;
    let inters = [inter.cert_der()];
    let req = Request::new(&leaf.cert_der, &anchors, https_verify::unix_now())
        .intermediates(&inters)
        .name(&name);
    let (report, result) = verify_with_report(&req);
    println!("{report}");
    result?;
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < Duration::from_secs_f64(seconds) {
        for _ in 0..100 {
            verify_chain(&req)?;
        }
        n += 100;
    }
    println!(
        "{:.0} verifications/s",
        n as f64 / start.elapsed().as_secs_f64()
    );
    Ok(())
}
