//! Handshake messages (RFC 8446 §4) and the 4-byte handshake header.

use super::ext::*;
use super::{
    put_code_points, put_prefixed, put_vec, read_code_points, Codec, InvalidMessage, LenPrefix,
    Reader,
};
use super::{CipherSuite, ExtensionType, HandshakeType, ProtocolVersion, SignatureScheme};

/// The `random` of a HelloRetryRequest: SHA-256("HelloRetryRequest") (RFC 8446 §4.1.3).
pub const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// ClientHello (RFC 8446 §4.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHello {
    /// legacy_version (0x0303).
    pub legacy_version: ProtocolVersion,
    /// 32 random bytes.
    pub random: [u8; 32],
    /// legacy_session_id (0..32 bytes).
    pub session_id: Vec<u8>,
    /// Offered cipher suites.
    pub cipher_suites: Vec<CipherSuite>,
    /// legacy_compression_methods.
    pub compression_methods: Vec<u8>,
    /// Extensions in wire order.
    pub extensions: Vec<ClientExtension>,
    /// The extensions block was absent (a TLS 1.2-style hello); kept so the message re-encodes
    /// exactly as received.
    pub extensions_omitted: bool,
}

impl ClientHello {
    /// Finds an extension by type.
    pub fn ext(&self, typ: ExtensionType) -> Option<&ClientExtension> {
        self.extensions.iter().find(|e| e.ext_type() == typ)
    }
    /// The extensions decoded by type, in one pass.
    pub fn typed_extensions(&self) -> ClientHelloExtensions<'_> {
        ClientHelloExtensions::of(&self.extensions)
    }
}

impl Codec for ClientHello {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.legacy_version.to_u16().to_be_bytes());
        out.extend_from_slice(&self.random);
        put_vec(out, LenPrefix::U8, &self.session_id);
        put_code_points(out, LenPrefix::U16, &self.cipher_suites);
        put_vec(out, LenPrefix::U8, &self.compression_methods);
        if !(self.extensions_omitted && self.extensions.is_empty()) {
            encode_client_exts(out, &self.extensions);
        }
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let legacy_version = ProtocolVersion::from_u16(r.u16("legacy_version")?);
        let mut random = [0u8; 32];
        random.copy_from_slice(r.take(32, "random")?);
        let session_id = r
            .vec_bounded(LenPrefix::U8, 0, 32, "legacy_session_id")?
            .to_vec();
        let cipher_suites = read_code_points(r, LenPrefix::U16, 2, "cipher_suites")?;
        let compression_methods = r
            .vec_bounded(LenPrefix::U8, 1, 255, "compression_methods")?
            .to_vec();
        // A TLS 1.2-style hello may omit extensions entirely; we keep an empty list then, and the
        // server rejects it for lacking supported_versions (protocol_version).
        let extensions_omitted = r.is_empty();
        let extensions = if extensions_omitted {
            Vec::new()
        } else {
            read_client_exts(r)?
        };
        Ok(Self {
            legacy_version,
            random,
            session_id,
            cipher_suites,
            compression_methods,
            extensions,
            extensions_omitted,
        })
    }
}

/// ServerHello or HelloRetryRequest (RFC 8446 §4.1.3–4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerHello {
    /// legacy_version (0x0303).
    pub legacy_version: ProtocolVersion,
    /// Random, or [`HRR_RANDOM`] for a HelloRetryRequest.
    pub random: [u8; 32],
    /// legacy_session_id_echo.
    pub session_id: Vec<u8>,
    /// Selected cipher suite.
    pub cipher_suite: CipherSuite,
    /// legacy_compression_method (0).
    pub compression_method: u8,
    /// Extensions in wire order.
    pub extensions: Vec<ServerExtension>,
    /// The extensions block was absent (a pre-TLS 1.3 ServerHello, which the client refuses with
    /// protocol_version); kept so the message re-encodes exactly as received.
    pub extensions_omitted: bool,
}

impl ServerHello {
    /// `true` if this is a HelloRetryRequest.
    pub fn is_hrr(&self) -> bool {
        self.random == HRR_RANDOM
    }
    /// Finds an extension by type.
    pub fn ext(&self, typ: ExtensionType) -> Option<&ServerExtension> {
        self.extensions.iter().find(|e| e.ext_type() == typ)
    }
}

impl Codec for ServerHello {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.legacy_version.to_u16().to_be_bytes());
        out.extend_from_slice(&self.random);
        put_vec(out, LenPrefix::U8, &self.session_id);
        out.extend_from_slice(&self.cipher_suite.to_u16().to_be_bytes());
        out.push(self.compression_method);
        if !(self.extensions_omitted && self.extensions.is_empty()) {
            encode_server_exts(out, &self.extensions);
        }
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let legacy_version = ProtocolVersion::from_u16(r.u16("legacy_version")?);
        let mut random = [0u8; 32];
        random.copy_from_slice(r.take(32, "random")?);
        let session_id = r
            .vec_bounded(LenPrefix::U8, 0, 32, "legacy_session_id_echo")?
            .to_vec();
        let cipher_suite = CipherSuite::from_u16(r.u16("cipher_suite")?);
        let compression_method = r.u8("compression_method")?;
        let hrr = random == HRR_RANDOM;
        let extensions_omitted = r.is_empty();
        let extensions = if extensions_omitted {
            Vec::new() // TLS 1.2 ServerHello without extensions; the client rejects the version.
        } else {
            read_exts(r, "ServerHello extensions", |t, b| {
                ServerExtension::read_body(hrr, t, b)
            })?
        };
        Ok(Self {
            legacy_version,
            random,
            session_id,
            cipher_suite,
            compression_method,
            extensions,
            extensions_omitted,
        })
    }
}

/// One certificate in a Certificate message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateEntry {
    /// DER certificate.
    pub cert: Vec<u8>,
    /// Per-certificate extensions (OCSP, SCT); kept raw.
    pub extensions: Vec<RawExtension>,
}

/// Certificate (RFC 8446 §4.4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificatePayload {
    /// certificate_request_context (empty for server certificates).
    pub context: Vec<u8>,
    /// Leaf first.
    pub entries: Vec<CertificateEntry>,
}

impl Codec for CertificatePayload {
    fn encode(&self, out: &mut Vec<u8>) {
        put_vec(out, LenPrefix::U8, &self.context);
        put_prefixed(out, LenPrefix::U24, |o| {
            for e in &self.entries {
                put_vec(o, LenPrefix::U24, &e.cert);
                encode_raw_exts(o, &e.extensions);
            }
        });
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let context = r
            .vec(LenPrefix::U8, "certificate_request_context")?
            .to_vec();
        let mut l = r.sub(LenPrefix::U24, "certificate_list")?;
        let mut entries = Vec::new();
        while !l.is_empty() {
            let cert = l
                .vec_bounded(LenPrefix::U24, 1, 0xff_ffff, "cert_data")?
                .to_vec();
            let extensions = read_raw_exts(&mut l, "CertificateEntry extensions")?;
            entries.push(CertificateEntry { cert, extensions });
        }
        Ok(Self { context, entries })
    }
}

/// CertificateVerify (RFC 8446 §4.4.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateVerifyPayload {
    /// SignatureScheme.
    pub scheme: SignatureScheme,
    /// Signature bytes.
    pub signature: Vec<u8>,
}

impl Codec for CertificateVerifyPayload {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.scheme.to_u16().to_be_bytes());
        put_vec(out, LenPrefix::U16, &self.signature);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let scheme = SignatureScheme::from_u16(r.u16("signature scheme")?);
        let signature = r
            .vec_bounded(LenPrefix::U16, 1, 0xffff, "signature")?
            .to_vec();
        Ok(Self { scheme, signature })
    }
}

/// CertificateRequest (RFC 8446 §4.3.2); extensions kept raw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateRequestPayload {
    /// certificate_request_context.
    pub context: Vec<u8>,
    /// Extensions (signature_algorithms is mandatory).
    pub extensions: Vec<RawExtension>,
}

impl CertificateRequestPayload {
    /// A request under `context` whose one extension is signature_algorithms = `schemes`.
    pub fn new(context: Vec<u8>, schemes: &[SignatureScheme]) -> Self {
        let mut body = Vec::new();
        put_code_points(&mut body, LenPrefix::U16, schemes);
        Self {
            context,
            extensions: vec![RawExtension {
                typ: ExtensionType::SignatureAlgorithms,
                body,
            }],
        }
    }

    /// The signature_algorithms extension (RFC 8446 §4.3.2: mandatory), decoded; `None` when
    /// absent.
    pub fn signature_algorithms(&self) -> Result<Option<Vec<SignatureScheme>>, InvalidMessage> {
        let Some(e) = self
            .extensions
            .iter()
            .find(|e| e.typ == ExtensionType::SignatureAlgorithms)
        else {
            return Ok(None);
        };
        let mut r = Reader::new(&e.body);
        let schemes = read_code_points(&mut r, LenPrefix::U16, 2, "signature_algorithms")?;
        r.expect_empty("signature_algorithms")?;
        Ok(Some(schemes))
    }
}

impl Codec for CertificateRequestPayload {
    fn encode(&self, out: &mut Vec<u8>) {
        put_vec(out, LenPrefix::U8, &self.context);
        encode_raw_exts(out, &self.extensions);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let context = r
            .vec(LenPrefix::U8, "certificate_request_context")?
            .to_vec();
        let extensions = read_raw_exts(r, "CertificateRequest extensions")?;
        Ok(Self {
            context,
            extensions,
        })
    }
}

/// NewSessionTicket (RFC 8446 §4.6.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSessionTicketPayload {
    /// Lifetime in seconds (at most 7 days).
    pub lifetime: u32,
    /// ticket_age_add.
    pub age_add: u32,
    /// ticket_nonce.
    pub nonce: Vec<u8>,
    /// The opaque ticket.
    pub ticket: Vec<u8>,
    /// Extensions (early_data), raw.
    pub extensions: Vec<RawExtension>,
}

impl Codec for NewSessionTicketPayload {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.lifetime.to_be_bytes());
        out.extend_from_slice(&self.age_add.to_be_bytes());
        put_vec(out, LenPrefix::U8, &self.nonce);
        put_vec(out, LenPrefix::U16, &self.ticket);
        encode_raw_exts(out, &self.extensions);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let lifetime = r.u32("ticket_lifetime")?;
        let age_add = r.u32("ticket_age_add")?;
        let nonce = r.vec(LenPrefix::U8, "ticket_nonce")?.to_vec();
        let ticket = r.vec_bounded(LenPrefix::U16, 1, 0xffff, "ticket")?.to_vec();
        let extensions = read_raw_exts(r, "NewSessionTicket extensions")?;
        Ok(Self {
            lifetime,
            age_add,
            nonce,
            ticket,
            extensions,
        })
    }
}

/// A handshake message body, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandshakePayload {
    /// ClientHello.
    ClientHello(ClientHello),
    /// ServerHello or HelloRetryRequest.
    ServerHello(ServerHello),
    /// EncryptedExtensions.
    EncryptedExtensions(Vec<EncryptedExtension>),
    /// CertificateRequest.
    CertificateRequest(CertificateRequestPayload),
    /// Certificate.
    Certificate(CertificatePayload),
    /// CertificateVerify.
    CertificateVerify(CertificateVerifyPayload),
    /// Finished (verify_data; its length is checked by the state machine against the hash).
    Finished(Vec<u8>),
    /// NewSessionTicket.
    NewSessionTicket(NewSessionTicketPayload),
    /// EndOfEarlyData.
    EndOfEarlyData,
    /// KeyUpdate: `true` = update_requested.
    KeyUpdate(bool),
}

impl HandshakePayload {
    /// The HandshakeType of this body.
    pub fn typ(&self) -> HandshakeType {
        match self {
            Self::ClientHello(_) => HandshakeType::ClientHello,
            Self::ServerHello(_) => HandshakeType::ServerHello,
            Self::EncryptedExtensions(_) => HandshakeType::EncryptedExtensions,
            Self::CertificateRequest(_) => HandshakeType::CertificateRequest,
            Self::Certificate(_) => HandshakeType::Certificate,
            Self::CertificateVerify(_) => HandshakeType::CertificateVerify,
            Self::Finished(_) => HandshakeType::Finished,
            Self::NewSessionTicket(_) => HandshakeType::NewSessionTicket,
            Self::EndOfEarlyData => HandshakeType::EndOfEarlyData,
            Self::KeyUpdate(_) => HandshakeType::KeyUpdate,
        }
    }
    /// A short name for traces and errors.
    pub fn name(&self) -> &'static str {
        match self {
            Self::ServerHello(sh) if sh.is_hrr() => "HelloRetryRequest",
            _ => self.typ().name(),
        }
    }
}

/// A whole handshake message: 1-byte type, 3-byte length, body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeMessage(pub HandshakePayload);

impl Codec for HandshakeMessage {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.0.typ().to_u8());
        put_prefixed(out, LenPrefix::U24, |o| match &self.0 {
            HandshakePayload::ClientHello(m) => m.encode(o),
            HandshakePayload::ServerHello(m) => m.encode(o),
            HandshakePayload::EncryptedExtensions(e) => encode_ee_exts(o, e),
            HandshakePayload::CertificateRequest(m) => m.encode(o),
            HandshakePayload::Certificate(m) => m.encode(o),
            HandshakePayload::CertificateVerify(m) => m.encode(o),
            HandshakePayload::Finished(v) => o.extend_from_slice(v),
            HandshakePayload::NewSessionTicket(m) => m.encode(o),
            HandshakePayload::EndOfEarlyData => {}
            HandshakePayload::KeyUpdate(req) => o.push(u8::from(*req)),
        });
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let typ = r.u8("handshake type")?;
        let mut b = r.sub(LenPrefix::U24, "handshake message")?;
        let p = match HandshakeType::from_u8(typ) {
            HandshakeType::ClientHello => HandshakePayload::ClientHello(ClientHello::read(&mut b)?),
            HandshakeType::ServerHello => HandshakePayload::ServerHello(ServerHello::read(&mut b)?),
            HandshakeType::EncryptedExtensions => HandshakePayload::EncryptedExtensions(read_exts(
                &mut b,
                "EncryptedExtensions",
                EncryptedExtension::read_body,
            )?),
            HandshakeType::CertificateRequest => {
                HandshakePayload::CertificateRequest(CertificateRequestPayload::read(&mut b)?)
            }
            HandshakeType::Certificate => {
                HandshakePayload::Certificate(CertificatePayload::read(&mut b)?)
            }
            HandshakeType::CertificateVerify => {
                HandshakePayload::CertificateVerify(CertificateVerifyPayload::read(&mut b)?)
            }
            HandshakeType::Finished => HandshakePayload::Finished(b.rest().to_vec()),
            HandshakeType::NewSessionTicket => {
                HandshakePayload::NewSessionTicket(NewSessionTicketPayload::read(&mut b)?)
            }
            HandshakeType::EndOfEarlyData => HandshakePayload::EndOfEarlyData,
            HandshakeType::KeyUpdate => match b.u8("request_update")? {
                0 => HandshakePayload::KeyUpdate(false),
                1 => HandshakePayload::KeyUpdate(true),
                _ => return Err(InvalidMessage::IllegalValue("KeyUpdate request_update")),
            },
            // message_hash never goes on the wire; unknown types are an unexpected message, which
            // the state machine reports; for the codec they are undecodable.
            HandshakeType::MessageHash | HandshakeType::Unknown(_) => {
                return Err(InvalidMessage::IllegalValue(
                    "unknown handshake message type",
                ))
            }
        };
        b.expect_empty("handshake message body")?;
        Ok(Self(p))
    }
}
