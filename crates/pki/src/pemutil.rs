//! PEM reading with errors that name the label that was expected. The splitting itself (and its
//! truncation check) is https-pkix's, shared with the validator.
use crate::{Error, Result};

pub(crate) use https_pkix::pem::encode;

/// Parse every PEM block in `text`. Rejects text with no block, and blocks that are
/// corrupt (bad base64) or truncated (no END line).
pub(crate) fn parse_all(text: &[u8]) -> Result<Vec<pem::Pem>> {
    let blocks = https_pkix::pem::parse_all(text).map_err(|e| Error::BadPem(e.to_string()))?;
    if blocks.is_empty() {
        return Err(Error::BadPem("no \"-----BEGIN\" line found".into()));
    }
    Ok(blocks)
}

/// The first block carrying one of `labels` (so a combined cert+key file works for either);
/// when none does, the error names the label that was found.
pub(crate) fn parse_one(text: &[u8], labels: &[&str]) -> Result<pem::Pem> {
    let blocks = parse_all(text)?;
    let Some(first_tag) = blocks.first().map(|b| b.tag().to_string()) else {
        return Err(Error::BadPem("no PEM block found".into()));
    };
    blocks
        .into_iter()
        .find(|b| labels.contains(&b.tag()))
        .ok_or_else(|| Error::WrongLabel {
            expected: labels.join(" or "),
            found: first_tag,
        })
}

/// SHA-256 of `bytes`, as upper-case colon-separated hex (the form `openssl -fingerprint` prints).
pub fn sha256_fingerprint(bytes: &[u8]) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, bytes);
    d.as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}
