//! `https-kit inspect FILE`: what a certificate, CSR or key says, from its bytes.
use std::path::PathBuf;

use clap::Args;

use crate::files;
use crate::output::{print_json, Failure};

/// `inspect` options.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  https-kit inspect site.crt\n  https-kit inspect site.fullchain.crt --json\n  https-kit inspect site.csr\n\nWith --json, one object for a single item, an array for a bundle."
)]
pub struct InspectArgs {
    /// A PEM file (certificate, bundle, CSR, private or public key) or a DER certificate/CSR
    pub file: PathBuf,
    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
}

/// Run `inspect`.
pub fn run(a: InspectArgs) -> Result<(), Failure> {
    if a.file.to_string_lossy().starts_with("https://") {
        return Err(Failure::usage(
            "inspect reads files; fetch a server's chain first (e.g. openssl s_client -showcerts)",
        ));
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
