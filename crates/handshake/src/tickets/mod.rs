//! Session tickets as production servers need them (RFC 8446 §4.6.1): stateless, versioned,
//! AES-256-GCM tickets bound to the SNI, ALPN and client identity they were issued for, under keys
//! that rotate — in memory ([`Ticketer::new`]) or from a file a fleet shares
//! ([`Ticketer::from_key_file`], format in [`TicketKeyFile`]).
//!
//! Key life: a key seals tickets for one rotation period (6 h by default), then opens them for one
//! more period as the previous key, then is gone. A ticket therefore opens for at least one period
//! after it was issued, so lifetimes up to the period (2 h by default) are always honoured.

mod keyfile;
mod state;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use ring::aead;
use ring::rand::{SecureRandom, SystemRandom};

use crate::error::Error;
pub use crate::error::TicketKeyError;

pub(crate) use keyfile::unix_now;
pub use keyfile::{
    TicketKeyFile, KEYS_KEPT, KEY_FILE_HEADER, MAX_KEY_FILE_BYTES, MAX_KEY_FILE_KEYS,
};
pub(crate) use state::TicketState;
pub use state::MAX_TICKET_CERT_BYTES;
use state::{HEADER_LEN, TAG_LEN, TICKET_VERSION};

/// How long a key seals tickets before the next one takes over (default).
pub const DEFAULT_ROTATION_PERIOD: Duration = Duration::from_secs(6 * 60 * 60);
/// How often a file-backed ticketer looks at its file's modification stamp (default).
pub const DEFAULT_RELOAD_INTERVAL: Duration = Duration::from_secs(1);
/// Ticket lifetime a server announces by default.
pub const DEFAULT_TICKET_LIFETIME: Duration = Duration::from_secs(2 * 60 * 60);
/// The longest lifetime RFC 8446 §4.6.1 allows.
pub const MAX_TICKET_LIFETIME: Duration = Duration::from_secs(7 * 24 * 60 * 60);
/// Tickets "issued" this far in the future still open (clock skew between fleet members).
const CLOCK_SKEW: u64 = 60;

/// One AES-256-GCM ticket key and its public id (a hash of the key, so every fleet member that
/// reads the same file computes the same id).
struct TicketKey {
    id: [u8; 8],
    /// Unix seconds when the key was made (from the file), for staleness.
    created: u64,
    aead: aead::LessSafeKey,
}

impl TicketKey {
    fn new(bytes: &[u8; 32], created: u64) -> Result<Self, Error> {
        let mut h = ring::digest::Context::new(&ring::digest::SHA256);
        h.update(b"https-kit ticket key id\0");
        h.update(bytes);
        let mut id = [0u8; 8];
        id.copy_from_slice(&h.finish().as_ref()[..8]);
        let key = aead::UnboundKey::new(&aead::AES_256_GCM, bytes)
            .map_err(|_| Error::Config("ticket key".into()))?;
        Ok(Self {
            id,
            created,
            aead: aead::LessSafeKey::new(key),
        })
    }

    fn random(rng: &SystemRandom) -> Result<Self, Error> {
        let mut k = zeroize::Zeroizing::new([0u8; 32]);
        rng.fill(&mut k[..])
            .map_err(|_| Error::Config("no randomness".into()))?;
        Self::new(&k, unix_now())
    }
}

/// The keys in use: `current` seals and opens, `previous` only opens.
struct Keys {
    current: TicketKey,
    previous: Option<TicketKey>,
    /// When `current` took over (in-memory rotation).
    since: Instant,
}

/// Identifies a version of the key file: a rename (our atomic write) changes the inode.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: (i64, i64),
}

fn stamp(path: &Path) -> Option<Stamp> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some(Stamp {
        dev: m.dev(),
        ino: m.ino(),
        len: m.len(),
        mtime: (m.mtime(), m.mtime_nsec()),
    })
}

struct FileCheck {
    checked: Instant,
    stamp: Option<Stamp>,
    error: Option<TicketKeyError>,
}

enum Source {
    Memory,
    File {
        path: PathBuf,
        reload_interval: Duration,
        check: Mutex<FileCheck>,
    },
}

/// Seals and opens session tickets under rotating keys; share one (`Arc`) between configs to let
/// them resume each other's sessions.
pub struct Ticketer {
    keys: RwLock<Keys>,
    source: Source,
    period: Duration,
    rng: SystemRandom,
}

impl std::fmt::Debug for Ticketer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let src = match &self.source {
            Source::Memory => "memory".to_string(),
            Source::File { path, .. } => path.display().to_string(),
        };
        f.debug_struct("Ticketer")
            .field("keys", &src)
            .field("rotation_period", &self.period)
            .finish_non_exhaustive()
    }
}

impl Ticketer {
    /// Random keys in memory, rotated every 6 hours (the previous key still opens tickets).
    pub fn new() -> Result<Self, Error> {
        let rng = SystemRandom::new();
        Ok(Self {
            keys: RwLock::new(Keys {
                current: TicketKey::random(&rng)?,
                previous: None,
                since: Instant::now(),
            }),
            source: Source::Memory,
            period: DEFAULT_ROTATION_PERIOD,
            rng,
        })
    }

    /// Keys from a ticket-key file ([`TicketKeyFile`] describes the format; it must be mode 0600).
    /// The file is re-read when it changes (looked at no more than once per second); a re-read
    /// that fails keeps the keys in use and is reported by [`Ticketer::last_reload_error`].
    ///
    /// When the newest key is older than the rotation period (nobody ran `rotate`), the server keeps
    /// sealing with it, so a fleet never splits over keys, and [`Ticketer::is_stale`] turns true.
    pub fn from_key_file(path: &Path) -> Result<Self, Error> {
        let before = stamp(path);
        let keys = load(path)?;
        Ok(Self {
            keys: RwLock::new(keys),
            source: Source::File {
                path: path.to_path_buf(),
                reload_interval: DEFAULT_RELOAD_INTERVAL,
                check: Mutex::new(FileCheck {
                    checked: Instant::now(),
                    stamp: before,
                    error: None,
                }),
            },
            period: DEFAULT_ROTATION_PERIOD,
            rng: SystemRandom::new(),
        })
    }

    /// How long a key seals tickets (in memory: when it is replaced; from a file: when the file
    /// counts as stale).
    pub fn with_rotation_period(mut self, period: Duration) -> Self {
        self.period = period;
        self
    }

    /// How often a file-backed ticketer checks its file for changes (default 1 s).
    pub fn with_reload_interval(mut self, interval: Duration) -> Self {
        if let Source::File {
            reload_interval, ..
        } = &mut self.source
        {
            *reload_interval = interval;
        }
        self
    }

    /// Rotates now: in memory a fresh key takes over; with a file, the file is rotated
    /// ([`TicketKeyFile::rotate`]) and re-read.
    pub fn rotate(&self) -> Result<(), Error> {
        match &self.source {
            Source::Memory => {
                let fresh = TicketKey::random(&self.rng)?;
                self.install(fresh, Instant::now(), Duration::ZERO);
                Ok(())
            }
            Source::File { path, .. } => {
                TicketKeyFile::rotate(path)?;
                self.reload()
            }
        }
    }

    /// Re-reads the key file now (no-op in memory).
    pub fn reload(&self) -> Result<(), Error> {
        let Source::File { path, check, .. } = &self.source else {
            return Ok(());
        };
        let mut chk = check.lock().unwrap_or_else(PoisonError::into_inner);
        self.reload_locked(path, &mut chk)
    }

    /// True when the newest key of a key file is older than the rotation period (run
    /// `https-kit ticket-key rotate`); never for in-memory keys, which rotate themselves.
    pub fn is_stale(&self) -> bool {
        if let Source::Memory = self.source {
            return false;
        }
        let created = self.read_keys().current.created;
        unix_now().saturating_sub(created) > self.period.as_secs()
    }

    /// Why the last re-read of the key file failed (cleared by a successful one).
    pub fn last_reload_error(&self) -> Option<TicketKeyError> {
        match &self.source {
            Source::File { check, .. } => check
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .error
                .clone(),
            Source::Memory => None,
        }
    }

    fn read_keys(&self) -> std::sync::RwLockReadGuard<'_, Keys> {
        self.keys.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes `fresh` the sealing key if the current one has sealed for `min_age` (another thread
    /// may have rotated while we waited for the lock).
    fn install(&self, fresh: TicketKey, now: Instant, min_age: Duration) {
        let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
        if now.saturating_duration_since(keys.since) >= min_age {
            let old = std::mem::replace(&mut keys.current, fresh);
            keys.previous = Some(old);
            keys.since = now;
        }
    }

    fn reload_locked(&self, path: &Path, chk: &mut FileCheck) -> Result<(), Error> {
        chk.checked = Instant::now();
        let before = stamp(path);
        match load(path) {
            Ok(keys) => {
                *self.keys.write().unwrap_or_else(PoisonError::into_inner) = keys;
                chk.stamp = before;
                chk.error = None;
                Ok(())
            }
            Err(Error::TicketKeys(e)) => {
                chk.error = Some(e.clone());
                Err(Error::TicketKeys(e))
            }
            Err(e) => Err(e),
        }
    }

    /// Rotates in-memory keys that are due; re-reads a key file that changed (bounded frequency).
    fn maintain(&self, now: Instant) {
        match &self.source {
            Source::Memory => {
                if now.saturating_duration_since(self.read_keys().since) < self.period {
                    return;
                }
                if let Ok(fresh) = TicketKey::random(&self.rng) {
                    self.install(fresh, now, self.period);
                }
            }
            Source::File {
                path,
                reload_interval,
                check,
            } => {
                // One thread checks; the others go on with the keys they have.
                let Ok(mut chk) = check.try_lock() else {
                    return;
                };
                if now.saturating_duration_since(chk.checked) < *reload_interval {
                    return;
                }
                chk.checked = now;
                if stamp(path) != chk.stamp || chk.error.is_some() {
                    let _ = self.reload_locked(path, &mut chk);
                }
            }
        }
    }

    /// Encrypts a session into a ticket; `None` if it does not fit (e.g. a huge client chain).
    pub(crate) fn seal(&self, state: &TicketState) -> Result<Option<Vec<u8>>, Error> {
        self.maintain(Instant::now());
        let Some(mut body) = state.encode() else {
            return Ok(None);
        };
        let mut nonce = [0u8; 12];
        self.rng
            .fill(&mut nonce)
            .map_err(|_| Error::internal("no randomness"))?;
        let keys = self.read_keys();
        let mut aad = [TICKET_VERSION; 9];
        aad[1..].copy_from_slice(&keys.current.id);
        let mut out = Vec::with_capacity(HEADER_LEN + body.len() + TAG_LEN);
        out.extend_from_slice(&aad);
        out.extend_from_slice(&nonce);
        let tag = keys
            .current
            .aead
            .seal_in_place_separate_tag(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from(aad),
                &mut body,
            )
            .map_err(|_| Error::internal("ticket seal"))?;
        out.extend_from_slice(&body);
        out.extend_from_slice(tag.as_ref());
        zeroize::Zeroize::zeroize(&mut body);
        Ok(Some(out))
    }

    /// Opens a ticket; `None` if it is not ours (version, key, tag, format) or has expired.
    pub(crate) fn open(&self, ticket: &[u8]) -> Option<TicketState> {
        self.open_at(ticket, Instant::now(), unix_now())
    }

    fn open_at(&self, ticket: &[u8], now: Instant, unix: u64) -> Option<TicketState> {
        if ticket.len() < HEADER_LEN + TAG_LEN || ticket[0] != TICKET_VERSION {
            return None;
        }
        self.maintain(now);
        let (aad, rest) = ticket.split_at(9);
        let (nonce, ct) = rest.split_at(12);
        let keys = self.read_keys();
        let key = [Some(&keys.current), keys.previous.as_ref()]
            .into_iter()
            .flatten()
            .find(|k| k.id[..] == aad[1..])?;
        let nonce = aead::Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut buf = zeroize::Zeroizing::new(ct.to_vec());
        let plain = key
            .aead
            .open_in_place(nonce, aead::Aad::from(aad), &mut buf[..])
            .ok()?;
        let state = TicketState::decode(plain)?;
        let fresh = state.issued <= unix + CLOCK_SKEW
            && unix <= state.issued.saturating_add(u64::from(state.lifetime));
        fresh.then_some(state)
    }
}

/// Reads a key file into the keys in use: the first seals, the second (if any) opens.
fn load(path: &Path) -> Result<Keys, Error> {
    let entries = keyfile::read_key_file(path)?;
    let mut it = entries.iter();
    let first = it
        .next()
        .ok_or_else(|| Error::Config("ticket key file holds no key".into()))?;
    let current = TicketKey::new(&first.key, first.created)?;
    let previous = match it.next() {
        Some(k) => Some(TicketKey::new(&k.key, k.created)?),
        None => None,
    };
    Ok(Keys {
        current,
        previous,
        since: Instant::now(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyschedule::Secret;
    use https_record::Tls13Suite;

    fn state(issued: u64, lifetime: u32) -> TicketState {
        TicketState {
            suite: Tls13Suite::Aes128GcmSha256,
            psk: Secret::from_slice(&[3; 32]),
            issued,
            lifetime,
            age_add: 1,
            sni: None,
            alpn: None,
            peer_certs: Vec::new(),
        }
    }

    #[test]
    fn in_memory_keys_rotate_each_period_and_the_previous_one_still_opens() {
        let t = Ticketer::new()
            .unwrap()
            .with_rotation_period(Duration::from_secs(10));
        let now = unix_now();
        let ticket = t.seal(&state(now, 3600)).unwrap().unwrap();
        let start = Instant::now();
        assert!(t.open_at(&ticket, start, now).is_some());
        // One period later a new key seals; the old one still opens.
        let later = start + Duration::from_secs(11);
        assert!(t.open_at(&ticket, later, now).is_some());
        let newer = t.seal(&state(now, 3600)).unwrap().unwrap();
        assert_ne!(newer[1..9], ticket[1..9], "a new key id after rotation");
        // Two periods: the first key is gone.
        let much_later = later + Duration::from_secs(11);
        assert!(t.open_at(&ticket, much_later, now).is_none());
        assert!(t.open_at(&newer, much_later, now).is_some());
    }

    #[test]
    fn expired_future_tampered_and_other_version_tickets_do_not_open() {
        let t = Ticketer::new().unwrap();
        let now = unix_now();
        let ticket = t.seal(&state(now, 100)).unwrap().unwrap();
        let i = Instant::now();
        assert!(t.open_at(&ticket, i, now + 100).is_some());
        assert!(t.open_at(&ticket, i, now + 101).is_none(), "expired");
        let future = t.seal(&state(now + 61, 100)).unwrap().unwrap();
        assert!(t.open_at(&future, i, now).is_none(), "issued in the future");
        for at in [0, 1, HEADER_LEN, ticket.len() - 1] {
            let mut bad = ticket.clone();
            bad[at] ^= 1;
            assert!(t.open_at(&bad, i, now).is_none(), "byte {at} flipped");
        }
        assert!(t
            .open_at(&ticket[..HEADER_LEN + TAG_LEN - 1], i, now)
            .is_none());
        let other = Ticketer::new().unwrap();
        assert!(other.open_at(&ticket, i, now).is_none(), "another key");
    }
}
