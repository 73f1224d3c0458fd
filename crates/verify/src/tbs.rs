//! The TBSCertificate fields path validation reads, found by one strict DER walk (no allocation,
//! every length checked by `der::read`). Names are checked structurally here. Where a time or an
//! AlgorithmIdentifier is not in the canonical form every real certificate uses, x509-parser's
//! parser for that element decides, as it did when it parsed the whole certificate.

use crate::der::{self, Tlv};
use x509_parser::prelude::FromDer;

/// `AlgorithmIdentifier` parameters: tag number and contents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Param<'a> {
    pub tag: u32,
    pub data: &'a [u8],
}

/// `AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }`.
#[derive(Clone, Copy, Debug)]
pub struct AlgId<'a> {
    pub oid: &'a [u8],
    pub params: Option<Param<'a>>,
}

/// `SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }`.
#[derive(Clone, Copy, Debug)]
pub struct Spki<'a> {
    pub alg: AlgId<'a>,
    pub unused_bits: u8,
    pub key: &'a [u8],
}

/// One extension: its OID content bytes, criticality, extnValue contents and the whole element.
#[derive(Clone, Copy)]
pub struct Ext<'a> {
    pub oid: &'a [u8],
    pub critical: bool,
    pub value: &'a [u8],
    pub whole: &'a [u8],
}

/// The TBSCertificate (and the outer signature), as slices of the DER.
pub struct Tbs<'a> {
    /// The whole TBSCertificate element: what the issuer signed.
    pub raw: &'a [u8],
    /// 0 for v1 (absent), 2 for v3.
    pub version: u32,
    pub serial: &'a [u8],
    /// The TBS `signature` field, whole (the outer signatureAlgorithm is byte-identical).
    pub sig_alg: AlgId<'a>,
    pub issuer: &'a [u8],
    pub not_before: i64,
    pub not_after: i64,
    pub subject: &'a [u8],
    pub spki_raw: &'a [u8],
    pub spki: Spki<'a>,
    pub unique_ids: bool,
    /// The contents of the extensions SEQUENCE (empty when absent).
    pub extensions: &'a [u8],
    pub sig_unused_bits: u8,
    pub signature: &'a [u8],
}

fn expect<'a>(input: &'a [u8], tag: u8, what: &'static str) -> Result<(Tlv<'a>, &'a [u8]), String> {
    match der::read(input) {
        Some((t, rest)) if t.tag == tag => Ok((t, rest)),
        _ => Err(format!("not a DER X.509 certificate: bad {what}")),
    }
}

/// Parses a whole certificate; the error says what is not a certificate.
pub fn parse(der_bytes: &[u8]) -> Result<Tbs<'_>, String> {
    let (cert, rest) = expect(der_bytes, 0x30, "Certificate")?;
    if !rest.is_empty() {
        return Err(format!(
            "{} trailing byte(s) after the certificate",
            rest.len()
        ));
    }
    let (tbs, rest) = expect(cert.contents, 0x30, "tbsCertificate")?;
    let (outer_alg, rest) = expect(rest, 0x30, "signatureAlgorithm")?;
    let (sig, rest) = expect(rest, 0x03, "signatureValue")?;
    if !rest.is_empty() {
        return Err("not a DER X.509 certificate: data after the signature".into());
    }
    let (&sig_unused_bits, signature) = sig
        .contents
        .split_first()
        .ok_or("not a DER X.509 certificate: empty signature BIT STRING")?;
    let mut t = parse_tbs(tbs)?;
    if outer_alg.whole != t.sig_alg_whole {
        return Err(
            "signatureAlgorithm differs from the TBSCertificate signature field (RFC 5280 §4.1.1.2)"
                .into(),
        );
    }
    t.tbs.sig_unused_bits = sig_unused_bits;
    t.tbs.signature = signature;
    Ok(t.tbs)
}

struct Parsed<'a> {
    tbs: Tbs<'a>,
    sig_alg_whole: &'a [u8],
}

fn parse_tbs<'a>(tbs: Tlv<'a>) -> Result<Parsed<'a>, String> {
    let mut rest = tbs.contents;
    let mut version = 0;
    if rest.first() == Some(&0xa0) {
        let (v, r) = expect(rest, 0xa0, "version")?;
        let (int, after) = expect(v.contents, 0x02, "version")?;
        version = match (int.contents, after.is_empty()) {
            ([n], true) if *n < 0x80 => u32::from(*n),
            _ => return Err("not a DER X.509 certificate: bad version".into()),
        };
        rest = r;
    }
    let (serial, rest) = expect(rest, 0x02, "serialNumber")?;
    let (alg, rest) = expect(rest, 0x30, "signature")?;
    let sig_alg = alg_id(alg.whole).ok_or("not a DER X.509 certificate: bad signature field")?;
    let (issuer, rest) = expect(rest, 0x30, "issuer")?;
    name(issuer.whole)?;
    let (validity, rest) = expect(rest, 0x30, "validity")?;
    let (not_before, not_after) = times(validity.whole)?;
    let (subject, rest) = expect(rest, 0x30, "subject")?;
    name(subject.whole)?;
    let (spki, mut rest) = expect(rest, 0x30, "subjectPublicKeyInfo")?;
    let spki_fields =
        spki_parts(spki.whole).ok_or("not a DER X.509 certificate: bad subjectPublicKeyInfo")?;
    let mut unique_ids = false;
    for tags in [[0x81, 0xa1], [0x82, 0xa2]] {
        if let Some(&t) = rest.first().filter(|t| tags.contains(t)) {
            (_, rest) = expect(rest, t, "unique identifier")?;
            unique_ids = true;
        }
    }
    let mut extensions: &[u8] = &[];
    if !rest.is_empty() {
        let (wrap, r) = expect(rest, 0xa3, "extensions")?;
        let (seq, after) = expect(wrap.contents, 0x30, "extensions")?;
        if !r.is_empty() || !after.is_empty() {
            return Err("not a DER X.509 certificate: data after the extensions".into());
        }
        // Each Extension's envelope is checked as `Cert::parse` walks them.
        extensions = seq.contents;
    }
    Ok(Parsed {
        tbs: Tbs {
            raw: tbs.whole,
            version,
            serial: serial.contents,
            sig_alg,
            issuer: issuer.whole,
            not_before,
            not_after,
            subject: subject.whole,
            spki_raw: spki.whole,
            spki: spki_fields,
            unique_ids,
            extensions,
            sig_unused_bits: 0,
            signature: &[],
        },
        sig_alg_whole: alg.whole,
    })
}

/// An OID's contents are well formed: non-empty, minimal arcs, the last byte ends an arc.
fn oid_ok(c: &[u8]) -> bool {
    let mut start = true;
    for &b in c {
        if start && b == 0x80 {
            return false;
        }
        start = b & 0x80 == 0;
    }
    !c.is_empty() && start
}

type CommonAlgId = (&'static [u8], usize, Option<(u32, usize)>);

/// The AlgorithmIdentifiers of nearly every Web PKI certificate, as DER: (encoding, OID length,
/// parameters tag and offset, if any). Matched whole before the general walk.
const COMMON_ALG_IDS: &[CommonAlgId] = &[
    // ecdsa-with-SHA256, ecdsa-with-SHA384
    (
        &[
            0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02,
        ],
        8,
        None,
    ),
    (
        &[
            0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03,
        ],
        8,
        None,
    ),
    // id-ecPublicKey with P-256
    (
        &[
            0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
            0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
        ],
        7,
        Some((6, 13)),
    ),
    // sha256WithRSAEncryption, rsaEncryption (NULL parameters)
    (
        &[
            0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05,
            0x00,
        ],
        9,
        Some((5, 15)),
    ),
    (
        &[
            0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05,
            0x00,
        ],
        9,
        Some((5, 15)),
    ),
];

/// Parses an AlgorithmIdentifier element (x509-parser decides non-canonical ones).
pub fn alg_id(whole: &[u8]) -> Option<AlgId<'_>> {
    for &(der, oid_len, params) in COMMON_ALG_IDS {
        if whole == der {
            return Some(AlgId {
                oid: whole.get(4..4 + oid_len)?,
                params: match params {
                    Some((tag, at)) => Some(Param {
                        tag,
                        data: whole.get(at..)?,
                    }),
                    None => None,
                },
            });
        }
    }
    alg_id_walk(whole)
}

/// [`alg_id`] by a DER walk.
fn alg_id_walk(whole: &[u8]) -> Option<AlgId<'_>> {
    let fast = |strict: bool| {
        let (seq, rest) = der::read(whole)?;
        let (oid, rest_in) = der::read(seq.contents)?;
        if seq.tag != 0x30
            || !rest.is_empty()
            || oid.tag != 0x06
            || (strict && !oid_ok(oid.contents))
        {
            return None;
        }
        let params = match der::read(rest_in) {
            None if rest_in.is_empty() => None,
            Some((p, [])) if p.tag & 0x1f != 0x1f => Some(Param {
                tag: u32::from(p.tag & 0x1f),
                data: p.contents,
            }),
            _ => return None,
        };
        Some(AlgId {
            oid: oid.contents,
            params,
        })
    };
    // Outside the canonical form, x509-parser decides whether it is an AlgorithmIdentifier.
    fast(true).or_else(|| {
        let ok = matches!(
            x509_parser::x509::AlgorithmIdentifier::from_der(whole),
            Ok(([], _))
        );
        ok.then(|| fast(false)).flatten()
    })
}

/// Splits a SubjectPublicKeyInfo element.
pub fn spki_parts(whole: &[u8]) -> Option<Spki<'_>> {
    let (seq, rest) = der::read(whole)?;
    let (alg, rest_in) = der::read(seq.contents)?;
    let (bits, end) = der::read(rest_in)?;
    if seq.tag != 0x30 || !rest.is_empty() || alg.tag != 0x30 || bits.tag != 0x03 || !end.is_empty()
    {
        return None;
    }
    let (&unused_bits, key) = bits.contents.split_first()?;
    if unused_bits > 7 || (key.is_empty() && unused_bits != 0) {
        return None;
    }
    Some(Spki {
        alg: alg_id(alg.whole)?,
        unused_bits,
        key,
    })
}

/// The RDNs of a Name: each RDN's whole element; None if the Name is not well formed.
pub fn rdns(name: &[u8]) -> Option<impl Iterator<Item = &[u8]> + '_> {
    let (seq, rest) = der::read(name)?;
    if seq.tag != 0x30 || !rest.is_empty() {
        return None;
    }
    let mut check = seq.contents;
    while !check.is_empty() {
        let (rdn, r) = der::read(check)?;
        let mut n = 0;
        for atv in atvs(rdn.contents) {
            atv?;
            n += 1;
        }
        if rdn.tag != 0x31 || n == 0 {
            return None;
        }
        check = r;
    }
    let mut walk = seq.contents;
    Some(std::iter::from_fn(move || {
        let (rdn, r) = der::read(walk)?;
        walk = r;
        Some(rdn.whole)
    }))
}

/// The attributes of one RDN's contents: `Some((type OID, value TLV))`, or one `None` on a bad one.
fn atvs(mut set: &[u8]) -> impl Iterator<Item = Option<(&[u8], Tlv<'_>)>> {
    std::iter::from_fn(move || {
        if set.is_empty() {
            return None;
        }
        let one = (|| {
            let (atv, r) = der::read(set)?;
            let (oid, value) = der::read(atv.contents)?;
            let (value, end) = der::read(value)?;
            (atv.tag == 0x30 && oid.tag == 0x06 && end.is_empty())
                .then_some(((oid.contents, value), r))
        })();
        match one {
            Some((item, r)) => {
                set = r;
                Some(Some(item))
            }
            None => {
                set = &[];
                Some(None)
            }
        }
    })
}

/// The attribute values of type `oid` in a Name, in order (tag byte, contents); None if the
/// Name is not well formed.
pub fn attributes<'a>(
    name: &'a [u8],
    oid: &'a [u8],
) -> Option<impl Iterator<Item = (u8, &'a [u8])> + 'a> {
    // `parse` has checked the Name: walk it without checking again (a bad one yields nothing).
    let (seq, _) = der::read(name)?;
    let mut walk = seq.contents;
    let rdns = std::iter::from_fn(move || {
        let (rdn, r) = der::read(walk)?;
        walk = r;
        Some(rdn.whole)
    });
    Some(
        rdns.filter_map(|rdn| der::read(rdn))
            .flat_map(|(set, _)| atvs(set.contents).flatten())
            .filter(move |(t, _)| *t == oid)
            .map(|(_, v)| (v.tag, v.contents)),
    )
}

/// A Name element is `SEQUENCE OF SET SIZE (1..) OF SEQUENCE { OID, ANY }` in DER. (x509-parser
/// would read past some damage inside an attribute and see fewer RDNs than the bytes hold; the
/// raw bytes are what issuer matching compares, so damage is rejected here.)
fn name(whole: &[u8]) -> Result<(), String> {
    match rdns(whole) {
        Some(_) => Ok(()),
        None => Err("not a DER X.509 certificate: bad Name".into()),
    }
}

/// `Validity ::= SEQUENCE { notBefore Time, notAfter Time }` as Unix seconds.
fn times(whole: &[u8]) -> Result<(i64, i64), String> {
    let fast = || {
        let (seq, _) = der::read(whole)?;
        let (nb, rest) = der::read(seq.contents)?;
        let (na, end) = der::read(rest)?;
        if !end.is_empty() {
            return None;
        }
        Some((time(nb)?, time(na)?))
    };
    if let Some(t) = fast() {
        return Ok(t);
    }
    match x509_parser::certificate::Validity::from_der(whole) {
        Ok(([], v)) => Ok((v.not_before.timestamp(), v.not_after.timestamp())),
        _ => Err("not a DER X.509 certificate: bad validity".into()),
    }
}

/// UTCTime `YYMMDDHHMMSSZ` or GeneralizedTime `YYYYMMDDHHMMSSZ`; None for any other form.
fn time(t: Tlv<'_>) -> Option<i64> {
    let digits = |s: &[u8]| -> Option<i64> {
        s.iter().try_fold(0i64, |acc, &b| {
            b.is_ascii_digit().then(|| acc * 10 + i64::from(b - b'0'))
        })
    };
    let (year, rest) = match (t.tag, t.contents.len()) {
        (0x17, 13) => {
            let yy = digits(&t.contents[..2])?;
            (
                if yy < 50 { 2000 + yy } else { 1900 + yy },
                &t.contents[2..],
            )
        }
        (0x18, 15) => (digits(&t.contents[..4])?, &t.contents[4..]),
        _ => return None,
    };
    if rest[10] != b'Z' {
        return None;
    }
    let field = |i: usize| digits(&rest[i..i + 2]);
    let (month, day, hour, min, sec) = (field(0)?, field(2)?, field(4)?, field(6)?, field(8)?);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if day < 1 || day > days_in_month || hour > 23 || min > 59 || sec > 59 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + min * 60 + sec)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The extensions in the contents of the extensions SEQUENCE, in order; an `Err` item (and
/// nothing after it) if one is not `SEQUENCE { OID, BOOLEAN DEFAULT FALSE, OCTET STRING }`.
pub fn extensions(mut list: &[u8]) -> impl Iterator<Item = Result<Ext<'_>, ()>> {
    std::iter::from_fn(move || {
        if list.is_empty() {
            return None;
        }
        let one = (|| {
            let (ext, r) = der::read(list)?;
            let (oid, mut rest) = der::read(ext.contents)?;
            if ext.tag != 0x30 || oid.tag != 0x06 {
                return None;
            }
            let mut critical = false;
            if rest.first() == Some(&0x01) {
                let (b, r2) = der::read(rest)?;
                // BER booleans (any non-zero byte is TRUE), as x509-parser reads them.
                critical = match b.contents {
                    [v] => *v != 0,
                    _ => return None,
                };
                rest = r2;
            }
            let (value, end) = der::read(rest)?;
            (value.tag == 0x04 && end.is_empty()).then_some((
                Ext {
                    oid: oid.contents,
                    critical,
                    value: value.contents,
                    whole: ext.whole,
                },
                r,
            ))
        })();
        match one {
            Some((e, r)) => {
                list = r;
                Some(Ok(e))
            }
            None => {
                list = &[];
                Some(Err(()))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_match_the_calendar() {
        let utc = |s: &str| {
            let mut v = vec![0x17, s.len() as u8];
            v.extend_from_slice(s.as_bytes());
            der::read(&v).and_then(|(t, _)| time(t))
        };
        assert_eq!(utc("700101000000Z"), Some(0));
        assert_eq!(utc("000229120000Z"), Some(951_825_600));
        assert_eq!(utc("010229120000Z"), None, "not a leap year");
        assert_eq!(utc("491231235959Z"), Some(2_524_607_999));
        assert_eq!(utc("7001010000Z"), None, "no seconds");
        assert_eq!(utc("700101000060Z"), None);
    }

    #[test]
    fn common_alg_ids_read_as_the_walk_reads_them() {
        for (der, _, _) in COMMON_ALG_IDS {
            let (table, walk) = (alg_id(der).unwrap(), alg_id_walk(der).unwrap());
            assert_eq!((table.oid, table.params), (walk.oid, walk.params));
        }
    }

    #[test]
    fn oids_are_minimal() {
        assert!(oid_ok(&[0x55, 0x1d, 0x13]));
        assert!(!oid_ok(&[0x55, 0x80, 0x01]));
        assert!(!oid_ok(&[0x55, 0x81]));
        assert!(!oid_ok(&[]));
    }
}
