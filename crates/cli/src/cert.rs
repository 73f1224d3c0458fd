//! `https-kit cert issue`: key + certificate in one step, like mkcert.
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use https_pki::{KeyType, Profile, SubjectAltName};
use serde_json::json;

use crate::ca::{load_ca, refuse_existing, shell, CaDir, KeyTypeArg};
use crate::files::{FileSet, KEY_MODE, PUBLIC_MODE};
use crate::output::{print_json, with_spinner, Failure};

/// Certificate commands.
#[derive(Subcommand, Debug)]
pub enum CertCommand {
    /// Make a key and a certificate for NAMEs, signed by the CA: PREFIX.crt, PREFIX.key, PREFIX.fullchain.crt
    #[command(
        after_help = "Examples:\n  https-kit cert issue localhost 127.0.0.1 ::1\n  https-kit cert issue '*.dev.example.test' dev.example.test --dir ./ca --out dev\n  https-kit cert issue alice --client --out alice\n\nNAMEs are DNS names, wildcards (*.example.test) or IP addresses; the first is the CN."
    )]
    Issue(IssueArgs),
    /// Get a certificate for NAMEs from an ACME server (RFC 8555), proving control by http-01 or tls-alpn-01
    Request(crate::acme::RequestArgs),
}

/// `cert issue` options.
#[derive(Args, Debug)]
pub struct IssueArgs {
    /// Names the certificate is for
    #[arg(required = true, value_name = "NAME")]
    pub names: Vec<String>,
    #[command(flatten)]
    pub ca: CaDir,
    /// Output prefix [default: the first name, '*' written as '_wildcard']
    #[arg(long, value_name = "PREFIX")]
    pub out: Option<PathBuf>,
    /// A client certificate (extendedKeyUsage clientAuth) instead of a server one
    #[arg(long)]
    pub client: bool,
    /// Key type of the new key
    #[arg(long, value_enum, default_value_t = KeyTypeArg::EcdsaP256)]
    pub key_type: KeyTypeArg,
    /// Validity in days
    #[arg(long, default_value_t = https_pki::LEAF_DAYS)]
    pub days: u32,
    /// Replace existing files
    #[arg(long)]
    pub force: bool,
    /// Print the result as JSON
    #[arg(long)]
    pub json: bool,
}

/// Run a cert command.
pub fn run(cmd: CertCommand) -> Result<(), Failure> {
    match cmd {
        CertCommand::Issue(a) => issue(a),
        CertCommand::Request(a) => crate::acme::request(a),
    }
}

/// `*.example.com` -> `_wildcard.example.com`; characters unsafe in file names -> `_`.
fn default_prefix(first: &str) -> PathBuf {
    let s = first
        .replace('*', "_wildcard")
        .replace([':', '/', '\\', '[', ']'], "_");
    PathBuf::from(s)
}

fn with_suffix(prefix: &Path, suffix: &str) -> PathBuf {
    let mut s = prefix.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn issue(a: IssueArgs) -> Result<(), Failure> {
    // Validate names first: a typo is a usage error (2), not a policy refusal.
    for n in &a.names {
        SubjectAltName::from_name(n).map_err(Failure::usage)?;
    }
    let dir = a.ca.path();
    let ca = load_ca(&dir)?;
    let prefix = a.out.clone().unwrap_or_else(|| default_prefix(&a.names[0]));
    let crt = with_suffix(&prefix, ".crt");
    let key = with_suffix(&prefix, ".key");
    let full = with_suffix(&prefix, ".fullchain.crt");
    refuse_existing(&[crt.clone(), key.clone(), full.clone()], a.force)?;
    let key_type: KeyType = a.key_type.into();
    let profile = if a.client {
        Profile::client()
    } else {
        Profile::server()
    }
    .days(a.days)
    .key_type(key_type);
    let issued = with_spinner(
        key_type.is_slow(),
        &format!("generating a {key_type} key"),
        || ca.issue(&a.names, &profile),
    )
    .map_err(Failure::pki)?;
    let mut set = FileSet::new(a.force);
    set.add(&crt, issued.cert_pem.clone(), PUBLIC_MODE)
        .add(&key, issued.key.to_pkcs8_pem().as_bytes(), KEY_MODE)
        .add(&full, issued.fullchain_pem(), PUBLIC_MODE);
    set.commit()?;
    let facts = https_pki::inspect::describe(issued.cert_pem.as_bytes()).map_err(Failure::pki)?;
    if a.json {
        print_json(&json!({
            "certificate": crt,
            "key": key,
            "fullchain": full,
            "ca_certificate": dir.join("ca.crt"),
            "description": facts,
        }));
        return Ok(());
    }
    let kind = if a.client { "client" } else { "server" };
    println!(
        "issued a {kind} certificate from CA \"{}\"",
        ca.common_name()
    );
    println!("  names:       {}", facts.subject_alt_names.join(", "));
    println!("  certificate: {}", crt.display());
    println!("  private key: {}   (mode 0600)", key.display());
    println!(
        "  fullchain:   {}   (certificate + intermediates: what a server sends)",
        full.display()
    );
    println!(
        "  expires:     {} (in {} days)",
        facts.not_after.as_deref().unwrap_or("?"),
        facts.expires_in_days.unwrap_or(0)
    );
    println!("  sha256:      {}", facts.sha256_fingerprint);
    let ca_crt = shell(&dir.join("ca.crt"));
    if a.client {
        println!(
            "\nnext: curl --cert {} --key {} --cacert {ca_crt} https://...",
            shell(&crt),
            shell(&key)
        );
    } else {
        println!(
            "\nnext: openssl s_server -accept 8443 -cert {} -key {} -www   # then: curl --cacert {ca_crt} https://{}:8443/",
            shell(&full),
            shell(&key),
            url_host(&a.names[0])
        );
    }
    Ok(())
}

fn url_host(name: &str) -> String {
    match SubjectAltName::from_name(name) {
        Ok(SubjectAltName::Ip(std::net::IpAddr::V6(v6))) => format!("[{v6}]"),
        _ => name.replace('*', "www"),
    }
}
