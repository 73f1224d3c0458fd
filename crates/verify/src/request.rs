//! What to verify ([`Request`]) and what a successful validation returns ([`VerifiedPath`]).

use crate::anchors::TrustAnchors;
use crate::name::ServerName;
use https_pkix::Purpose;

/// Hard limit on certificates in a path (end entity and anchor included), whatever the caller asks.
pub const MAX_PATH_LEN: usize = 10;

/// What to verify.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// The end-entity certificate, DER.
    pub end_entity: &'a [u8],
    /// Candidate intermediates, DER, in any order (e.g. the rest of a TLS Certificate message).
    pub intermediates: &'a [&'a [u8]],
    pub anchors: &'a TrustAnchors,
    /// Validation time, seconds since the Unix epoch.
    pub time: i64,
    /// The expected peer name; `None` skips the name check.
    pub name: Option<&'a ServerName>,
    pub purpose: Purpose,
    /// Maximum number of intermediate CAs (self-issued ones not counted); `None` = no extra limit
    /// beyond [`MAX_PATH_LEN`].
    pub max_depth: Option<usize>,
    /// keyUsage bits the end entity must have if it has a keyUsage extension
    /// (bit 0 = digitalSignature); 0 = no requirement.
    pub required_key_usage: u16,
    /// Certificate revocation lists (DER). A certificate on the path whose issuer published one
    /// of them is checked against it; a CRL that names the issuer but cannot be trusted (bad
    /// signature, issuer without cRLSign, no CRL number, unknown critical extension, issued in
    /// the future) fails the path. Empty: no revocation checking.
    pub crls: &'a [&'a [u8]],
}

impl<'a> Request<'a> {
    /// A request for a server certificate at `time` with no intermediates and no name check.
    pub fn new(end_entity: &'a [u8], anchors: &'a TrustAnchors, time: i64) -> Self {
        Request {
            end_entity,
            intermediates: &[],
            anchors,
            time,
            name: None,
            purpose: Purpose::Server,
            max_depth: None,
            required_key_usage: 0,
            crls: &[],
        }
    }

    pub fn intermediates(mut self, intermediates: &'a [&'a [u8]]) -> Self {
        self.intermediates = intermediates;
        self
    }

    pub fn name(mut self, name: &'a ServerName) -> Self {
        self.name = Some(name);
        self
    }

    pub fn purpose(mut self, purpose: Purpose) -> Self {
        self.purpose = purpose;
        self
    }

    pub fn crls(mut self, crls: &'a [&'a [u8]]) -> Self {
        self.crls = crls;
        self
    }

    pub fn max_depth(mut self, max: usize) -> Self {
        self.max_depth = Some(max);
        self
    }
}

/// The current time as Unix seconds (for [`Request::time`]).
pub fn unix_now() -> i64 {
    match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(_) => 0,
    }
}

/// A validated path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedPath {
    /// Indices into [`Request::intermediates`], from the end entity's issuer upward.
    pub intermediates: Vec<usize>,
    /// Index of the trust anchor in the [`TrustAnchors`] set.
    pub anchor: usize,
}
