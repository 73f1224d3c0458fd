//! The explanation: every check made, on which certificate, with its outcome and values.

use serde::Serialize;
use std::fmt;

/// What a step checked. The JSON names are stable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// DER/X.509 structure, version, serial, algorithm fields, extension encoding.
    Parse,
    /// notBefore <= time <= notAfter (seed step 2).
    Validity,
    /// A critical extension we do not understand.
    CriticalExtensions,
    /// Looking for an issuer among anchors and intermediates whose subject = this issuer.
    IssuerLookup,
    /// The issuer's signature over the TBS bytes (seed steps 3-4).
    Signature,
    /// basicConstraints cA on issuers, not on the end entity.
    BasicConstraints,
    /// keyUsage (keyCertSign on issuers).
    KeyUsage,
    /// extendedKeyUsage allows the purpose.
    ExtendedKeyUsage,
    /// Key identifiers and other RFC 5280 profile rules.
    Profile,
    /// pathLenConstraint and the caller's depth limit.
    PathLength,
    /// nameConstraints of a CA against the names below it.
    NameConstraints,
    /// The expected DNS name / IP address is in the subjectAltName.
    Name,
    /// The certificate is not on a CRL of its issuer (only with caller-supplied CRLs).
    Revocation,
    /// The chosen path, or why no path worked.
    Path,
}

impl Check {
    fn label(self) -> &'static str {
        match self {
            Check::Parse => "parse",
            Check::Validity => "validity",
            Check::CriticalExtensions => "critical extensions",
            Check::IssuerLookup => "issuer lookup",
            Check::Signature => "signature",
            Check::BasicConstraints => "basic constraints",
            Check::KeyUsage => "key usage",
            Check::ExtendedKeyUsage => "extended key usage",
            Check::Profile => "profile",
            Check::PathLength => "path length",
            Check::NameConstraints => "name constraints",
            Check::Name => "name",
            Check::Revocation => "revocation",
            Check::Path => "path",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Fail,
    /// Neither: a note (e.g. "trying the next candidate").
    Info,
}

/// The seed's "hash the data and compare", made visible.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignatureDetail {
    /// e.g. "ecdsa-with-SHA256".
    pub algorithm: String,
    /// e.g. "SHA-256".
    pub hash: String,
    /// Hex digest of the TBSCertificate bytes with that hash.
    pub tbs_digest: String,
    /// Issuer key, e.g. "ECDSA P-256".
    pub issuer_key: String,
    /// Subject of the certificate whose key verified (or failed to verify) the signature.
    pub issuer: String,
}

/// One check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    pub check: Check,
    /// Which certificate: `end-entity`, `intermediate[i]` (index in the given list), `anchor[i]`.
    pub cert: String,
    pub subject: String,
    pub outcome: Outcome,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<SignatureDetail>,
}

/// One certificate of the chosen path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PathEntry {
    pub cert: String,
    pub subject: String,
}

/// The verdict with its explanation. `serde_json::to_string(&report)` is the stable JSON form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub valid: bool,
    /// Validation time, RFC 3339.
    pub time: String,
    pub name: Option<String>,
    pub purpose: String,
    pub steps: Vec<Step>,
    /// End entity first, trust anchor last; empty if no path was found.
    pub path: Vec<PathEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorInfo>,
}

/// The error in machine-readable form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ErrorInfo {
    /// Stable identifier, see [`crate::VerifyError::kind`].
    pub kind: String,
    pub message: String,
}

impl Report {
    /// Whether any step failed for a certificate-parse reason.
    pub fn has_failed(&self, check: Check) -> bool {
        self.steps
            .iter()
            .any(|s| s.check == check && s.outcome == Outcome::Fail)
    }

    /// The JSON form (pretty-printed).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"error\": \"serializing report: {e}\"}}"))
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "verifying for {} at {}{}",
            self.purpose,
            self.time,
            self.name
                .as_ref()
                .map(|n| format!(", expected name {n}"))
                .unwrap_or_default()
        )?;
        for step in &self.steps {
            let mark = match step.outcome {
                Outcome::Pass => "✓",
                Outcome::Fail => "✗",
                Outcome::Info => "·",
            };
            writeln!(
                f,
                "{mark} {:<19} {:<16} {}",
                step.check.label(),
                step.cert,
                step.detail
            )?;
            if let Some(sig) = &step.signature {
                writeln!(
                    f,
                    "    algorithm {} (hash {}), issuer key {} of {}",
                    sig.algorithm, sig.hash, sig.issuer_key, sig.issuer
                )?;
                writeln!(f, "    {}(TBS) = {}", sig.hash, sig.tbs_digest)?;
            }
        }
        if !self.path.is_empty() {
            writeln!(f, "path:")?;
            for (depth, p) in self.path.iter().enumerate() {
                writeln!(f, "  {depth}: {} {}", p.cert, p.subject)?;
            }
        }
        match &self.error {
            None => write!(f, "✓ VALID"),
            Some(e) => write!(f, "✗ INVALID: {}", e.message),
        }
    }
}
