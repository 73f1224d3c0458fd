//! `https-kit trust install|uninstall`: make browsers and the system trust the local CA (like
//! `mkcert -install`), or stop trusting it.
//!
//! Two stores on Linux: the NSS database Chromium and Firefox read (`~/.pki/nssdb`, changed with
//! `certutil` from libnss3-tools), and the system bundle (`/usr/local/share/ca-certificates` +
//! `update-ca-certificates`, root only). Each store is reported on its own: one missing tool does not
//! stop the other.

use crate::ca::CaDir;
use crate::files::{read_bytes, FileSet, PUBLIC_MODE};
use crate::output::{print_json, Failure};
use clap::{Args, Subcommand};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;

const TRUST_HELP: &str = "\
Examples:
  https-kit trust install              # the default CA, into ~/.pki/nssdb and (as root) the system store
  https-kit trust install --no-system  # browsers only
  https-kit trust uninstall

Chromium reads ~/.pki/nssdb on Linux; certutil comes from libnss3-tools. The system store needs root.";

/// Trust store commands.
#[derive(Subcommand, Debug)]
pub enum TrustCommand {
    /// Add the CA certificate to the NSS database and the system store
    #[command(after_help = TRUST_HELP)]
    Install(TrustArgs),
    /// Remove the CA certificate from the NSS database and the system store
    #[command(after_help = TRUST_HELP)]
    Uninstall(TrustArgs),
}

/// Options shared by install and uninstall.
#[derive(Args, Debug)]
pub struct TrustArgs {
    #[command(flatten)]
    pub ca: CaDir,
    /// Leave the system store alone (browsers only)
    #[arg(long)]
    pub no_system: bool,
    /// Leave the NSS database alone (system store only)
    #[arg(long)]
    pub no_nss: bool,
    /// Where system CA files go (update-ca-certificates reads it)
    #[arg(
        long,
        value_name = "DIR",
        default_value = "/usr/local/share/ca-certificates",
        hide = true
    )]
    pub system_dir: PathBuf,
    /// Print the result as JSON
    #[arg(long)]
    pub json: bool,
}

/// What happened in one store.
struct Outcome {
    store: &'static str,
    location: String,
    done: bool,
    detail: String,
}

pub fn run(cmd: TrustCommand) -> Result<(), Failure> {
    let (install, args) = match cmd {
        TrustCommand::Install(a) => (true, a),
        TrustCommand::Uninstall(a) => (false, a),
    };
    let dir = args.ca.path();
    let ca_path = dir.join("ca.crt");
    let ca_bytes = read_bytes(&ca_path)?;
    let description =
        https_pki::inspect::describe(&ca_bytes).map_err(|e| Failure::file(&ca_path, e))?;
    if description.is_ca != Some(true) {
        return Err(Failure::usage(format!(
            "{}: not a CA certificate",
            ca_path.display()
        )));
    }
    // One nickname per CA, so two local CAs can be trusted side by side.
    let short_fp: String = description
        .sha256_fingerprint
        .chars()
        .filter(|c| *c != ':')
        .take(16)
        .collect::<String>()
        .to_lowercase();
    let subject = description.subject.clone().unwrap_or_default();
    let nickname = format!("https-kit {subject} {short_fp}");
    let file_name = format!("https-kit-{short_fp}.crt");

    let mut outcomes = Vec::new();
    if !args.no_nss {
        outcomes.push(nss(install, &ca_path, &nickname));
    }
    if !args.no_system {
        outcomes.push(system(
            install,
            &ca_bytes,
            &args.system_dir.join(&file_name),
        ));
    }
    let verb = if install { "install" } else { "uninstall" };
    if args.json {
        print_json(&json!({
            "action": verb,
            "ca": ca_path,
            "subject": subject,
            "sha256": description.sha256_fingerprint,
            "stores": outcomes.iter().map(|o| json!({
                "store": o.store, "location": o.location, "done": o.done, "detail": o.detail,
            })).collect::<Vec<_>>(),
        }));
    } else {
        println!("{verb}: {subject} ({})", ca_path.display());
        for o in &outcomes {
            let mark = if o.done { "✓" } else { "·" };
            println!("  {mark} {:<6} {}: {}", o.store, o.location, o.detail);
        }
    }
    if outcomes.iter().any(|o| o.done) || outcomes.is_empty() {
        Ok(())
    } else {
        Err(Failure::refused(format!(
            "{verb}: no trust store was changed"
        )))
    }
}

fn home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn nss(install: bool, ca_path: &Path, nickname: &str) -> Outcome {
    let db_dir = home().join(".pki/nssdb");
    let location = db_dir.display().to_string();
    let outcome = |done, detail: String| Outcome {
        store: "nss",
        location: location.clone(),
        done,
        detail,
    };
    let db = format!("sql:{}", db_dir.display());
    let certutil = |args: &[&str]| {
        Command::new("certutil")
            .args(["-d", &db])
            .args(args)
            .output()
    };
    if Command::new("certutil").arg("-H").output().is_err() {
        return outcome(
            false,
            "skipped: certutil not found (apt-get install libnss3-tools)".into(),
        );
    }
    let present = certutil(&["-L", "-n", nickname])
        .map(|o| o.status.success())
        .unwrap_or(false);
    if install {
        if present {
            return outcome(true, "already trusted".into());
        }
        if !db_dir.join("cert9.db").exists() {
            if let Err(e) = std::fs::create_dir_all(&db_dir) {
                return outcome(false, format!("cannot create the database: {e}"));
            }
            match certutil(&["-N", "--empty-password"]) {
                Ok(o) if o.status.success() => {}
                Ok(o) => return outcome(false, format!("certutil -N: {}", stderr_line(&o.stderr))),
                Err(e) => return outcome(false, format!("certutil -N: {e}")),
            }
        }
        let ca = ca_path.display().to_string();
        match certutil(&["-A", "-t", "C,,", "-n", nickname, "-i", &ca]) {
            Ok(o) if o.status.success() => {
                outcome(true, "trusted for TLS servers (restart the browser)".into())
            }
            Ok(o) => outcome(false, format!("certutil -A: {}", stderr_line(&o.stderr))),
            Err(e) => outcome(false, format!("certutil -A: {e}")),
        }
    } else if !present {
        outcome(true, "was not trusted".into())
    } else {
        match certutil(&["-D", "-n", nickname]) {
            Ok(o) if o.status.success() => outcome(true, "removed".into()),
            Ok(o) => outcome(false, format!("certutil -D: {}", stderr_line(&o.stderr))),
            Err(e) => outcome(false, format!("certutil -D: {e}")),
        }
    }
}

fn system(install: bool, ca_bytes: &[u8], target: &Path) -> Outcome {
    let location = target.display().to_string();
    let outcome = |done, detail: String| Outcome {
        store: "system",
        location: location.clone(),
        done,
        detail,
    };
    let Some(dir) = target.parent() else {
        return outcome(false, "no directory".into());
    };
    if !dir.is_dir() {
        return outcome(false, format!("skipped: {} does not exist", dir.display()));
    }
    if install {
        if target.exists() {
            return outcome(true, "already installed".into());
        }
        let mut files = FileSet::new(false);
        files.add(target, ca_bytes.to_vec(), PUBLIC_MODE);
        if let Err(f) = files.commit() {
            return outcome(
                false,
                format!(
                    "skipped ({}); run as root to change the system store",
                    f.message
                ),
            );
        }
    } else {
        if !target.exists() {
            return outcome(true, "was not installed".into());
        }
        if let Err(e) = std::fs::remove_file(target) {
            return outcome(false, format!("cannot remove: {e}; run as root"));
        }
    }
    match Command::new("update-ca-certificates").output() {
        Ok(o) if o.status.success() => outcome(
            true,
            format!(
                "{} (update-ca-certificates ran)",
                if install { "installed" } else { "removed" }
            ),
        ),
        Ok(o) => outcome(
            false,
            format!("update-ca-certificates: {}", stderr_line(&o.stderr)),
        ),
        Err(e) => outcome(false, format!("update-ca-certificates: {e}")),
    }
}

fn stderr_line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("failed")
        .trim()
        .to_string()
}
