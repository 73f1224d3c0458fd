//! `cargo xtask demo`: the seed's stages, narrated against the real bytes, in a temp dir.
//!
//! The demo is a sequence of stage functions. Each stage takes what the previous ones produced
//! and returns its own artifacts, so later stages (handshake, communication) are appended to
//! [`run`] without touching the earlier ones:
//!
//! ```text
//! application_stage(dir) -> AppArtifacts      seed application steps 1-4 (https-pki)
//! handshake_stage(&app)  -> ...               seed handshake steps 1-7   (to be added)
//! communication_stage(..)                     seed communication 1-2     (to be added)
//! ```
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use https_kit::pki::{
    inspect, CaOptions, CertificateAuthority, Csr, KeyType, PrivateKey, Profile, SubjectAltName,
};

/// The site's name in the demo; the certificate also carries the loopback addresses so later
/// stages can serve it on 127.0.0.1.
pub const SITE: &str = "localhost";

/// What the application stage leaves behind for the later stages.
#[derive(Debug)]
#[allow(dead_code)] // fields are read by the stages that follow (handshake, communication)
pub struct AppArtifacts {
    /// The directory everything was written to.
    pub dir: PathBuf,
    /// The host name the certificate is for.
    pub host: String,
    /// Trust anchor: the CA certificate (what the browser has "in its memory").
    pub ca_cert: PathBuf,
    /// The site's private key (PKCS#8 PEM, 0600).
    pub site_key: PathBuf,
    /// The site's public key (SPKI PEM).
    pub site_pub: PathBuf,
    /// The signing request.
    pub site_csr: PathBuf,
    /// The site certificate signed by the CA.
    pub site_crt: PathBuf,
    /// The certificate followed by intermediates (what a server sends).
    pub site_fullchain: PathBuf,
    /// DER of the CA certificate.
    pub ca_cert_der: Vec<u8>,
    /// DER of the site certificate.
    pub site_cert_der: Vec<u8>,
    /// PKCS#8 DER of the site's private key.
    pub site_key_pkcs8: Vec<u8>,
}

pub fn run(args: &[String]) -> Result<()> {
    let acme = match args {
        [] => false,
        [a] if a == "--acme" => true,
        [a, ..] => {
            anyhow::bail!("demo takes only --acme (got {a:?}); it works in a fresh temp dir")
        }
    };
    let tmp = tempfile::Builder::new()
        .prefix("https-kit-demo-")
        .tempdir()
        .context("creating a temp dir")?;
    println!("https-kit demo: HTTPS from its parts, on real bytes");
    println!("working directory: {}", tmp.path().display());
    let app = application_stage(tmp.path())?;
    if acme {
        crate::demo_acme::identity_stage(&app)?;
    }
    let session = crate::demo_tls::handshake_stage(&app)?;
    crate::demo_tls::communication_stage(session, &app.host)?;
    println!();
    println!("(the temp dir is removed when the demo ends)");
    Ok(())
}

fn heading(text: &str) {
    println!();
    println!("{text}");
    println!("{}", "-".repeat(text.chars().count()));
}

fn write_file(path: &Path, bytes: &[u8], private: bool) -> Result<u64> {
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))?;
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = private;
    Ok(std::fs::metadata(path)?.len())
}

fn short(fp: &str) -> String {
    // First 8 bytes of a colon-hex fingerprint, enough to compare by eye.
    fp.split(':').take(8).collect::<Vec<_>>().join(":") + ":…"
}

fn file_line(path: &Path, size: u64, what: &str) {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    println!("  {name:<18} {size:>5} bytes  {what}");
}

/// Seed application stage, steps 1-4: key pair, CSR, CA check and signature, hand-over.
pub fn application_stage(dir: &Path) -> Result<AppArtifacts> {
    heading("Application stage (seed steps 1-4): the website gets a certificate");

    // Step 1.
    println!("\n1. The website generates its key pair (site.key, site.pub).");
    let key = PrivateKey::generate(KeyType::EcdsaP256)?;
    let site_key = dir.join("site.key");
    let site_pub = dir.join("site.pub");
    let n = write_file(&site_key, key.to_pkcs8_pem().as_bytes(), true)?;
    file_line(
        &site_key,
        n,
        &format!("PKCS#8 private key, {} (mode 0600)", key.algorithm()),
    );
    let n = write_file(&site_pub, key.public_key_pem().as_bytes(), false)?;
    file_line(&site_pub, n, "SubjectPublicKeyInfo (public key)");
    let pub_fp = key.public_key_fingerprint();
    println!("  public key sha256: {}", short(&pub_fp));
    println!(
        "  The private key never leaves the site; the public key will go into the certificate."
    );

    // Step 2.
    println!("\n2. With the private key and its information the website makes a CSR (site.csr).");
    let names: Vec<SubjectAltName> = [SITE, "127.0.0.1", "::1"]
        .iter()
        .map(|n| SubjectAltName::from_name(n))
        .collect::<Result<_, _>>()?;
    let csr = Csr::new(&key, SITE, &names)?;
    let site_csr = dir.join("site.csr");
    let n = write_file(&site_csr, csr.to_pem().as_bytes(), false)?;
    let names_text: Vec<String> = csr
        .subject_alt_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    file_line(&site_csr, n, "PKCS#10 certificate signing request");
    println!("  subject CN={SITE}; names: {}", names_text.join(", "));
    let csr_facts = inspect::describe(csr.der())?;
    println!(
        "  signed with site.key ({}); its public key sha256 {} = site.pub's",
        csr_facts.signature_algorithm.as_deref().unwrap_or("?"),
        short(&csr_facts.public_key_sha256)
    );
    anyhow::ensure!(
        csr_facts.public_key_sha256 == pub_fp,
        "CSR carries a different key"
    );

    // Step 3.
    println!("\n3. The CA verifies the request and signs it with its private key (site.crt).");
    let ca = CertificateAuthority::new_root(&CaOptions::root("https-kit demo CA"))?;
    let ca_cert = dir.join("ca.crt");
    let n = write_file(&ca_cert, ca.cert_pem().as_bytes(), false)?;
    write_file(
        &dir.join("ca.key"),
        ca.key().to_pkcs8_pem().as_bytes(),
        true,
    )?;
    file_line(
        &ca_cert,
        n,
        &format!("the CA: self-signed root, {}", ca.key().algorithm()),
    );
    println!("  CA certificate sha256: {}", short(&ca.fingerprint()));
    // What the CA checks, shown on the bytes it received.
    let received = Csr::from_pem(&std::fs::read_to_string(&site_csr)?)?;
    println!("  check: the CSR's signature verifies with the public key inside it  -> OK");
    println!("         (whoever sent it holds site.key)");
    let mut forged = received.der().to_vec();
    if let Some(last) = forged.last_mut() {
        *last ^= 1;
    }
    match Csr::from_der(&forged) {
        Err(e) => println!("  (the same CSR with one bit flipped is refused: {e})"),
        Ok(_) => anyhow::bail!("a forged CSR was accepted"),
    }
    // The seed's "verifying the identity" is out of band for a public CA (e.g. ACME challenges);
    // a local CA trusts its operator.
    let signed = ca.sign_csr(&received, &Profile::server())?;
    println!("  check: policy - at least one name, each a well-formed DNS name or IP address,");
    println!(
        "         no *.tld wildcard, key acceptable ({}), inside name constraints -> OK",
        received.algorithm()
    );
    let site_crt = dir.join("site.crt");
    let n = write_file(&site_crt, signed.cert_pem.as_bytes(), false)?;
    let facts = inspect::describe(signed.cert_pem.as_bytes())?;
    file_line(&site_crt, n, "X.509 v3 certificate");
    println!("  subject:  {}", facts.subject.as_deref().unwrap_or(""));
    println!("  issuer:   {}", facts.issuer.as_deref().unwrap_or(""));
    println!(
        "  serial:   {} (random, 126 bits)",
        facts.serial.as_deref().unwrap_or("")
    );
    println!(
        "  valid:    {} .. {} (expires in {} days)",
        facts.not_before.as_deref().unwrap_or(""),
        facts.not_after.as_deref().unwrap_or(""),
        facts.expires_in_days.unwrap_or(0)
    );
    println!("  names:    {}", facts.subject_alt_names.join(", "));
    for e in &facts.extensions {
        let crit = if e.critical { ", critical" } else { "" };
        println!("  {:<24} {}{crit}", format!("{}:", e.name), e.value);
    }
    println!(
        "  signature: {} by the CA's key over the certificate body",
        facts.signature_algorithm.as_deref().unwrap_or("?")
    );
    println!(
        "  public key sha256 {} = site.pub's: the certificate binds the name to that key",
        short(&facts.public_key_sha256)
    );
    anyhow::ensure!(
        facts.public_key_sha256 == pub_fp,
        "certificate carries a different key"
    );
    println!("  certificate sha256: {}", facts.sha256_fingerprint);

    // Step 4.
    println!("\n4. The certificate goes to the website's administrator.");
    let site_fullchain = dir.join("site.fullchain.crt");
    let n = write_file(&site_fullchain, signed.fullchain_pem().as_bytes(), false)?;
    file_line(
        &site_fullchain,
        n,
        "what the server will send (certificate + intermediates; none here)",
    );
    println!("  The server is configured with site.fullchain.crt and site.key;");
    println!("  clients are given ca.crt to trust (a browser ships public CAs' certificates).");
    println!("  Same by hand: https-kit ca init && https-kit cert issue {SITE} 127.0.0.1");

    Ok(AppArtifacts {
        dir: dir.to_path_buf(),
        host: SITE.to_string(),
        ca_cert,
        site_key,
        site_pub,
        site_csr,
        site_crt,
        site_fullchain,
        ca_cert_der: ca.cert_der().to_vec(),
        site_cert_der: signed.cert_der,
        site_key_pkcs8: key.pkcs8_der().to_vec(),
    })
}
