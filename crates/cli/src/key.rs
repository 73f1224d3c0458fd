//! `https-kit key new`: seed application step 1 (site.key and site.pub).
use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::json;

use crate::ca::{generate_key, refuse_existing, shell, KeyTypeArg};
use crate::files::{FileSet, KEY_MODE, PUBLIC_MODE};
use crate::output::{print_json, Failure};

/// Key commands.
#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// Generate a private key (PKCS#8 PEM, mode 0600) and optionally its public key (SPKI PEM)
    #[command(
        after_help = "Examples:\n  https-kit key new --out site.key --pub site.pub\n  https-kit key new --type rsa-2048 --out site.key"
    )]
    New(NewArgs),
}

/// `key new` options.
#[derive(Args, Debug)]
pub struct NewArgs {
    /// Key type
    #[arg(long = "type", value_enum, default_value_t = KeyTypeArg::EcdsaP256)]
    pub key_type: KeyTypeArg,
    /// Where to write the private key
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Also write the public key here
    #[arg(long = "pub", value_name = "FILE")]
    pub public: Option<PathBuf>,
    /// Replace existing files
    #[arg(long)]
    pub force: bool,
    /// Print the result as JSON
    #[arg(long)]
    pub json: bool,
}

/// Run a key command.
pub fn run(cmd: KeyCommand) -> Result<(), Failure> {
    match cmd {
        KeyCommand::New(a) => new(a),
    }
}

fn new(a: NewArgs) -> Result<(), Failure> {
    let mut targets = vec![a.out.clone()];
    targets.extend(a.public.clone());
    refuse_existing(&targets, a.force)?;
    let key = generate_key(a.key_type.into())?;
    let mut set = FileSet::new(a.force);
    set.add(&a.out, key.to_pkcs8_pem().as_bytes(), KEY_MODE);
    if let Some(p) = &a.public {
        set.add(p, key.public_key_pem(), PUBLIC_MODE);
    }
    set.commit()?;
    if a.json {
        print_json(&json!({
            "key": a.out,
            "public_key": a.public,
            "key_type": key.algorithm().to_string(),
            "public_key_sha256": key.public_key_fingerprint(),
        }));
        return Ok(());
    }
    println!("generated a new key: {}", key.algorithm());
    println!("  private key: {}   (PKCS#8, mode 0600)", a.out.display());
    if let Some(p) = &a.public {
        println!("  public key:  {}", p.display());
    }
    println!("  public key sha256: {}", key.public_key_fingerprint());
    println!(
        "\nnext: https-kit csr new --key {} --cn www.example.test --san DNS:www.example.test --out site.csr",
        shell(&a.out)
    );
    Ok(())
}
