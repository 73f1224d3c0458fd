//! PEM reading with errors that name the label that was expected.
use crate::{Error, Result};

/// Parse every PEM block in `text`. Rejects text with no block, and blocks that are
/// corrupt (bad base64) or truncated (no END line).
pub(crate) fn parse_all(text: &[u8]) -> Result<Vec<pem::Pem>> {
    let s = std::str::from_utf8(text)
        .map_err(|_| Error::BadPem("the file is binary, not PEM text".into()))?;
    if !s.contains("-----BEGIN ") {
        return Err(Error::BadPem("no \"-----BEGIN\" line found".into()));
    }
    let begins = s.matches("-----BEGIN ").count();
    let blocks = pem::parse_many(s).map_err(|e| Error::BadPem(describe_pem_error(&e)))?;
    // pem::parse_many silently skips a block whose END line is missing: catch truncation here.
    if blocks.len() != begins {
        return Err(Error::BadPem(
            "a block is truncated (BEGIN without a matching END line)".into(),
        ));
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

fn describe_pem_error(e: &pem::PemError) -> String {
    match e {
        pem::PemError::InvalidData(_) => "corrupt base64 inside a block".into(),
        pem::PemError::MissingEndTag => "truncated: a block has no END line".into(),
        pem::PemError::MismatchedTags(a, b) => format!("BEGIN {a} does not match END {b}"),
        other => other.to_string(),
    }
}

/// PEM-encode `der` with `label`, LF line endings.
pub(crate) fn encode(label: &str, der: &[u8]) -> String {
    pem::encode_config(
        &pem::Pem::new(label, der.to_vec()),
        pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
    )
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
