//! What an end-entity certificate is for.

/// What a leaf certificate is for: the CA writes it as extendedKeyUsage, the validator requires it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Purpose {
    /// A TLS server certificate (checked by a client): EKU serverAuth.
    #[default]
    Server,
    /// A TLS client certificate (checked by a server): EKU clientAuth.
    Client,
}

/// id-kp-serverAuth (1.3.6.1.5.5.7.3.1), DER content bytes.
pub const EKU_SERVER_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01];
/// id-kp-clientAuth (1.3.6.1.5.5.7.3.2), DER content bytes.
pub const EKU_CLIENT_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02];

impl Purpose {
    /// The RFC 5280 name of the key purpose: `"serverAuth"` or `"clientAuth"`.
    pub fn name(self) -> &'static str {
        match self {
            Purpose::Server => "serverAuth",
            Purpose::Client => "clientAuth",
        }
    }

    /// The extendedKeyUsage OID, as DER content bytes.
    pub fn eku_oid(self) -> &'static [u8] {
        match self {
            Purpose::Server => EKU_SERVER_AUTH,
            Purpose::Client => EKU_CLIENT_AUTH,
        }
    }
}
