//! A parsed certificate kept as offsets into its own DER, so a trust anchor is parsed once, when
//! the [`crate::TrustAnchors`] set is built, and each validation only rebuilds the slices.

use crate::cert::{Basic, Cert, Eku};
use crate::error::VerifyError;
use crate::sig::SigAlg;
use crate::tbs::{AlgId, Param, Spki, Tbs};

/// Where a slice lies in the DER it was parsed from.
#[derive(Clone, Copy, Debug, Default)]
struct Span {
    start: usize,
    end: usize,
}

impl Span {
    fn of(base: &[u8], part: &[u8]) -> Span {
        // `part` was parsed out of `base`; anything else (never expected) maps to an empty span.
        let start = (part.as_ptr() as usize).wrapping_sub(base.as_ptr() as usize);
        if start > base.len() || part.len() > base.len() - start {
            return Span::default();
        }
        Span {
            start,
            end: start + part.len(),
        }
    }

    fn get(self, base: &[u8]) -> &[u8] {
        base.get(self.start..self.end).unwrap_or(&[])
    }
}

/// A [`Cert`] without its borrow: the same facts, with offsets instead of slices.
#[derive(Clone, Debug)]
pub(crate) struct Frozen {
    raw: Span,
    version: u32,
    serial: Span,
    alg_oid: Span,
    alg_params: Option<(u32, Span)>,
    issuer: Span,
    not_before: i64,
    not_after: i64,
    subject: Span,
    spki: Span,
    spki_oid: Span,
    spki_params: Option<(u32, Span)>,
    spki_unused_bits: u8,
    spki_key: Span,
    unique_ids: bool,
    extensions: Span,
    sig_unused_bits: u8,
    signature: Span,
    basic: Basic,
    key_usage: Option<u16>,
    eku: Option<Eku>,
    ski: Option<Span>,
    aki_key_id: Option<Span>,
    defect: Option<Box<VerifyError>>,
    serial_defect: Option<Box<VerifyError>>,
    unknown_critical: Option<String>,
    sig_alg: Result<SigAlg, Box<VerifyError>>,
}

impl Frozen {
    /// The offsets of `c`, parsed from `der`; None if it holds names (subjectAltName, name
    /// constraints), which are not kept here: such an anchor is parsed again when used.
    pub fn freeze(der: &[u8], c: &Cert<'_>) -> Option<Frozen> {
        if !c.san.is_empty() || c.nc.is_some() {
            return None;
        }
        let s = |part: &[u8]| Span::of(der, part);
        let t = &c.tbs;
        Some(Frozen {
            raw: s(t.raw),
            version: t.version,
            serial: s(t.serial),
            alg_oid: s(t.sig_alg.oid),
            alg_params: t.sig_alg.params.map(|p| (p.tag, s(p.data))),
            issuer: s(t.issuer),
            not_before: t.not_before,
            not_after: t.not_after,
            subject: s(t.subject),
            spki: s(t.spki_raw),
            spki_oid: s(t.spki.alg.oid),
            spki_params: t.spki.alg.params.map(|p| (p.tag, s(p.data))),
            spki_unused_bits: t.spki.unused_bits,
            spki_key: s(t.spki.key),
            unique_ids: t.unique_ids,
            extensions: s(t.extensions),
            sig_unused_bits: t.sig_unused_bits,
            signature: s(t.signature),
            basic: c.basic,
            key_usage: c.key_usage,
            eku: c.eku,
            ski: c.ski.map(s),
            aki_key_id: c.aki_key_id.map(s),
            defect: c.defect.clone(),
            serial_defect: c.serial_defect.clone(),
            unknown_critical: c.unknown_critical.clone(),
            sig_alg: c.sig_alg.clone(),
        })
    }

    /// The certificate again, borrowing `der` (the bytes it was frozen from).
    pub fn thaw<'a>(&self, der: &'a [u8]) -> Cert<'a> {
        let g = |span: Span| span.get(der);
        Cert {
            tbs: Tbs {
                raw: g(self.raw),
                version: self.version,
                serial: g(self.serial),
                sig_alg: AlgId {
                    oid: g(self.alg_oid),
                    params: self
                        .alg_params
                        .map(|(tag, data)| Param { tag, data: g(data) }),
                },
                issuer: g(self.issuer),
                not_before: self.not_before,
                not_after: self.not_after,
                subject: g(self.subject),
                spki_raw: g(self.spki),
                spki: Spki {
                    alg: AlgId {
                        oid: g(self.spki_oid),
                        params: self
                            .spki_params
                            .map(|(tag, data)| Param { tag, data: g(data) }),
                    },
                    unused_bits: self.spki_unused_bits,
                    key: g(self.spki_key),
                },
                unique_ids: self.unique_ids,
                extensions: g(self.extensions),
                sig_unused_bits: self.sig_unused_bits,
                signature: g(self.signature),
            },
            basic: self.basic,
            key_usage: self.key_usage,
            eku: self.eku,
            san: Vec::new(),
            nc: None,
            ski: self.ski.map(g),
            aki_key_id: self.aki_key_id.map(g),
            defect: self.defect.clone(),
            serial_defect: self.serial_defect.clone(),
            unknown_critical: self.unknown_critical.clone(),
            sig_alg: self.sig_alg.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_outside_the_base_are_empty() {
        let base = [1u8, 2, 3, 4];
        let other = [9u8; 2];
        assert_eq!(Span::of(&base, &base[1..3]).get(&base), &[2, 3]);
        assert!(Span::of(&base, &other).get(&base).is_empty());
    }
}
