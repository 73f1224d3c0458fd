//! A structured handshake trace (names only, never secret values) and the NSS key log.

use std::fmt;
use std::io::Write;
use std::sync::Mutex;

/// One step of a handshake, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TraceEvent {
    /// We sent a handshake message (or a CCS record) of `bytes` bytes (header included).
    Sent {
        /// Message name, e.g. `"ClientHello"`.
        message: &'static str,
        /// Encoded size.
        bytes: usize,
    },
    /// We received a handshake message.
    Received {
        /// Message name.
        message: &'static str,
        /// Encoded size.
        bytes: usize,
    },
    /// A check we made, with what was checked.
    Check {
        /// What was checked, e.g. `"certificate chain"`.
        what: &'static str,
        /// Details (names, values that are not secret).
        detail: String,
    },
    /// A secret was derived (its RFC 8446 name; the value only goes to the key log).
    Secret {
        /// e.g. `"client_handshake_traffic_secret"`.
        name: &'static str,
    },
    /// A negotiated parameter (suite, group, ALPN...).
    Negotiated {
        /// What.
        what: &'static str,
        /// The value.
        value: String,
    },
}

impl TraceEvent {
    /// Which step of the seed's handshake (HTTPS.md) this TLS 1.3 event realises, if any.
    pub fn seed_step(&self) -> Option<&'static str> {
        Some(match self {
            Self::Sent { message: "ClientHello", .. } | Self::Received { message: "ClientHello", .. } => {
                "1. client hello: versions, cipher suites and an ephemeral (EC)DHE key share"
            }
            Self::Sent { message: "ServerHello", .. } | Self::Received { message: "ServerHello", .. } => {
                "2. server hello: chosen suite and the server's key share; both sides now compute the \
                 shared secret (ECDHE replaces 'encrypt the symmetric key with the site's public key' \
                 and gives forward secrecy)"
            }
            Self::Sent { message: "HelloRetryRequest", .. } | Self::Received { message: "HelloRetryRequest", .. } => {
                "2'. the server asks for a key share in a group it supports"
            }
            Self::Sent { message: "Certificate", .. } | Self::Received { message: "Certificate", .. } => {
                "3. the server sends its certificate chain"
            }
            Self::Check { what: "certificate chain", .. } => {
                "4. the client verifies the chain: CA signatures, dates, name"
            }
            Self::Sent { message: "CertificateVerify", .. } | Self::Received { message: "CertificateVerify", .. } => {
                "5. the server proves it holds the certificate's private key by signing the transcript"
            }
            Self::Secret { .. } => "6. both sides derive the same symmetric keys (HKDF key schedule)",
            Self::Sent { message: "Finished", .. } | Self::Received { message: "Finished", .. } => {
                "7. Finished: a MAC over the whole handshake; from here data is encrypted with the session keys"
            }
            _ => return None,
        })
    }
}

impl fmt::Display for TraceEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sent { message, bytes } => write!(f, "-> {message} ({bytes} bytes)"),
            Self::Received { message, bytes } => write!(f, "<- {message} ({bytes} bytes)"),
            Self::Check { what, detail } => write!(f, "   check {what}: {detail}"),
            Self::Secret { name } => write!(f, "   derive {name}"),
            Self::Negotiated { what, value } => write!(f, "   {what} = {value}"),
        }
    }
}

/// Receives secrets in the NSS key log format (for Wireshark). Only for debugging.
pub trait KeyLog: Send + Sync + fmt::Debug {
    /// `label` is e.g. `CLIENT_HANDSHAKE_TRAFFIC_SECRET`.
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]);
}

/// Appends key log lines to a file (NSS format). Never used unless given to a config builder:
/// `.with_key_log(Arc::new(KeyLogFile::from_env()?))` honours `SSLKEYLOGFILE` as curl does.
/// A file it creates has mode 0600 (the secrets decrypt the traffic); an existing file is appended
/// to as it is.
#[derive(Debug)]
pub struct KeyLogFile {
    file: Option<Mutex<std::fs::File>>,
}

impl KeyLogFile {
    /// Opens `path` for appending, creating it with mode 0600.
    pub fn create(path: impl AsRef<std::path::Path>) -> std::io::Result<Self> {
        use std::os::unix::fs::OpenOptionsExt;
        let file = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .open(path)?;
        Ok(Self {
            file: Some(Mutex::new(file)),
        })
    }

    /// The file named by `SSLKEYLOGFILE`, or a key log that writes nothing when the variable is
    /// unset or empty. An error means the variable names a file that cannot be opened.
    pub fn from_env() -> std::io::Result<Self> {
        match std::env::var_os("SSLKEYLOGFILE") {
            Some(path) if !path.is_empty() => Self::create(path),
            _ => Ok(Self::disabled()),
        }
    }

    /// A key log that writes nothing.
    pub fn disabled() -> Self {
        Self { file: None }
    }

    /// True when lines are written somewhere.
    pub fn is_enabled(&self) -> bool {
        self.file.is_some()
    }
}

impl KeyLog for KeyLogFile {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let Some(file) = &self.file else {
            return;
        };
        let line = format!(
            "{label} {} {}\n",
            hex::encode(client_random),
            hex::encode(secret)
        );
        if let Ok(mut f) = file.lock() {
            // Best effort: a failing key log must not break the connection.
            let _ = f.write_all(line.as_bytes());
        }
    }
}

/// Renders a trace for people: one line per event, each preceded (once) by the seed step it realises.
pub fn render_trace(events: &[TraceEvent]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let mut last = None;
    for e in events {
        if let Some(step) = e.seed_step() {
            if last != Some(step) {
                let _ = writeln!(out, "[seed step {step}]");
                last = Some(step);
            }
        }
        let _ = writeln!(out, "{e}");
    }
    out
}
