//! The server's checks on a ClientHello that need no negotiation state (RFC 8446 §4.1.2, §4.2.8):
//! version fields, key shares, and what a second ClientHello after a HelloRetryRequest may change.
//! Depends only on the codec and the key-exchange groups.

use https_record::AlertDescription;

use crate::codec::{
    ClientExtension, ClientHello, ClientHelloExtensions, ExtensionType, KeyShareEntry,
    ProtocolVersion,
};
use crate::error::{Error, PeerMisbehaved};
use crate::kx::NamedGroup;

/// legacy_version, supported_versions and compression: what makes a hello TLS 1.3 at all.
pub(crate) fn check_versions(
    ch: &ClientHello,
    exts: &ClientHelloExtensions<'_>,
) -> Result<(), Error> {
    // A TLS 1.3 client sets legacy_version to 0x0303 (RFC 8446 §4.1.2, D.5); below that it is an
    // SSL 3.0 / TLS 1.0-1.1 client whatever its supported_versions says.
    if ch.legacy_version.to_u16() < ProtocolVersion::Tls12.to_u16() {
        return Err(Error::proto(
            AlertDescription::ProtocolVersion,
            PeerMisbehaved::LegacyVersionTooLow(ch.legacy_version),
        ));
    }
    if !exts
        .supported_versions
        .is_some_and(|v| v.contains(&ProtocolVersion::Tls13))
    {
        return Err(Error::proto(
            AlertDescription::ProtocolVersion,
            PeerMisbehaved::NoTls13Offered,
        ));
    }
    if ch.compression_methods != [0] {
        return Err(Error::illegal(PeerMisbehaved::CompressionOffered));
    }
    Ok(())
}

/// Each share is for a listed group, at most once, and well formed for its group when we know the
/// group (RFC 8446 §4.2.8: an empty or malformed key_exchange is illegal_parameter).
pub(crate) fn check_key_shares(shares: &[KeyShareEntry], groups: &[u16]) -> Result<(), Error> {
    for (i, s) in shares.iter().enumerate() {
        if !groups.contains(&s.group) || shares[..i].iter().any(|o| o.group == s.group) {
            return Err(Error::illegal(PeerMisbehaved::KeyShareNotListed));
        }
        if s.payload.is_empty() {
            return Err(Error::illegal(PeerMisbehaved::EmptyKeyShare));
        }
        if let Some(g) = NamedGroup::from_u16(s.group) {
            g.check_public(&s.payload)?;
        }
    }
    Ok(())
}

/// Extensions a second ClientHello may change (RFC 8446 §4.1.2): key_share (checked against the
/// requested group elsewhere), early_data (must be gone), cookie (added), pre_shared_key (ages and
/// binders recomputed, incompatible identities dropped) and padding.
fn may_change(typ: ExtensionType) -> bool {
    matches!(
        typ,
        ExtensionType::KeyShare
            | ExtensionType::EarlyData
            | ExtensionType::Cookie
            | ExtensionType::PreSharedKey
            | ExtensionType::Padding
    )
}

/// The second ClientHello is the first with only the changes §4.1.2 allows; anything else is
/// illegal_parameter (a client may not renegotiate SNI, ALPN, its random, its suites... mid-way).
pub(crate) fn check_second_hello(first: &ClientHello, second: &ClientHello) -> Result<(), Error> {
    let changed = |what| Error::illegal(PeerMisbehaved::SecondHelloChanged(what));
    if second.legacy_version != first.legacy_version {
        return Err(changed("legacy_version"));
    }
    if second.random != first.random {
        return Err(changed("the random"));
    }
    if second.session_id != first.session_id {
        return Err(changed("legacy_session_id"));
    }
    if second.cipher_suites != first.cipher_suites {
        return Err(changed("cipher_suites"));
    }
    if second.compression_methods != first.compression_methods {
        return Err(changed("legacy_compression_methods"));
    }
    if second.ext(ExtensionType::EarlyData).is_some() {
        return Err(Error::illegal(PeerMisbehaved::SecondHelloEarlyData));
    }
    check_psk_update(first, second)?;
    let mut a = first
        .extensions
        .iter()
        .filter(|e| !may_change(e.ext_type()));
    let mut b = second
        .extensions
        .iter()
        .filter(|e| !may_change(e.ext_type()));
    loop {
        match (a.next(), b.next()) {
            (None, None) => return Ok(()),
            (Some(x), Some(y)) if x == y => {}
            (x, y) => {
                let typ = y.or(x).map_or(ExtensionType::Unknown(0), |e| e.ext_type());
                return Err(Error::illegal(PeerMisbehaved::SecondHelloChangedExtension(
                    typ,
                )));
            }
        }
    }
}

/// pre_shared_key may be updated or dropped, never added, and keeps only identities offered first.
fn check_psk_update(first: &ClientHello, second: &ClientHello) -> Result<(), Error> {
    let Some(ClientExtension::PreSharedKey(new)) = second.ext(ExtensionType::PreSharedKey) else {
        return Ok(());
    };
    let Some(ClientExtension::PreSharedKey(old)) = first.ext(ExtensionType::PreSharedKey) else {
        return Err(Error::illegal(PeerMisbehaved::SecondHelloAddsPsk));
    };
    let offered_before = |id: &[u8]| old.identities.iter().any(|o| o.identity == id);
    if new.identities.iter().all(|i| offered_before(&i.identity)) {
        Ok(())
    } else {
        Err(Error::illegal(PeerMisbehaved::SecondHelloNewPskIdentity))
    }
}
