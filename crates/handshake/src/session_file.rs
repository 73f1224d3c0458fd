//! A client session ticket saved outside the process (`https-kit get --session FILE`), so a
//! later process can resume, and send 0-RTT early data when the ticket allows it.
//!
//! The format, version 1, is text: a header line, then one `key value` line each, in this order
//! (hex for bytes, decimal for numbers):
//!
//! ```text
//! https-kit-session 1
//! server_name localhost
//! suite 1301
//! received 1764636000
//! lifetime 7200
//! age_add 3141592653
//! max_early_data 16384
//! alpn 687474702f312e31
//! psk 5f3c…
//! ticket 0a91…
//! ```
//!
//! `suite` is the cipher suite's code point (hex), `received` the Unix time the ticket arrived,
//! `lifetime` the server's ticket_lifetime (seconds), `alpn` the session's protocol (`-` for
//! none). The PSK resumes the session: keep the file private (0600). Anything else (another
//! header or version, a missing or extra line, a bad value, over [`MAX_SESSION_FILE`] bytes) is
//! [`SessionFileError`]: start a full handshake instead.

use std::fmt::Write as _;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use https_record::Tls13Suite;
use zeroize::Zeroizing;

use crate::keyschedule::Secret;
use crate::resumption::{ClientSessionStore, StoredTicket};

/// First line of a session file, before the version number.
pub const SESSION_FILE_HEADER: &str = "https-kit-session";
/// The version this code writes and reads.
pub const SESSION_FILE_VERSION: u32 = 1;
/// Largest session file accepted (a ticket is at most 64 KiB on the wire, hex doubles it).
pub const MAX_SESSION_FILE: usize = 160 * 1024;

/// Why a saved session cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionFileError {
    /// Not a session file, or another version of the format.
    #[error("not an https-kit session file (version {SESSION_FILE_VERSION} expected)")]
    NotOurs,
    /// A line is missing, out of order, or has a bad value.
    #[error("malformed session file: {0}")]
    Malformed(&'static str),
    /// Larger than [`MAX_SESSION_FILE`].
    #[error("session file larger than {MAX_SESSION_FILE} bytes")]
    TooLarge,
    /// The ticket was saved for another server name.
    #[error("the session is for {saved:?}, not {wanted:?}")]
    OtherServer {
        /// The name in the file.
        saved: String,
        /// The name being connected to.
        wanted: String,
    },
    /// The ticket's lifetime is over.
    #[error("the session ticket has expired")]
    Expired,
}

/// One session ticket with the server name it is for: what [`ClientSessionStore::save`] gives
/// and [`ClientSessionStore::restore`] takes.
pub struct SavedSession {
    server_name: String,
    suite: Tls13Suite,
    received_unix: u64,
    lifetime: u32,
    age_add: u32,
    max_early_data: u32,
    alpn: Option<Vec<u8>>,
    psk: Secret,
    ticket: Vec<u8>,
}

impl std::fmt::Debug for SavedSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SavedSession")
            .field("server_name", &self.server_name)
            .field("max_early_data", &self.max_early_data)
            .finish_non_exhaustive()
    }
}

fn num<T: std::str::FromStr>(key: &'static str, v: &str) -> Result<T, SessionFileError> {
    v.parse().map_err(|_| SessionFileError::Malformed(key))
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl SavedSession {
    /// The server name the ticket was issued for.
    pub fn server_name(&self) -> &str {
        &self.server_name
    }
    /// The most 0-RTT early data the ticket allows (0: none).
    pub fn max_early_data(&self) -> u32 {
        self.max_early_data
    }
    /// True once the ticket's lifetime is over.
    pub fn is_expired(&self) -> bool {
        unix_now().saturating_sub(self.received_unix) >= u64::from(self.lifetime)
    }

    /// The file's text (secret: it holds the PSK, zeroized when dropped).
    pub fn to_text(&self) -> Zeroizing<String> {
        let mut s = Zeroizing::new(String::with_capacity(256 + 2 * self.ticket.len()));
        let alpn = self.alpn.as_deref().map_or("-".to_string(), hex::encode);
        let _ = write!(
            s,
            "{SESSION_FILE_HEADER} {SESSION_FILE_VERSION}\nserver_name {}\nsuite {:04x}\n\
             received {}\nlifetime {}\nage_add {}\nmax_early_data {}\nalpn {alpn}\npsk ",
            self.server_name,
            self.suite.to_u16(),
            self.received_unix,
            self.lifetime,
            self.age_add,
            self.max_early_data,
        );
        s.push_str(&Zeroizing::new(hex::encode(self.psk.as_bytes())));
        let _ = writeln!(s, "\nticket {}", hex::encode(&self.ticket));
        s
    }

    /// Parses a session file's text (the format is in the module docs).
    pub fn from_text(text: &str) -> Result<Self, SessionFileError> {
        if text.len() > MAX_SESSION_FILE {
            return Err(SessionFileError::TooLarge);
        }
        let mut lines = text.lines();
        let header = format!("{SESSION_FILE_HEADER} {SESSION_FILE_VERSION}");
        if lines.next() != Some(header.as_str()) {
            return Err(SessionFileError::NotOurs);
        }
        let mut field = |key: &'static str| {
            lines
                .next()
                .and_then(|l| l.strip_prefix(key))
                .and_then(|l| l.strip_prefix(' '))
                .ok_or(SessionFileError::Malformed(key))
        };
        let bytes = |key: &'static str, v: &str| {
            hex::decode(v).map_err(|_| SessionFileError::Malformed(key))
        };
        let server_name = field("server_name")?.to_string();
        let suite = u16::from_str_radix(field("suite")?, 16)
            .ok()
            .and_then(Tls13Suite::from_u16)
            .ok_or(SessionFileError::Malformed("suite"))?;
        let received_unix = num("received", field("received")?)?;
        let lifetime: u32 = num("lifetime", field("lifetime")?)?;
        let age_add = num("age_add", field("age_add")?)?;
        let max_early_data = num("max_early_data", field("max_early_data")?)?;
        let alpn = match field("alpn")? {
            "-" => None,
            v => Some(bytes("alpn", v)?),
        };
        let psk = Zeroizing::new(bytes("psk", field("psk")?)?);
        let ticket = bytes("ticket", field("ticket")?)?;
        if lines.next().is_some() {
            return Err(SessionFileError::Malformed("trailing lines"));
        }
        if psk.len() != suite.hash().output_len() {
            return Err(SessionFileError::Malformed("psk length"));
        }
        if server_name.is_empty() || ticket.is_empty() || ticket.len() > 0xffff {
            return Err(SessionFileError::Malformed("server_name or ticket"));
        }
        if lifetime > 7 * 24 * 3600 {
            return Err(SessionFileError::Malformed("lifetime"));
        }
        Ok(Self {
            server_name,
            suite,
            received_unix,
            lifetime,
            age_add,
            max_early_data,
            alpn,
            psk: Secret::from_slice(&psk),
            ticket,
        })
    }
}

impl ClientSessionStore {
    /// The newest unused ticket stored for `server_name`, to save (it stays in the store).
    pub fn save(&self, server_name: &str) -> Option<SavedSession> {
        let m = self.map.lock().ok()?;
        let t = m.get(server_name)?.back()?;
        let age = t.received.elapsed().as_secs();
        Some(SavedSession {
            server_name: server_name.to_string(),
            suite: t.suite,
            received_unix: unix_now().saturating_sub(age),
            lifetime: t.lifetime,
            age_add: t.age_add,
            max_early_data: t.max_early_data,
            alpn: t.alpn.clone(),
            psk: Secret::from_slice(t.psk.as_bytes()),
            ticket: t.ticket.clone(),
        })
    }

    /// Stores a saved ticket for the next connection to `server_name` (the name it was saved
    /// for must match; an expired ticket is refused).
    pub fn restore(&self, server_name: &str, s: SavedSession) -> Result<(), SessionFileError> {
        if !s.server_name.eq_ignore_ascii_case(server_name) {
            return Err(SessionFileError::OtherServer {
                saved: s.server_name,
                wanted: server_name.to_string(),
            });
        }
        if s.is_expired() {
            return Err(SessionFileError::Expired);
        }
        // A ticket stamped in the future (clock change) counts as just received.
        let age = Duration::from_secs(unix_now().saturating_sub(s.received_unix));
        let received = Instant::now().checked_sub(age).unwrap_or_else(Instant::now);
        self.push(
            server_name,
            StoredTicket {
                suite: s.suite,
                psk: s.psk,
                ticket: s.ticket,
                age_add: s.age_add,
                lifetime: s.lifetime,
                received,
                max_early_data: s.max_early_data,
                alpn: s.alpn,
            },
        );
        Ok(())
    }
}
