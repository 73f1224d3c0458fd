//! Extensions (RFC 8446 §4.2, RFC 6066 server_name, RFC 7301 ALPN, RFC 8449 record_size_limit).

use super::{
    put_prefixed, put_u16_list, put_vec, read_u16_list, Codec, InvalidMessage, LenPrefix, Reader,
};

/// Extension type code points used here.
pub mod ext_type {
    #![allow(missing_docs)]
    pub const SERVER_NAME: u16 = 0;
    pub const STATUS_REQUEST: u16 = 5;
    pub const SUPPORTED_GROUPS: u16 = 10;
    pub const SIGNATURE_ALGORITHMS: u16 = 13;
    pub const ALPN: u16 = 16;
    pub const SIGNED_CERTIFICATE_TIMESTAMP: u16 = 18;
    pub const PADDING: u16 = 21;
    pub const RECORD_SIZE_LIMIT: u16 = 28;
    pub const PRE_SHARED_KEY: u16 = 41;
    pub const EARLY_DATA: u16 = 42;
    pub const SUPPORTED_VERSIONS: u16 = 43;
    pub const COOKIE: u16 = 44;
    pub const PSK_KEY_EXCHANGE_MODES: u16 = 45;
    pub const CERTIFICATE_AUTHORITIES: u16 = 47;
    pub const OID_FILTERS: u16 = 48;
    pub const POST_HANDSHAKE_AUTH: u16 = 49;
    pub const SIGNATURE_ALGORITHMS_CERT: u16 = 50;
    pub const KEY_SHARE: u16 = 51;
}
use ext_type::*;

/// Rejects an extension block that repeats a type (RFC 8446 §4.2). A hash set, not a list: a
/// 64 KiB block holds up to 16,383 empty extensions, and a quadratic scan of those is a peer-driven
/// CPU cost.
fn check_unique(seen: &mut std::collections::HashSet<u16>, typ: u16) -> Result<(), InvalidMessage> {
    if !seen.insert(typ) {
        return Err(InvalidMessage::DuplicateExtension(typ));
    }
    Ok(())
}

/// A `KeyShareEntry`: a group and its public value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyShareEntry {
    /// NamedGroup code point.
    pub group: u16,
    /// Public key bytes (X25519: 32 bytes; P-256: 65-byte uncompressed point).
    pub payload: Vec<u8>,
}

impl Codec for KeyShareEntry {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.group.to_be_bytes());
        put_vec(out, LenPrefix::U16, &self.payload);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let group = r.u16("key_share group")?;
        // key_exchange<1..2^16-1>: an empty one is parsed so that the state machine can refuse it
        // with illegal_parameter, as RFC 8446 §4.2.8 asks for an invalid share.
        let payload = r.vec(LenPrefix::U16, "key_exchange")?.to_vec();
        Ok(Self { group, payload })
    }
}

/// A PSK identity offered in `pre_shared_key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PskIdentity {
    /// The ticket (or external identity).
    pub identity: Vec<u8>,
    /// Obfuscated ticket age.
    pub obfuscated_ticket_age: u32,
}

/// The client's `pre_shared_key` payload (must be the last extension).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferedPsks {
    /// Identities, in order.
    pub identities: Vec<PskIdentity>,
    /// One binder per identity.
    pub binders: Vec<Vec<u8>>,
}

impl OfferedPsks {
    /// Encoded size of the binders list (what the partial ClientHello hash excludes).
    pub fn binders_len(&self) -> usize {
        2 + self.binders.iter().map(|b| 1 + b.len()).sum::<usize>()
    }
}

impl Codec for OfferedPsks {
    fn encode(&self, out: &mut Vec<u8>) {
        put_prefixed(out, LenPrefix::U16, |o| {
            for id in &self.identities {
                put_vec(o, LenPrefix::U16, &id.identity);
                o.extend_from_slice(&id.obfuscated_ticket_age.to_be_bytes());
            }
        });
        put_prefixed(out, LenPrefix::U16, |o| {
            for b in &self.binders {
                put_vec(o, LenPrefix::U8, b);
            }
        });
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let mut ids = r.sub(LenPrefix::U16, "psk identities")?;
        let mut identities = Vec::new();
        while !ids.is_empty() {
            let identity = ids
                .vec_bounded(LenPrefix::U16, 1, 0xffff, "psk identity")?
                .to_vec();
            let obfuscated_ticket_age = ids.u32("obfuscated_ticket_age")?;
            identities.push(PskIdentity {
                identity,
                obfuscated_ticket_age,
            });
        }
        let mut bs = r.sub(LenPrefix::U16, "psk binders")?;
        let mut binders = Vec::new();
        while !bs.is_empty() {
            binders.push(
                bs.vec_bounded(LenPrefix::U8, 32, 255, "psk binder")?
                    .to_vec(),
            );
        }
        if identities.is_empty() || identities.len() != binders.len() {
            return Err(InvalidMessage::BadLength("pre_shared_key"));
        }
        Ok(Self {
            identities,
            binders,
        })
    }
}

/// An entry of `server_name`'s ServerNameList.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerNameEntry {
    /// NameType (0 = host_name).
    pub name_type: u8,
    /// The name bytes.
    pub name: Vec<u8>,
}

/// Extensions a ClientHello may carry. Unknown ones (including GREASE) are kept raw and ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientExtension {
    /// server_name (SNI).
    ServerName(Vec<ServerNameEntry>),
    /// supported_groups.
    SupportedGroups(Vec<u16>),
    /// signature_algorithms.
    SignatureAlgorithms(Vec<u16>),
    /// signature_algorithms_cert.
    SignatureAlgorithmsCert(Vec<u16>),
    /// application_layer_protocol_negotiation.
    Alpn(Vec<Vec<u8>>),
    /// record_size_limit.
    RecordSizeLimit(u16),
    /// supported_versions (list form).
    SupportedVersions(Vec<u16>),
    /// key_share (client_shares).
    KeyShare(Vec<KeyShareEntry>),
    /// psk_key_exchange_modes.
    PskKeyExchangeModes(Vec<u8>),
    /// pre_shared_key (offered identities and binders).
    PreSharedKey(OfferedPsks),
    /// cookie (echoed from a HelloRetryRequest).
    Cookie(Vec<u8>),
    /// early_data (empty in a ClientHello).
    EarlyData,
    /// Anything else, kept verbatim.
    Unknown(u16, Vec<u8>),
}

fn read_alpn_list(r: &mut Reader<'_>) -> Result<Vec<Vec<u8>>, InvalidMessage> {
    let mut l = Reader::new(r.vec_bounded(LenPrefix::U16, 2, 0xffff, "ALPN list")?);
    let mut v = Vec::new();
    while !l.is_empty() {
        v.push(
            l.vec_bounded(LenPrefix::U8, 1, 255, "ALPN protocol")?
                .to_vec(),
        );
    }
    Ok(v)
}

fn put_alpn_list(out: &mut Vec<u8>, list: &[Vec<u8>]) {
    put_prefixed(out, LenPrefix::U16, |o| {
        for p in list {
            put_vec(o, LenPrefix::U8, p);
        }
    });
}

impl ClientExtension {
    /// The extension type code point.
    pub fn ext_type(&self) -> u16 {
        match self {
            Self::ServerName(_) => SERVER_NAME,
            Self::SupportedGroups(_) => SUPPORTED_GROUPS,
            Self::SignatureAlgorithms(_) => SIGNATURE_ALGORITHMS,
            Self::SignatureAlgorithmsCert(_) => SIGNATURE_ALGORITHMS_CERT,
            Self::Alpn(_) => ALPN,
            Self::RecordSizeLimit(_) => RECORD_SIZE_LIMIT,
            Self::SupportedVersions(_) => SUPPORTED_VERSIONS,
            Self::KeyShare(_) => KEY_SHARE,
            Self::PskKeyExchangeModes(_) => PSK_KEY_EXCHANGE_MODES,
            Self::PreSharedKey(_) => PRE_SHARED_KEY,
            Self::Cookie(_) => COOKIE,
            Self::EarlyData => EARLY_DATA,
            Self::Unknown(t, _) => *t,
        }
    }

    fn encode_body(&self, o: &mut Vec<u8>) {
        match self {
            Self::ServerName(list) => put_prefixed(o, LenPrefix::U16, |o| {
                for e in list {
                    o.push(e.name_type);
                    put_vec(o, LenPrefix::U16, &e.name);
                }
            }),
            Self::SupportedGroups(v)
            | Self::SignatureAlgorithms(v)
            | Self::SignatureAlgorithmsCert(v) => put_u16_list(o, LenPrefix::U16, v),
            Self::Alpn(l) => put_alpn_list(o, l),
            Self::RecordSizeLimit(n) => o.extend_from_slice(&n.to_be_bytes()),
            Self::SupportedVersions(v) => put_u16_list(o, LenPrefix::U8, v),
            Self::KeyShare(v) => {
                put_prefixed(o, LenPrefix::U16, |o| v.iter().for_each(|e| e.encode(o)))
            }
            Self::PskKeyExchangeModes(m) => put_vec(o, LenPrefix::U8, m),
            Self::PreSharedKey(p) => p.encode(o),
            Self::Cookie(c) => put_vec(o, LenPrefix::U16, c),
            Self::EarlyData => {}
            Self::Unknown(_, b) => o.extend_from_slice(b),
        }
    }

    fn read_body(typ: u16, r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(match typ {
            SERVER_NAME => {
                let mut l =
                    Reader::new(r.vec_bounded(LenPrefix::U16, 1, 0xffff, "server_name list")?);
                let mut v = Vec::new();
                while !l.is_empty() {
                    let name_type = l.u8("name type")?;
                    let name = l
                        .vec_bounded(LenPrefix::U16, 1, 0xffff, "server name")?
                        .to_vec();
                    if v.iter().any(|e: &ServerNameEntry| e.name_type == name_type) {
                        return Err(InvalidMessage::IllegalValue(
                            "server_name: repeated name type",
                        ));
                    }
                    v.push(ServerNameEntry { name_type, name });
                }
                Self::ServerName(v)
            }
            SUPPORTED_GROUPS => {
                Self::SupportedGroups(read_u16_list(r, LenPrefix::U16, 2, "supported_groups")?)
            }
            SIGNATURE_ALGORITHMS => Self::SignatureAlgorithms(read_u16_list(
                r,
                LenPrefix::U16,
                2,
                "signature_algorithms",
            )?),
            SIGNATURE_ALGORITHMS_CERT => Self::SignatureAlgorithmsCert(read_u16_list(
                r,
                LenPrefix::U16,
                2,
                "signature_algorithms_cert",
            )?),
            ALPN => Self::Alpn(read_alpn_list(r)?),
            RECORD_SIZE_LIMIT => Self::RecordSizeLimit(r.u16("record_size_limit")?),
            SUPPORTED_VERSIONS => {
                Self::SupportedVersions(read_u16_list(r, LenPrefix::U8, 2, "supported_versions")?)
            }
            KEY_SHARE => {
                let mut l = r.sub(LenPrefix::U16, "client_shares")?;
                let mut v = Vec::new();
                while !l.is_empty() {
                    v.push(KeyShareEntry::read(&mut l)?);
                }
                Self::KeyShare(v)
            }
            PSK_KEY_EXCHANGE_MODES => Self::PskKeyExchangeModes(
                r.vec_bounded(LenPrefix::U8, 1, 255, "psk_key_exchange_modes")?
                    .to_vec(),
            ),
            PRE_SHARED_KEY => Self::PreSharedKey(OfferedPsks::read(r)?),
            COOKIE => Self::Cookie(r.vec_bounded(LenPrefix::U16, 1, 0xffff, "cookie")?.to_vec()),
            EARLY_DATA => Self::EarlyData,
            t => Self::Unknown(t, r.rest().to_vec()),
        })
    }
}

/// Encodes an extension block (u16-prefixed list of type, u16-prefixed body).
pub(crate) fn encode_exts<T>(
    out: &mut Vec<u8>,
    exts: &[T],
    typ: impl Fn(&T) -> u16,
    body: impl Fn(&T, &mut Vec<u8>),
) {
    put_prefixed(out, LenPrefix::U16, |o| {
        for e in exts {
            o.extend_from_slice(&typ(e).to_be_bytes());
            put_prefixed(o, LenPrefix::U16, |o| body(e, o));
        }
    });
}

/// Decodes an extension block; rejects duplicates; each body must be consumed exactly.
pub(crate) fn read_exts<T>(
    r: &mut Reader<'_>,
    what: &'static str,
    mut f: impl FnMut(u16, &mut Reader<'_>) -> Result<T, InvalidMessage>,
) -> Result<Vec<T>, InvalidMessage> {
    let mut l = r.sub(LenPrefix::U16, what)?;
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    while !l.is_empty() {
        let typ = l.u16("extension type")?;
        check_unique(&mut seen, typ)?;
        let mut body = l.sub(LenPrefix::U16, "extension body")?;
        out.push(f(typ, &mut body)?);
        body.expect_empty("extension body")?;
    }
    Ok(out)
}

/// Encodes a ClientHello extension block.
pub fn encode_client_exts(out: &mut Vec<u8>, exts: &[ClientExtension]) {
    encode_exts(
        out,
        exts,
        ClientExtension::ext_type,
        ClientExtension::encode_body,
    )
}

/// Decodes a ClientHello extension block; `pre_shared_key` must come last (RFC 8446 §4.2.11).
pub fn read_client_exts(r: &mut Reader<'_>) -> Result<Vec<ClientExtension>, InvalidMessage> {
    let v = read_exts(r, "ClientHello extensions", ClientExtension::read_body)?;
    if let Some(i) = v.iter().position(|e| e.ext_type() == PRE_SHARED_KEY) {
        if i + 1 != v.len() {
            return Err(InvalidMessage::IllegalValue(
                "pre_shared_key is not the last extension",
            ));
        }
    }
    Ok(v)
}

/// Extensions of a ServerHello or HelloRetryRequest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerExtension {
    /// supported_versions (selected_version).
    SupportedVersions(u16),
    /// key_share (server_share) in a ServerHello.
    KeyShare(KeyShareEntry),
    /// key_share (selected_group) in a HelloRetryRequest.
    HrrKeyShare(u16),
    /// pre_shared_key (selected_identity).
    PreSharedKey(u16),
    /// cookie (HelloRetryRequest).
    Cookie(Vec<u8>),
    /// Anything else, verbatim (a client rejects it: it was not offered).
    Unknown(u16, Vec<u8>),
}

impl ServerExtension {
    /// The extension type code point.
    pub fn ext_type(&self) -> u16 {
        match self {
            Self::SupportedVersions(_) => SUPPORTED_VERSIONS,
            Self::KeyShare(_) | Self::HrrKeyShare(_) => KEY_SHARE,
            Self::PreSharedKey(_) => PRE_SHARED_KEY,
            Self::Cookie(_) => COOKIE,
            Self::Unknown(t, _) => *t,
        }
    }
    fn encode_body(&self, o: &mut Vec<u8>) {
        match self {
            Self::SupportedVersions(v) | Self::HrrKeyShare(v) | Self::PreSharedKey(v) => {
                o.extend_from_slice(&v.to_be_bytes())
            }
            Self::KeyShare(e) => e.encode(o),
            Self::Cookie(c) => put_vec(o, LenPrefix::U16, c),
            Self::Unknown(_, b) => o.extend_from_slice(b),
        }
    }
    pub(crate) fn read_body(
        hrr: bool,
        typ: u16,
        r: &mut Reader<'_>,
    ) -> Result<Self, InvalidMessage> {
        Ok(match typ {
            SUPPORTED_VERSIONS => Self::SupportedVersions(r.u16("selected_version")?),
            KEY_SHARE if hrr => Self::HrrKeyShare(r.u16("selected_group")?),
            KEY_SHARE => Self::KeyShare(KeyShareEntry::read(r)?),
            PRE_SHARED_KEY if !hrr => Self::PreSharedKey(r.u16("selected_identity")?),
            COOKIE if hrr => {
                Self::Cookie(r.vec_bounded(LenPrefix::U16, 1, 0xffff, "cookie")?.to_vec())
            }
            t => Self::Unknown(t, r.rest().to_vec()),
        })
    }
}

/// Encodes a ServerHello extension block.
pub fn encode_server_exts(out: &mut Vec<u8>, exts: &[ServerExtension]) {
    encode_exts(
        out,
        exts,
        ServerExtension::ext_type,
        ServerExtension::encode_body,
    )
}

/// True for the extension types this crate names in [`ext_type`] (RFC 8446 §4.2 and the RFCs
/// it lists): where one appears in a message RFC 8446 does not allow it in, the answer is
/// illegal_parameter rather than unsupported_extension.
pub fn is_known_extension(typ: u16) -> bool {
    matches!(
        typ,
        SERVER_NAME
            | STATUS_REQUEST
            | SUPPORTED_GROUPS
            | SIGNATURE_ALGORITHMS
            | ALPN
            | SIGNED_CERTIFICATE_TIMESTAMP
            | PADDING
            | RECORD_SIZE_LIMIT
            | PRE_SHARED_KEY
            | EARLY_DATA
            | SUPPORTED_VERSIONS
            | COOKIE
            | PSK_KEY_EXCHANGE_MODES
            | CERTIFICATE_AUTHORITIES
            | OID_FILTERS
            | POST_HANDSHAKE_AUTH
            | SIGNATURE_ALGORITHMS_CERT
            | KEY_SHARE
    )
}

/// Extensions we recognise that RFC 8446 §4.2 (table) never allows in EncryptedExtensions: they
/// belong to ClientHello, ServerHello, HelloRetryRequest, Certificate or CertificateRequest.
pub fn not_for_encrypted_extensions(typ: u16) -> bool {
    matches!(
        typ,
        ext_type::STATUS_REQUEST
            | ext_type::SIGNATURE_ALGORITHMS
            | ext_type::SIGNED_CERTIFICATE_TIMESTAMP
            | ext_type::PADDING
            | ext_type::PRE_SHARED_KEY
            | ext_type::SUPPORTED_VERSIONS
            | ext_type::COOKIE
            | ext_type::PSK_KEY_EXCHANGE_MODES
            | ext_type::CERTIFICATE_AUTHORITIES
            | ext_type::OID_FILTERS
            | ext_type::POST_HANDSHAKE_AUTH
            | ext_type::SIGNATURE_ALGORITHMS_CERT
            | ext_type::KEY_SHARE
    )
}

/// Extensions of EncryptedExtensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncryptedExtension {
    /// server_name acknowledgement (empty body).
    ServerNameAck,
    /// supported_groups (the server's preference, informational).
    SupportedGroups(Vec<u16>),
    /// ALPN: exactly one selected protocol.
    Alpn(Vec<u8>),
    /// record_size_limit.
    RecordSizeLimit(u16),
    /// early_data accepted.
    EarlyData,
    /// Anything else, verbatim.
    Unknown(u16, Vec<u8>),
}

impl EncryptedExtension {
    /// The extension type code point.
    pub fn ext_type(&self) -> u16 {
        match self {
            Self::ServerNameAck => SERVER_NAME,
            Self::SupportedGroups(_) => SUPPORTED_GROUPS,
            Self::Alpn(_) => ALPN,
            Self::RecordSizeLimit(_) => RECORD_SIZE_LIMIT,
            Self::EarlyData => EARLY_DATA,
            Self::Unknown(t, _) => *t,
        }
    }
    fn encode_body(&self, o: &mut Vec<u8>) {
        match self {
            Self::ServerNameAck | Self::EarlyData => {}
            Self::SupportedGroups(v) => put_u16_list(o, LenPrefix::U16, v),
            Self::Alpn(p) => put_alpn_list(o, std::slice::from_ref(p)),
            Self::RecordSizeLimit(n) => o.extend_from_slice(&n.to_be_bytes()),
            Self::Unknown(_, b) => o.extend_from_slice(b),
        }
    }
    pub(crate) fn read_body(typ: u16, r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(match typ {
            SERVER_NAME => Self::ServerNameAck,
            SUPPORTED_GROUPS => {
                Self::SupportedGroups(read_u16_list(r, LenPrefix::U16, 2, "supported_groups")?)
            }
            ALPN => {
                let mut l = read_alpn_list(r)?;
                if l.len() != 1 {
                    return Err(InvalidMessage::IllegalValue(
                        "ALPN must select exactly one protocol",
                    ));
                }
                Self::Alpn(l.remove(0))
            }
            RECORD_SIZE_LIMIT => Self::RecordSizeLimit(r.u16("record_size_limit")?),
            EARLY_DATA => Self::EarlyData,
            t => Self::Unknown(t, r.rest().to_vec()),
        })
    }
}

/// Encodes an EncryptedExtensions block.
pub fn encode_ee_exts(out: &mut Vec<u8>, exts: &[EncryptedExtension]) {
    encode_exts(
        out,
        exts,
        EncryptedExtension::ext_type,
        EncryptedExtension::encode_body,
    )
}

/// An extension kept as raw bytes (Certificate entries, CertificateRequest, NewSessionTicket).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawExtension {
    /// Type code point.
    pub typ: u16,
    /// Body bytes.
    pub body: Vec<u8>,
}

/// Encodes a block of raw extensions.
pub fn encode_raw_exts(out: &mut Vec<u8>, exts: &[RawExtension]) {
    encode_exts(out, exts, |e| e.typ, |e, o| o.extend_from_slice(&e.body))
}

/// Decodes a block of raw extensions (duplicates rejected).
pub fn read_raw_exts(
    r: &mut Reader<'_>,
    what: &'static str,
) -> Result<Vec<RawExtension>, InvalidMessage> {
    read_exts(r, what, |typ, b| {
        Ok(RawExtension {
            typ,
            body: b.rest().to_vec(),
        })
    })
}
