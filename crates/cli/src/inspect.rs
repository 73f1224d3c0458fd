//! `https-kit inspect FILE`: what a certificate, CSR or key says, from its bytes.
use std::path::PathBuf;

use clap::Args;

use crate::files;
use crate::output::{print_json, Failure};

/// `inspect` options.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  https-kit inspect site.crt\n  https-kit inspect site.fullchain.crt --json\n  https-kit inspect site.csr\n  https-kit inspect https://localhost:8443 --ca ca.crt\n\nWith --json, one object for a single item, an array for a bundle.\nFor an https:// URL: the chain the server sends (TLS 1.3 handshake, nothing else sent), and\nwhether it is trusted by --ca (default: the system store) for that name."
)]
pub struct InspectArgs {
    /// A PEM file (certificate, bundle, CSR, private or public key), a DER certificate/CSR, or https://HOST[:PORT]
    pub file: PathBuf,
    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
    /// For https:// URLs: judge trust with these CA certificates instead of the system store
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// For https:// URLs: connect to ADDR for HOST (HOST:ADDR or HOST:PORT:ADDR)
    #[arg(long, value_name = "HOST:ADDR")]
    pub resolve: Vec<String>,
}

/// Run `inspect`.
pub fn run(a: InspectArgs) -> Result<(), Failure> {
    if let Some(url) = a.file.to_str().filter(|f| f.starts_with("https://")) {
        return crate::get::inspect_server(url, a.ca.as_deref(), &a.resolve, a.json);
    }
    let bytes = files::read_bytes(&a.file)?;
    let all = https_pki::inspect::describe_all(&bytes).map_err(|e| Failure::file(&a.file, e))?;
    if a.json {
        let value = if all.len() == 1 {
            serde_json::to_value(&all[0])
        } else {
            serde_json::to_value(&all)
        }
        .map_err(|e| Failure::usage(format!("cannot encode JSON: {e}")))?;
        print_json(&value);
        return Ok(());
    }
    for (i, d) in all.iter().enumerate() {
        if all.len() > 1 {
            println!("[{}/{}] {}", i + 1, all.len(), a.file.display());
        }
        println!("{d}");
        if i + 1 < all.len() {
            println!();
        }
    }
    Ok(())
}
