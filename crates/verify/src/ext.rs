//! Extension values. The forms every real certificate uses (basicConstraints, keyUsage,
//! extendedKeyUsage with the usual purposes, key identifiers, a subjectAltName of DNS names,
//! IP addresses, e-mail addresses and URIs) are read here without allocating; anything else goes
//! to x509-parser's parser for that extension, so the result is always the one x509-parser gives.

use crate::der;
use crate::error::VerifyError;
use crate::oid;
use crate::tbs::Ext;
use x509_parser::extensions::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, GeneralName, KeyIdentifier,
    KeyUsage, ParsedExtension, SubjectAlternativeName, X509Extension,
};
use x509_parser::prelude::FromDer;

const EKU_PREFIX: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03];
const ANY_EKU: &[u8] = &[0x55, 0x1d, 0x25, 0x00];

/// The parsed value of `ext`, as x509-parser's deep parse would give it.
pub fn parse<'a>(ext: &Ext<'a>) -> Result<ParsedExtension<'a>, VerifyError> {
    if let Some(p) = fast(ext) {
        return Ok(p);
    }
    match X509Extension::from_der(ext.whole) {
        Ok(([], e)) => Ok(e.parsed_extension().clone()),
        _ => Err(VerifyError::malformed(format!(
            "extension {} is not DER",
            oid::display(ext.oid)
        ))),
    }
}

fn fast<'a>(ext: &Ext<'a>) -> Option<ParsedExtension<'a>> {
    let v = ext.value;
    // id-ce extensions are 2.5.29.x: match the last byte (a jump, not a string compare each).
    let [0x55, 0x1d, id] = ext.oid else {
        return None;
    };
    Some(match id {
        0x13 => {
            let (ca, path_len_constraint) = match v {
                // cA FALSE is DEFAULT, but some CAs (rcgen among them) spell it out.
                [0x30, 0x00] | [0x30, 0x03, 0x01, 0x01, 0x00] => (false, None),
                [0x30, 0x03, 0x01, 0x01, 0xff] => (true, None),
                [0x30, 0x06, 0x01, 0x01, 0xff, 0x02, 0x01, n] if *n < 0x80 => {
                    (true, Some(u32::from(*n)))
                }
                _ => return None,
            };
            ParsedExtension::BasicConstraints(BasicConstraints {
                ca,
                path_len_constraint,
            })
        }
        0x0f => ParsedExtension::KeyUsage(KeyUsage {
            flags: key_usage(v)?,
        }),
        0x25 => ParsedExtension::ExtendedKeyUsage(eku(v)?),
        0x0e => {
            let (id, []) = der::read(v)? else { return None };
            if id.tag != 0x04 || id.contents.is_empty() {
                return None;
            }
            ParsedExtension::SubjectKeyIdentifier(KeyIdentifier(id.contents))
        }
        0x23 => {
            let (seq, []) = der::read(v)? else {
                return None;
            };
            let (id, []) = der::read(seq.contents)? else {
                return None;
            };
            if seq.tag != 0x30 || id.tag != 0x80 || id.contents.is_empty() {
                return None;
            }
            ParsedExtension::AuthorityKeyIdentifier(AuthorityKeyIdentifier {
                key_identifier: Some(KeyIdentifier(id.contents)),
                authority_cert_issuer: None,
                authority_cert_serial: None,
            })
        }
        0x11 => ParsedExtension::SubjectAlternativeName(san(v)?),
        _ => return None,
    })
}

/// keyUsage: a BIT STRING of one or two bytes in DER (zero padding, no trailing zero byte).
fn key_usage(v: &[u8]) -> Option<u16> {
    let (bits, []) = der::read(v)? else {
        return None;
    };
    let (&unused, data) = bits.contents.split_first()?;
    let &last = data.last()?;
    if bits.tag != 0x03
        || data.len() > 2
        || unused > 7
        || last == 0
        || last & ((1 << unused) - 1) != 0
    {
        return None;
    }
    // x509-parser's order: bit 0 (digitalSignature) is the first byte's top bit.
    Some(
        data.iter()
            .rev()
            .fold(0u16, |acc, b| (acc << 8) | u16::from(b.reverse_bits())),
    )
}

/// extendedKeyUsage listing only the purposes x509-parser names.
fn eku(v: &[u8]) -> Option<ExtendedKeyUsage<'static>> {
    let (seq, []) = der::read(v)? else {
        return None;
    };
    if seq.tag != 0x30 || seq.contents.is_empty() {
        return None;
    }
    let mut e = ExtendedKeyUsage {
        any: false,
        server_auth: false,
        client_auth: false,
        code_signing: false,
        email_protection: false,
        time_stamping: false,
        ocsp_signing: false,
        other: Vec::new(),
    };
    let mut rest = seq.contents;
    while !rest.is_empty() {
        let (o, r) = der::read(rest)?;
        rest = r;
        if o.tag != 0x06 {
            return None;
        }
        if o.contents == ANY_EKU {
            e.any = true;
            continue;
        }
        let flag = match o.contents.strip_prefix(EKU_PREFIX)? {
            [1] => &mut e.server_auth,
            [2] => &mut e.client_auth,
            [3] => &mut e.code_signing,
            [4] => &mut e.email_protection,
            [8] => &mut e.time_stamping,
            [9] => &mut e.ocsp_signing,
            _ => return None,
        };
        *flag = true;
    }
    Some(e)
}

/// subjectAltName made of dNSName, iPAddress, rfc822Name and URI entries (UTF-8 text).
fn san(v: &[u8]) -> Option<SubjectAlternativeName<'_>> {
    let (seq, []) = der::read(v)? else {
        return None;
    };
    if seq.tag != 0x30 || seq.contents.is_empty() {
        return None;
    }
    let mut general_names = Vec::new();
    let mut rest = seq.contents;
    while !rest.is_empty() {
        let (gn, r) = der::read(rest)?;
        rest = r;
        let text = || std::str::from_utf8(gn.contents).ok();
        general_names.push(match gn.tag {
            0x81 => GeneralName::RFC822Name(text()?),
            0x82 => GeneralName::DNSName(text()?),
            0x86 => GeneralName::URI(text()?),
            0x87 => GeneralName::IPAddress(gn.contents),
            _ => return None,
        });
    }
    Some(SubjectAlternativeName { general_names })
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXT_SUBJECT_KEY_ID: &[u8] = &[0x55, 0x1d, 0x0e];
    const EXT_AUTHORITY_KEY_ID: &[u8] = &[0x55, 0x1d, 0x23];

    /// The fast readers agree with x509-parser on the forms they accept.
    #[test]
    fn fast_forms_match_x509_parser() {
        let cases: &[(&[u8], &[u8])] = &[
            (oid::EXT_BASIC_CONSTRAINTS, &[0x30, 0x00]),
            (oid::EXT_BASIC_CONSTRAINTS, &[0x30, 0x03, 0x01, 0x01, 0xff]),
            (oid::EXT_BASIC_CONSTRAINTS, &[0x30, 0x03, 0x01, 0x01, 0x00]),
            (
                oid::EXT_BASIC_CONSTRAINTS,
                &[0x30, 0x06, 0x01, 0x01, 0xff, 0x02, 0x01, 0x03],
            ),
            (oid::EXT_KEY_USAGE, &[0x03, 0x02, 0x01, 0x86]),
            (oid::EXT_KEY_USAGE, &[0x03, 0x02, 0x05, 0xa0]),
            (oid::EXT_KEY_USAGE, &[0x03, 0x03, 0x07, 0x80, 0x80]),
            (
                oid::EXT_EXTENDED_KEY_USAGE,
                &[0x30, 0x0a, 0x06, 0x08, 0x2b, 6, 1, 5, 5, 7, 3, 1],
            ),
            (EXT_SUBJECT_KEY_ID, &[0x04, 0x02, 0xaa, 0xbb]),
            (EXT_AUTHORITY_KEY_ID, &[0x30, 0x04, 0x80, 0x02, 0xaa, 0xbb]),
            (
                oid::EXT_SUBJECT_ALT_NAME,
                &[0x30, 0x09, 0x82, 0x01, b'a', 0x87, 0x04, 127, 0, 0, 1],
            ),
        ];
        for &(id, value) in cases {
            let mut whole = vec![0x06, id.len() as u8];
            whole.extend_from_slice(id);
            whole.extend_from_slice(&[0x04, value.len() as u8]);
            whole.extend_from_slice(value);
            whole.splice(0..0, [0x30, whole.len() as u8]);
            let ext = Ext {
                oid: id,
                critical: false,
                value,
                whole: &whole,
            };
            let mine = fast(&ext).expect("a fast form");
            let (_, theirs) = X509Extension::from_der(&whole).expect("x509-parser parses it");
            assert_eq!(&mine, theirs.parsed_extension(), "{value:02x?}");
        }
    }
}
