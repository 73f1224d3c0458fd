//! `https-kit ca init | intermediate | sign`: the CA side of the application stage.
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use https_pki::{CaOptions, CertificateAuthority, Csr, KeyType, PrivateKey, Profile};
use serde_json::json;

use crate::files::{self, FileSet, CA_DIR_MODE, KEY_MODE, PUBLIC_MODE};
use crate::output::{print_json, with_spinner, Failure};

/// CA commands.
#[derive(Subcommand, Debug)]
pub enum CaCommand {
    /// Create a root CA: DIR/ca.crt (share it) and DIR/ca.key (keep it secret)
    #[command(
        after_help = "Examples:\n  https-kit ca init --dir ./ca --name \"Dev CA\"\n  https-kit ca init --dir ./ca --key-type rsa-3072 --permit-dns example.internal"
    )]
    Init(InitArgs),
    /// Create an intermediate CA signed by a parent CA: DIR/ca.crt, DIR/ca.key, DIR/chain.crt
    #[command(
        after_help = "Example:\n  https-kit ca intermediate --dir ./int --parent ./ca --name \"Dev Issuing CA\""
    )]
    Intermediate(IntermediateArgs),
    /// Check a CSR against the CA's policy and sign it (seed step 3)
    #[command(
        after_help = "Example:\n  https-kit ca sign site.csr --dir ./ca --out site.crt\n\nPolicy: at least one DNS/IP subjectAltName, well-formed names, no *.tld wildcard,\nRSA >= 2048 bits, names inside the CA's name constraints. Refusals exit with 1."
    )]
    Sign(SignArgs),
}

/// Where the CA lives.
#[derive(Args, Debug, Clone)]
pub struct CaDir {
    /// CA directory [default: $HTTPS_KIT_CA_DIR, else ~/.local/share/https-kit]
    #[arg(long, value_name = "DIR", env = "HTTPS_KIT_CA_DIR")]
    pub dir: Option<PathBuf>,
}

impl CaDir {
    /// The directory to use.
    pub fn path(&self) -> PathBuf {
        self.dir.clone().unwrap_or_else(files::default_ca_dir)
    }
}

/// `ca init` options.
#[derive(Args, Debug)]
pub struct InitArgs {
    #[command(flatten)]
    pub ca: CaDir,
    /// Subject common name of the CA
    #[arg(long, default_value = "https-kit local CA")]
    pub name: String,
    #[command(flatten)]
    pub new: NewCaArgs,
}

/// What `ca init` and `ca intermediate` both take: the new CA's key, validity and constraints.
#[derive(Args, Debug)]
pub struct NewCaArgs {
    /// Key type of the new CA's key
    #[arg(long, value_enum, default_value_t = KeyTypeArg::EcdsaP256)]
    pub key_type: KeyTypeArg,
    /// Validity in days
    #[arg(long, default_value_t = https_pki::CA_DAYS)]
    pub days: u32,
    /// Only allow certificates for names under NAME (repeatable); IP addresses are then excluded
    #[arg(long, value_name = "NAME")]
    pub permit_dns: Vec<String>,
    /// Replace the CA's existing files
    #[arg(long)]
    pub force: bool,
    /// Print the result as JSON
    #[arg(long)]
    pub json: bool,
}

impl NewCaArgs {
    /// `base` (root or intermediate) with these days, key type and permitted names.
    fn options(&self, base: CaOptions) -> CaOptions {
        let mut options = base.days(self.days);
        options.key_type = self.key_type.into();
        options.permit_dns = self.permit_dns.clone();
        options
    }
}

/// `ca intermediate` options.
#[derive(Args, Debug)]
pub struct IntermediateArgs {
    /// Directory for the new intermediate CA
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    /// Directory of the parent CA that signs it
    #[arg(long, value_name = "DIR")]
    pub parent: PathBuf,
    /// Subject common name
    #[arg(long, default_value = "https-kit intermediate CA")]
    pub name: String,
    #[command(flatten)]
    pub new: NewCaArgs,
}

/// Leaf profile.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProfileArg {
    /// extendedKeyUsage serverAuth
    Server,
    /// extendedKeyUsage clientAuth
    Client,
}

/// `ca sign` options.
#[derive(Args, Debug)]
pub struct SignArgs {
    /// The certificate signing request (PEM)
    pub csr: PathBuf,
    #[command(flatten)]
    pub ca: CaDir,
    /// Certificate profile
    #[arg(long, value_enum, default_value_t = ProfileArg::Server)]
    pub profile: ProfileArg,
    /// Validity in days
    #[arg(long, default_value_t = https_pki::LEAF_DAYS)]
    pub days: u32,
    /// Where to write the certificate
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Also write the certificate followed by the CA's intermediates (what a server sends)
    #[arg(long, value_name = "FILE")]
    pub fullchain: Option<PathBuf>,
    /// Replace existing files
    #[arg(long)]
    pub force: bool,
    /// Print the result as JSON
    #[arg(long)]
    pub json: bool,
}

/// Key types as the CLI spells them.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyTypeArg {
    /// ECDSA P-256 (default: small and fast)
    #[value(name = "ecdsa-p256")]
    EcdsaP256,
    /// ECDSA P-384
    #[value(name = "ecdsa-p384")]
    EcdsaP384,
    /// Ed25519 (not accepted by all browsers for TLS)
    Ed25519,
    /// RSA 2048-bit
    #[value(name = "rsa-2048")]
    Rsa2048,
    /// RSA 3072-bit (slow to generate)
    #[value(name = "rsa-3072")]
    Rsa3072,
    /// RSA 4096-bit (slower to generate)
    #[value(name = "rsa-4096")]
    Rsa4096,
}

impl From<KeyTypeArg> for KeyType {
    fn from(k: KeyTypeArg) -> KeyType {
        match k {
            KeyTypeArg::EcdsaP256 => KeyType::EcdsaP256,
            KeyTypeArg::EcdsaP384 => KeyType::EcdsaP384,
            KeyTypeArg::Ed25519 => KeyType::Ed25519,
            KeyTypeArg::Rsa2048 => KeyType::Rsa2048,
            KeyTypeArg::Rsa3072 => KeyType::Rsa3072,
            KeyTypeArg::Rsa4096 => KeyType::Rsa4096,
        }
    }
}

/// Generate a key, with a spinner for the slow types.
pub fn generate_key(key_type: KeyType) -> Result<PrivateKey, Failure> {
    with_spinner(
        key_type.is_slow(),
        &format!("generating a {key_type} key (RSA takes a few seconds)"),
        || PrivateKey::generate(key_type),
    )
    .map_err(Failure::pki)
}

/// Run a CA command.
pub fn run(cmd: CaCommand) -> Result<(), Failure> {
    match cmd {
        CaCommand::Init(a) => init(a),
        CaCommand::Intermediate(a) => intermediate(a),
        CaCommand::Sign(a) => sign(a),
    }
}

fn init(a: InitArgs) -> Result<(), Failure> {
    let dir = a.ca.path();
    let (options, force, json) = (
        a.new.options(CaOptions::root(&a.name)),
        a.new.force,
        a.new.json,
    );
    // The suggested next command must be one this CA accepts.
    let example = match options.permit_dns.first() {
        Some(zone) => format!("www.{zone}"),
        None => "localhost 127.0.0.1".to_string(),
    };
    // Check before the (possibly slow) key generation, and again atomically when writing.
    refuse_existing(&[dir.join("ca.crt"), dir.join("ca.key")], force)?;
    let key = generate_key(options.key_type)?;
    let ca = CertificateAuthority::new_root_with_key(&options, key).map_err(Failure::pki)?;
    files::ensure_dir(&dir, CA_DIR_MODE)?;
    let (crt, key) = (dir.join("ca.crt"), dir.join("ca.key"));
    let mut set = FileSet::new(force);
    set.add(&crt, ca.cert_pem(), PUBLIC_MODE).add(
        &key,
        ca.key().to_pkcs8_pem().as_bytes(),
        KEY_MODE,
    );
    set.commit()?;
    report_ca(&ca, &dir, json, "root CA");
    if !json {
        println!(
            "\nnext: https-kit cert issue {example} --dir {}",
            shell(&dir)
        );
        println!(
            "      (clients trust it with e.g. curl --cacert {})",
            shell(&crt)
        );
    }
    Ok(())
}

fn intermediate(a: IntermediateArgs) -> Result<(), Failure> {
    let parent = load_ca(&a.parent)?;
    let (options, force, json) = (
        a.new.options(CaOptions::intermediate(&a.name)),
        a.new.force,
        a.new.json,
    );
    let targets = [
        a.dir.join("ca.crt"),
        a.dir.join("ca.key"),
        a.dir.join("chain.crt"),
    ];
    refuse_existing(&targets, force)?;
    let ca = with_spinner(
        options.key_type.is_slow(),
        "generating the intermediate's key",
        || parent.new_intermediate(&options),
    )
    .map_err(Failure::pki)?;
    files::ensure_dir(&a.dir, CA_DIR_MODE)?;
    let mut set = FileSet::new(force);
    set.add(&a.dir.join("ca.crt"), ca.cert_pem(), PUBLIC_MODE)
        .add(
            &a.dir.join("ca.key"),
            ca.key().to_pkcs8_pem().as_bytes(),
            KEY_MODE,
        )
        .add(&a.dir.join("chain.crt"), ca.chain_pem(), PUBLIC_MODE);
    set.commit()?;
    report_ca(&ca, &a.dir, json, "intermediate CA");
    if !json {
        println!(
            "\nnext: https-kit cert issue localhost --dir {}",
            shell(&a.dir)
        );
    }
    Ok(())
}

fn sign(a: SignArgs) -> Result<(), Failure> {
    let text = files::read_text(&a.csr)?;
    let csr = Csr::from_pem(&text).map_err(|e| Failure::file(&a.csr, e))?;
    let dir = a.ca.path();
    let ca = load_ca(&dir)?;
    let mut profile = match a.profile {
        ProfileArg::Server => Profile::server(),
        ProfileArg::Client => Profile::client(),
    };
    profile = profile.days(a.days);
    let signed = ca
        .sign_csr(&csr, &profile)
        .map_err(|e| Failure::file(&a.csr, e))?;
    let mut set = FileSet::new(a.force);
    set.add(&a.out, signed.cert_pem.clone(), PUBLIC_MODE);
    if let Some(fc) = &a.fullchain {
        set.add(fc, signed.fullchain_pem(), PUBLIC_MODE);
    }
    set.commit()?;
    let facts = https_pki::inspect::describe(signed.cert_pem.as_bytes()).map_err(Failure::pki)?;
    if a.json {
        print_json(&json!({
            "certificate": a.out,
            "fullchain": a.fullchain,
            "ca": ca.common_name(),
            "description": facts,
        }));
    } else {
        println!(
            "CA \"{}\" checked {} and signed it",
            ca.common_name(),
            a.csr.display()
        );
        println!("  certificate: {}", a.out.display());
        if let Some(fc) = &a.fullchain {
            println!("  fullchain:   {}", fc.display());
        }
        println!("  names:       {}", facts.subject_alt_names.join(", "));
        println!(
            "  expires:     {} (in {} days)",
            facts.not_after.as_deref().unwrap_or("?"),
            facts.expires_in_days.unwrap_or(0)
        );
        println!("  sha256:      {}", facts.sha256_fingerprint);
        if !ca.is_root() && a.fullchain.is_none() {
            println!(
                "\nnote: this CA is an intermediate; serve the certificate with {}/chain.crt appended (or use --fullchain)",
                dir.display()
            );
        }
        println!("\nnext: https-kit inspect {}", shell(&a.out));
    }
    Ok(())
}

/// Refuse early if any target exists (the final write checks again, atomically).
pub fn refuse_existing(paths: &[PathBuf], force: bool) -> Result<(), Failure> {
    if force {
        return Ok(());
    }
    for p in paths {
        if p.exists() {
            return Err(Failure::usage(format!(
                "{}: already exists; nothing was written (use --force to replace it)",
                p.display()
            )));
        }
    }
    Ok(())
}

/// Load the CA in `dir`, with errors that name the file at fault.
pub fn load_ca(dir: &Path) -> Result<CertificateAuthority, Failure> {
    if !dir.is_dir() {
        return Err(Failure::usage(format!(
            "{}: CA directory not found (create one with: https-kit ca init --dir {})",
            dir.display(),
            shell(dir)
        )));
    }
    let crt_path = dir.join("ca.crt");
    let key_path = dir.join("ca.key");
    let chain_path = dir.join("chain.crt");
    let crt = files::read_text(&crt_path)?;
    let key = files::read_text(&key_path)?;
    // Parse each file alone first so the error names the right one.
    https_pki::certificates_from_pem(&crt).map_err(|e| Failure::file(&crt_path, e))?;
    PrivateKey::from_pem(&key).map_err(|e| Failure::file(&key_path, e))?;
    let chain = if chain_path.exists() {
        let c = files::read_text(&chain_path)?;
        https_pki::certificates_from_pem(&c).map_err(|e| Failure::file(&chain_path, e))?;
        Some(c)
    } else {
        None
    };
    CertificateAuthority::from_pem(&crt, &key, chain.as_deref()).map_err(|e| match e {
        https_pki::Error::KeyMismatch => Failure::usage(format!(
            "{}: does not match the certificate {}",
            key_path.display(),
            crt_path.display()
        )),
        other => Failure::file(&crt_path, other),
    })
}

fn report_ca(ca: &CertificateAuthority, dir: &Path, json: bool, what: &str) {
    let facts = https_pki::inspect::describe(ca.cert_pem().as_bytes()).ok();
    let not_after = facts
        .as_ref()
        .and_then(|f| f.not_after.clone())
        .unwrap_or_default();
    if json {
        print_json(&json!({
            "kind": what,
            "dir": dir,
            "certificate": dir.join("ca.crt"),
            "key": dir.join("ca.key"),
            "chain": if ca.is_root() { None } else { Some(dir.join("chain.crt")) },
            "name": ca.common_name(),
            "key_type": ca.key().algorithm().to_string(),
            "not_after": not_after,
            "sha256_fingerprint": ca.fingerprint(),
        }));
        return;
    }
    println!(
        "created {what} \"{}\" ({})",
        ca.common_name(),
        ca.key().algorithm()
    );
    println!(
        "  certificate: {}   (give this to clients to trust)",
        dir.join("ca.crt").display()
    );
    println!(
        "  private key: {}   (mode 0600: keep it secret)",
        dir.join("ca.key").display()
    );
    if !ca.is_root() {
        println!("  chain:       {}", dir.join("chain.crt").display());
    }
    println!("  valid until: {not_after}");
    println!("  sha256:      {}", ca.fingerprint());
    if let Some(f) = &facts {
        for e in &f.extensions {
            if e.name == "nameConstraints" {
                println!("  constraints: {}", e.value);
            }
        }
    }
}

/// A path as a user would paste it into a shell (quoted if needed).
pub fn shell(p: &Path) -> String {
    let s = p.display().to_string();
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-~+=:,@".contains(c))
    {
        s
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}
