//! Cipher suites, HKDF-Expand-Label and per-direction traffic keys (RFC 8446 §7.1, §7.3).

use ring::{aead, digest, hkdf, hmac};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// The hash of a TLS 1.3 cipher suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HashAlg {
    Sha256,
    Sha384,
}

impl HashAlg {
    /// Output length in bytes (32 or 48).
    pub fn output_len(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha384 => 48,
        }
    }

    pub fn digest_algorithm(self) -> &'static digest::Algorithm {
        match self {
            Self::Sha256 => &digest::SHA256,
            Self::Sha384 => &digest::SHA384,
        }
    }

    pub fn hkdf_algorithm(self) -> hkdf::Algorithm {
        match self {
            Self::Sha256 => hkdf::HKDF_SHA256,
            Self::Sha384 => hkdf::HKDF_SHA384,
        }
    }

    pub fn hmac_algorithm(self) -> hmac::Algorithm {
        match self {
            Self::Sha256 => hmac::HMAC_SHA256,
            Self::Sha384 => hmac::HMAC_SHA384,
        }
    }
}

crate::code_points! {
    /// A cipher suite code point (RFC 8446 §B.4 and the IANA registry), as the wire carries it:
    /// a ClientHello's offer, a ServerHello's choice. [`Tls13Suite`] is the subset this stack
    /// implements; [`CipherSuite::supported`] goes from one to the other.
    pub enum CipherSuite(u16, from_u16, to_u16) {
        Aes128GcmSha256 = 0x1301 => "TLS_AES_128_GCM_SHA256",
        Aes256GcmSha384 = 0x1302 => "TLS_AES_256_GCM_SHA384",
        Chacha20Poly1305Sha256 = 0x1303 => "TLS_CHACHA20_POLY1305_SHA256",
        Aes128CcmSha256 = 0x1304 => "TLS_AES_128_CCM_SHA256",
        Aes128Ccm8Sha256 = 0x1305 => "TLS_AES_128_CCM_8_SHA256",
        EmptyRenegotiationInfoScsv = 0x00ff => "TLS_EMPTY_RENEGOTIATION_INFO_SCSV",
        FallbackScsv = 0x5600 => "TLS_FALLBACK_SCSV",
    }
}

impl CipherSuite {
    /// The implemented suite with this code point, if it is one.
    pub const fn supported(self) -> Option<Tls13Suite> {
        match self {
            Self::Aes128GcmSha256 => Some(Tls13Suite::Aes128GcmSha256),
            Self::Aes256GcmSha384 => Some(Tls13Suite::Aes256GcmSha384),
            Self::Chacha20Poly1305Sha256 => Some(Tls13Suite::Chacha20Poly1305Sha256),
            _ => None,
        }
    }
}

impl std::fmt::Display for CipherSuite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unknown(v) => write!(f, "unknown cipher suite 0x{v:04x}"),
            s => f.write_str(s.name()),
        }
    }
}

/// The three TLS 1.3 cipher suites this stack implements: what record protection, the key
/// schedule and a negotiated connection use. Its code point is a [`CipherSuite`] (the one
/// definition of the wire values).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tls13Suite {
    /// TLS_AES_128_GCM_SHA256
    Aes128GcmSha256,
    /// TLS_AES_256_GCM_SHA384
    Aes256GcmSha384,
    /// TLS_CHACHA20_POLY1305_SHA256
    Chacha20Poly1305Sha256,
}

impl Tls13Suite {
    /// All suites, in this stack's preference order.
    pub const ALL: [Tls13Suite; 3] = [
        Self::Aes128GcmSha256,
        Self::Aes256GcmSha384,
        Self::Chacha20Poly1305Sha256,
    ];

    /// The code point.
    pub const fn code_point(self) -> CipherSuite {
        match self {
            Self::Aes128GcmSha256 => CipherSuite::Aes128GcmSha256,
            Self::Aes256GcmSha384 => CipherSuite::Aes256GcmSha384,
            Self::Chacha20Poly1305Sha256 => CipherSuite::Chacha20Poly1305Sha256,
        }
    }

    /// The implemented suite for a wire value, if it is one.
    pub const fn from_u16(v: u16) -> Option<Self> {
        CipherSuite::from_u16(v).supported()
    }

    /// The wire value.
    pub const fn to_u16(self) -> u16 {
        self.code_point().to_u16()
    }

    pub fn hash(self) -> HashAlg {
        match self {
            Self::Aes256GcmSha384 => HashAlg::Sha384,
            Self::Aes128GcmSha256 | Self::Chacha20Poly1305Sha256 => HashAlg::Sha256,
        }
    }

    /// AEAD key length in bytes.
    pub fn key_len(self) -> usize {
        self.aead().key_len()
    }

    pub fn aead(self) -> &'static aead::Algorithm {
        match self {
            Self::Aes128GcmSha256 => &aead::AES_128_GCM,
            Self::Aes256GcmSha384 => &aead::AES_256_GCM,
            Self::Chacha20Poly1305Sha256 => &aead::CHACHA20_POLY1305,
        }
    }

    /// The IANA name, e.g. `"TLS_AES_128_GCM_SHA256"`.
    pub const fn name(self) -> &'static str {
        self.code_point().name()
    }

    /// Short name used in bench ids and CLI output, e.g. `"aes-128-gcm"`.
    pub fn short_name(self) -> &'static str {
        match self {
            Self::Aes128GcmSha256 => "aes-128-gcm",
            Self::Aes256GcmSha384 => "aes-256-gcm",
            Self::Chacha20Poly1305Sha256 => "chacha20-poly1305",
        }
    }

    /// How many records one key may protect before a KeyUpdate is due (RFC 8446 §5.5): 2^24.5 for
    /// AES-GCM; ChaCha20-Poly1305 has no practical limit, so the 64-bit sequence space is the limit.
    pub fn record_limit(self) -> u64 {
        match self {
            // floor(2^24.5) = 23_726_566
            Self::Aes128GcmSha256 | Self::Aes256GcmSha384 => 23_726_566,
            Self::Chacha20Poly1305Sha256 => u64::MAX,
        }
    }
}

impl From<Tls13Suite> for CipherSuite {
    fn from(s: Tls13Suite) -> Self {
        s.code_point()
    }
}

impl std::fmt::Display for Tls13Suite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// An HKDF output length for ring's `expand`.
struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// HKDF-Expand-Label (RFC 8446 §7.1): `HKDF-Expand(secret, HkdfLabel, out.len())` with
/// `HkdfLabel = u16 length ‖ u8 len ‖ "tls13 " ‖ label ‖ u8 len ‖ context`.
///
/// The handshake's key schedule reuses this. Panics only on caller bugs: `out` longer than 255 × the hash
/// length, or a label over 249 bytes / context over 255 bytes (all lengths in TLS 1.3 are constants).
pub fn hkdf_expand_label(
    hash: HashAlg,
    secret: &[u8],
    label: &[u8],
    context: &[u8],
    out: &mut [u8],
) {
    let prk = hkdf::Prk::new_less_safe(hash.hkdf_algorithm(), secret);
    hkdf_expand_label_prk(&prk, label, context, out);
}

/// [`hkdf_expand_label`] from a secret already keyed as a PRK: several labels from one secret
/// then cost one HMAC key setup, not one each (the key schedule and [`TrafficKeys::derive`]).
pub fn hkdf_expand_label_prk(prk: &hkdf::Prk, label: &[u8], context: &[u8], out: &mut [u8]) {
    let full_label_len = 6 + label.len();
    assert!(
        full_label_len <= 255 && context.len() <= 255,
        "HKDF label or context too long"
    );
    let out_len = u16::try_from(out.len()).unwrap_or(u16::MAX).to_be_bytes();
    let label_len = [full_label_len as u8];
    let context_len = [context.len() as u8];
    let info: [&[u8]; 6] = [
        &out_len,
        &label_len,
        b"tls13 ",
        label,
        &context_len,
        context,
    ];
    // Only fails when out.len() > 255 * HashLen, a caller bug.
    let okm = prk
        .expand(&info, Len(out.len()))
        .expect("HKDF-Expand-Label output too long");
    okm.fill(out).expect("HKDF-Expand-Label output too long");
}

/// The next traffic secret after a KeyUpdate (RFC 8446 §7.2):
/// `HKDF-Expand-Label(secret, "traffic upd", "", Hash.length)`.
pub fn next_traffic_secret(hash: HashAlg, secret: &[u8]) -> zeroize::Zeroizing<Vec<u8>> {
    let mut out = zeroize::Zeroizing::new(vec![0u8; hash.output_len()]);
    hkdf_expand_label(hash, secret, b"traffic upd", &[], &mut out);
    out
}

/// The AEAD key and IV of one direction, derived from a traffic secret. Zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct TrafficKeys {
    #[zeroize(skip)]
    suite: Tls13Suite,
    key: [u8; 32],
    key_len: usize,
    iv: [u8; 12],
}

impl TrafficKeys {
    /// `key = HKDF-Expand-Label(secret, "key", "", key_len)`, `iv = HKDF-Expand-Label(secret, "iv", "", 12)`
    /// (RFC 8446 §7.3).
    pub fn derive(suite: Tls13Suite, traffic_secret: &[u8]) -> Self {
        let key_len = suite.key_len();
        let mut keys = Self {
            suite,
            key: [0; 32],
            key_len,
            iv: [0; 12],
        };
        let prk = hkdf::Prk::new_less_safe(suite.hash().hkdf_algorithm(), traffic_secret);
        hkdf_expand_label_prk(&prk, b"key", &[], &mut keys.key[..key_len]);
        hkdf_expand_label_prk(&prk, b"iv", &[], &mut keys.iv);
        keys
    }

    /// Keys given directly (tests, vectors). Fails if the key length does not fit the suite.
    pub fn from_parts(
        suite: Tls13Suite,
        key: &[u8],
        iv: [u8; 12],
    ) -> Result<Self, crate::RecordError> {
        if key.len() != suite.key_len() {
            return Err(crate::RecordError::Internal {
                reason: "key length does not match the cipher suite",
            });
        }
        let mut keys = Self {
            suite,
            key: [0; 32],
            key_len: key.len(),
            iv,
        };
        keys.key[..key.len()].copy_from_slice(key);
        Ok(keys)
    }

    pub fn suite(&self) -> Tls13Suite {
        self.suite
    }

    pub fn key(&self) -> &[u8] {
        &self.key[..self.key_len]
    }

    pub fn iv(&self) -> &[u8; 12] {
        &self.iv
    }
}

impl std::fmt::Debug for TrafficKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("TrafficKeys")
            .field("suite", &self.suite)
            .finish_non_exhaustive()
    }
}
