//! `https-kit verify CERT`: the seed's handshake steps 2–4 on a certificate file, step by step.
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use https_verify::{Purpose, Request, ServerName, TrustAnchors};

use crate::files;
use crate::output::Failure;

/// `verify` options.
#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    https-kit verify site.fullchain.crt --roots ca/ca.crt --host www.example.test\n  \
    https-kit verify site.crt --chain chain.crt --at 2030-01-01T00:00:00Z --json\n  \
    https-kit verify client.crt --roots ca/ca.crt --purpose client\n\n\
    Exit codes: 0 valid, 1 invalid, 2 bad usage or input that cannot be read as certificates.")]
pub struct VerifyArgs {
    /// The certificate to check (PEM or DER). A PEM file may hold the whole chain, leaf first.
    pub cert: PathBuf,
    /// More candidate intermediates (PEM bundle or DER)
    #[arg(long, value_name = "FILE")]
    pub chain: Option<PathBuf>,
    /// Trusted roots (PEM bundle or DER); default: the system store
    #[arg(long, value_name = "FILE")]
    pub roots: Option<PathBuf>,
    /// Expected server name: DNS name or IP address (checked against subjectAltName)
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
    /// Validation time, RFC 3339 (default: now)
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<String>,
    /// A CRL (PEM or DER) to check revocation against; repeatable
    #[arg(long = "crl", value_name = "FILE")]
    pub crls: Vec<PathBuf>,
    /// What the certificate is for: a TLS server (EKU serverAuth) or client (clientAuth)
    #[arg(long, value_enum, default_value_t = PurposeArg::Server)]
    pub purpose: PurposeArg,
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
}

/// `--purpose` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PurposeArg {
    Server,
    Client,
}

/// Reads certificates from a PEM file (all CERTIFICATE blocks, in order) or one DER certificate.
fn read_certs(path: &Path) -> Result<Vec<Vec<u8>>, Failure> {
    let bytes = files::read_bytes(path)?;
    if bytes.first() == Some(&0x30) {
        return Ok(vec![bytes]);
    }
    let certs = https_verify::certs_from_pem(&bytes)
        .map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(Failure::usage(format!(
            "{}: no CERTIFICATE found (expected PEM or DER)",
            path.display()
        )));
    }
    Ok(certs)
}

fn parse_time(at: Option<&str>) -> Result<i64, Failure> {
    match at {
        None => Ok(https_verify::unix_now()),
        Some(text) => {
            time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                .map(|t| t.unix_timestamp())
                .map_err(|e| Failure::usage(format!("--at {text:?} is not an RFC 3339 time: {e}")))
        }
    }
}

/// Run `verify`.
pub fn run(a: VerifyArgs) -> Result<(), Failure> {
    let mut certs = read_certs(&a.cert)?;
    if let Some(chain) = &a.chain {
        certs.extend(read_certs(chain)?);
    }
    let anchors = match &a.roots {
        Some(path) => TrustAnchors::from_file(path),
        None => TrustAnchors::system(),
    }
    .map_err(|e| {
        let hint = if a.roots.is_none() {
            " (pass --roots FILE)"
        } else {
            ""
        };
        Failure::usage(format!("trust anchors: {e}{hint}"))
    })?;
    let name = match &a.host {
        Some(h) => Some(ServerName::parse(h).map_err(|e| Failure::usage(format!("--host: {e}")))?),
        None => None,
    };
    let time = parse_time(a.at.as_deref())?;
    let mut crls = Vec::new();
    for path in &a.crls {
        let bytes = files::read_bytes(path)?;
        if bytes.first() == Some(&0x30) {
            crls.push(bytes);
            continue;
        }
        let found = https_verify::crls_from_pem(&bytes)
            .map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?;
        if found.is_empty() {
            return Err(Failure::usage(format!(
                "{}: no X509 CRL found",
                path.display()
            )));
        }
        crls.extend(found);
    }
    let crl_refs: Vec<&[u8]> = crls.iter().map(|c| c.as_slice()).collect();
    let (leaf, rest) = certs
        .split_first()
        .ok_or_else(|| Failure::usage("no certificate to verify"))?;
    let intermediates: Vec<&[u8]> = rest.iter().map(|c| c.as_slice()).collect();
    let purpose = match a.purpose {
        PurposeArg::Server => Purpose::Server,
        PurposeArg::Client => Purpose::Client,
    };
    let mut request = Request::new(leaf, &anchors, time)
        .intermediates(&intermediates)
        .purpose(purpose)
        .crls(&crl_refs);
    if let Some(n) = &name {
        request = request.name(n);
    }
    let (report, result) = https_verify::verify_with_report(&request);
    // A leaf that is not a certificate at all is unreadable input, not a rejected chain.
    let unreadable = matches!(&result, Err(https_verify::VerifyError::Malformed { what }) if what.starts_with("not a DER"))
        && report.path.is_empty()
        && report.steps.len() == 1;
    // The alert a TLS handshake would send for this failure (the handshake owns that mapping).
    let alert = result
        .as_ref()
        .err()
        .map(|e| https_handshake::certificate_alert(e).name());
    let text = match (a.json, alert) {
        (true, alert) => with_alert_json(&report, alert),
        (false, Some(alert)) => format!("{report} (alert {alert})"),
        (false, None) => report.to_string(),
    };
    // A closed pipe (e.g. `| head`) is not an error worth a panic.
    let _ = writeln!(std::io::stdout().lock(), "{text}");
    match result {
        Ok(_) => Ok(()),
        Err(e) if unreadable => Err(Failure::usage(format!("{}: {e}", a.cert.display()))),
        Err(e) => Err(Failure::refused(format!("certificate rejected: {e}"))),
    }
}

/// The report's JSON with `error.alert` added when verification failed.
fn with_alert_json(report: &https_verify::Report, alert: Option<&str>) -> String {
    let mut json = serde_json::to_value(report).unwrap_or_default();
    if let (Some(alert), Some(error)) = (alert, json.get_mut("error")) {
        error["alert"] = alert.into();
    }
    serde_json::to_string_pretty(&json).unwrap_or_else(|_| report.to_json())
}
