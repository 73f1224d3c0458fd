//! Trust anchors: the CA certificates the verifier trusts (the seed's "CA trusted by the browser").

use crate::cert::Cert;
use crate::error::VerifyError;
use crate::frozen::Frozen;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::Path;

/// The default system bundle (Debian/Ubuntu layout).
pub const SYSTEM_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// A set of trusted CA certificates, indexed by subject name for path building.
///
/// Anchors are full certificates: at verification time their dates, basicConstraints,
/// keyUsage and critical extensions are checked too (their self-signature is not).
#[derive(Clone, Debug, Default)]
pub struct TrustAnchors {
    certs: Vec<Vec<u8>>,
    /// Each anchor parsed once (None: parsed again when used, see [`Frozen::freeze`]).
    parsed: Vec<Option<Frozen>>,
    subjects: Vec<String>,
    by_subject: HashMap<Vec<u8>, Vec<usize>, BuildHasherDefault<Fnv>>,
    rejected: Vec<String>,
}

impl TrustAnchors {
    /// An empty set (nothing is trusted).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one DER certificate. Fails if it is not a parseable certificate.
    pub fn add_der(&mut self, der: &[u8]) -> Result<(), VerifyError> {
        let cert = Cert::parse(der)?;
        let subject = cert.subject_raw().to_vec();
        let label = cert.subject_string();
        let index = self.certs.len();
        let owned = der.to_vec();
        // Offsets are the same in the copy as in `der`.
        self.parsed.push(Frozen::freeze(der, &cert));
        self.certs.push(owned);
        self.subjects.push(label);
        self.by_subject.entry(subject).or_default().push(index);
        Ok(())
    }

    /// Builds a set from DER certificates; every one must parse.
    pub fn from_der_list<I, B>(certs: I) -> Result<Self, VerifyError>
    where
        I: IntoIterator<Item = B>,
        B: AsRef<[u8]>,
    {
        let mut set = Self::new();
        for der in certs {
            set.add_der(der.as_ref())?;
        }
        Ok(set)
    }

    /// Builds a set from a PEM bundle. Certificates that do not parse are skipped and listed in
    /// [`TrustAnchors::rejected`] (system bundles carry a few odd ones); fails if none is usable.
    pub fn from_pem(pem_text: &[u8]) -> Result<Self, VerifyError> {
        let blocks =
            https_pkix::pem::parse_all(pem_text).map_err(|e| VerifyError::InvalidInput {
                what: format!("PEM: {e}"),
            })?;
        let mut set = Self::new();
        for (i, block) in blocks
            .iter()
            .filter(|b| b.tag() == "CERTIFICATE")
            .enumerate()
        {
            if let Err(e) = set.add_der(block.contents()) {
                set.rejected.push(format!("certificate #{i}: {e}"));
            }
        }
        if set.is_empty() {
            return Err(VerifyError::InvalidInput {
                what: "no usable CERTIFICATE in the PEM bundle".into(),
            });
        }
        Ok(set)
    }

    /// Reads a PEM bundle (or a single DER certificate) from a file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, VerifyError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| VerifyError::InvalidInput {
            what: format!("cannot read {}: {e}", path.display()),
        })?;
        if bytes.first() == Some(&0x30) {
            return Self::from_der_list([bytes]);
        }
        Self::from_pem(&bytes)
    }

    /// The system store ([`SYSTEM_BUNDLE`]).
    pub fn system() -> Result<Self, VerifyError> {
        Self::from_file(SYSTEM_BUNDLE)
    }

    pub fn len(&self) -> usize {
        self.certs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.certs.is_empty()
    }

    /// DER of anchor `index`.
    pub fn der(&self, index: usize) -> Option<&[u8]> {
        self.certs.get(index).map(|c| c.as_slice())
    }

    /// Anchor `index`, parsed (from the set's own copy of its DER).
    pub(crate) fn cert(&self, index: usize) -> Option<Cert<'_>> {
        let der = self.certs.get(index)?;
        match self.parsed.get(index) {
            Some(Some(frozen)) => Some(frozen.thaw(der)),
            _ => Cert::parse(der).ok(),
        }
    }

    /// Readable subject of anchor `index`.
    pub fn subject(&self, index: usize) -> Option<&str> {
        self.subjects.get(index).map(|s| s.as_str())
    }

    /// Why some certificates of a PEM bundle were not loaded.
    pub fn rejected(&self) -> &[String] {
        &self.rejected
    }

    /// Indices of anchors whose subject is exactly `subject_der` (an encoded Name).
    pub(crate) fn with_subject(&self, subject_der: &[u8]) -> &[usize] {
        self.by_subject
            .get(subject_der)
            .map(|v| v.as_slice())
            .unwrap_or(&[])
    }
}

/// FNV-1a for the subject index: looked up twice per validation with a name of ~60 bytes, where
/// SipHash's flooding resistance buys nothing (the keys are the configured anchors' subjects).
#[derive(Clone, Copy, Debug)]
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}
