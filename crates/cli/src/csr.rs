//! `https-kit csr new`: seed application step 2 (site.csr).
use std::path::PathBuf;

use clap::{Args, Subcommand};
use https_pki::{Csr, PrivateKey, SubjectAltName};
use serde_json::json;

use crate::ca::shell;
use crate::files::{self, FileSet, PUBLIC_MODE};
use crate::output::{print_json, Failure};

/// CSR commands.
#[derive(Subcommand, Debug)]
pub enum CsrCommand {
    /// Create a certificate signing request signed by a private key
    #[command(
        after_help = "Examples:\n  https-kit csr new --key site.key --cn www.example.test --san DNS:www.example.test --san DNS:example.test --out site.csr\n  https-kit csr new --key site.key --cn localhost --san DNS:localhost --san IP:127.0.0.1 --san IP:::1 --out site.csr\n\nWithout --san, the CN is requested as the only DNS/IP name."
    )]
    New(NewArgs),
}

/// `csr new` options.
#[derive(Args, Debug)]
pub struct NewArgs {
    /// The private key that signs the request (PKCS#8, SEC1 or PKCS#1 PEM)
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// Subject common name
    #[arg(long)]
    pub cn: Option<String>,
    /// A name for the certificate: DNS:name, DNS:*.wildcard, IP:addr (repeatable)
    #[arg(long, value_name = "DNS:NAME|IP:ADDR")]
    pub san: Vec<String>,
    /// Where to write the CSR
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Replace an existing file
    #[arg(long)]
    pub force: bool,
    /// Print the result as JSON
    #[arg(long)]
    pub json: bool,
}

/// Run a CSR command.
pub fn run(cmd: CsrCommand) -> Result<(), Failure> {
    match cmd {
        CsrCommand::New(a) => new(a),
    }
}

fn new(a: NewArgs) -> Result<(), Failure> {
    let mut sans = a
        .san
        .iter()
        .map(|s| s.parse::<SubjectAltName>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Failure::usage(format!("--san: {e}")))?;
    if sans.is_empty() {
        let Some(cn) = &a.cn else {
            return Err(Failure::usage(
                "give --cn NAME and/or at least one --san DNS:name|IP:addr",
            ));
        };
        sans.push(SubjectAltName::from_name(cn).map_err(|e| Failure::usage(format!("--cn: {e}")))?);
    }
    let cn =
        a.cn.clone()
            .unwrap_or_else(|| sans.first().map(|s| s.value()).unwrap_or_default());
    let text = files::read_text(&a.key)?;
    let key = PrivateKey::from_pem(&text).map_err(|e| Failure::file(&a.key, e))?;
    let csr = Csr::new(&key, &cn, &sans).map_err(Failure::pki)?;
    let mut set = FileSet::new(a.force);
    set.add(&a.out, csr.to_pem(), PUBLIC_MODE);
    set.commit()?;
    let names: Vec<String> = csr
        .subject_alt_names()
        .iter()
        .map(ToString::to_string)
        .collect();
    if a.json {
        print_json(&json!({
            "csr": a.out,
            "common_name": cn,
            "subject_alt_names": names,
            "key_type": csr.algorithm().to_string(),
            "sha256_fingerprint": csr.fingerprint(),
        }));
        return Ok(());
    }
    println!(
        "created a certificate signing request, signed with {}",
        a.key.display()
    );
    println!("  request:  {}", a.out.display());
    println!("  subject:  CN={cn}");
    println!("  names:    {}", names.join(", "));
    println!("  key:      {}", csr.algorithm());
    println!("  sha256:   {}", csr.fingerprint());
    println!("\nnext: https-kit ca sign {} --out site.crt", shell(&a.out));
    Ok(())
}
