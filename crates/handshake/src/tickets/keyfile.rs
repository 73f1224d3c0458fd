//! The ticket-key file a server fleet shares (format in the [`TicketKeyFile`] docs).
//!
//! Every byte of the file is hostile input: its size, line count and each field are bounded and a
//! bad file is refused with a [`TicketKeyError`], never half-used.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use ring::rand::{SecureRandom, SystemRandom};
use zeroize::{Zeroize, Zeroizing};

/// First line of a key file (the format version).
pub const KEY_FILE_HEADER: &str = "https-kit-ticket-keys v1";
/// Largest key file we read.
pub const MAX_KEY_FILE_BYTES: u64 = 4096;
/// Most key lines in a file.
pub const MAX_KEY_FILE_KEYS: usize = 8;
/// How many keys `rotate` keeps: the new one (seals and opens) and the previous one (opens only).
pub const KEYS_KEPT: usize = 2;

/// Why a ticket-key file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TicketKeyError {
    /// The file could not be opened, read, written or renamed.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        kind: io::ErrorKind,
        /// Its message.
        message: String,
    },
    /// Group or others may access the file: its keys would let them forge and open tickets.
    #[error(
        "{path} has mode {mode:o}: ticket keys must not be readable by group or others (chmod 600)"
    )]
    Permissions {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// Not a regular file.
    #[error("{path} is not a regular file")]
    NotAFile {
        /// The path.
        path: PathBuf,
    },
    /// Over [`MAX_KEY_FILE_BYTES`].
    #[error("{path} is larger than {MAX_KEY_FILE_BYTES} bytes: not a ticket-key file")]
    TooLarge {
        /// The file.
        path: PathBuf,
    },
    /// A line that is not what the format says.
    #[error("{path} line {line}: {reason}")]
    Format {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// The header is there but no key follows.
    #[error("{path} holds no key")]
    NoKeys {
        /// The file.
        path: PathBuf,
    },
    /// `create` found a file already there.
    #[error("{path} already exists (use rotate)")]
    Exists {
        /// The file.
        path: PathBuf,
    },
}

impl TicketKeyError {
    fn io(path: &Path, e: &io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            kind: e.kind(),
            message: e.to_string(),
        }
    }
}

/// One key of the file.
pub(crate) struct KeyEntry {
    /// Unix seconds when the key was made.
    pub(crate) created: u64,
    pub(crate) key: Zeroizing<[u8; 32]>,
}

/// Creates and rotates ticket-key files; [`crate::Ticketer::from_key_file`] reads them.
///
/// Format (UTF-8 text, at most 4 KiB, mode 0600 — a file group or others can read is refused):
///
/// ```text
/// https-kit-ticket-keys v1
/// # comments and blank lines are ignored; keys newest first
/// 1764633600 3f9c…(64 hex digits: a 32-byte AES-256-GCM key)
/// 1764612000 a01b…
/// ```
///
/// Each key line is `<unix seconds when made> <key in hex>`, newest first (timestamps must not
/// increase). The first key seals new tickets; the first two open tickets; later lines are
/// ignored. `rotate` writes a new first key and keeps [`KEYS_KEPT`] keys, so a key stops opening
/// tickets after the second rotation. Writes are atomic (temporary file in the same directory,
/// fsync, rename) and the file is created 0600.
#[derive(Debug, Clone, Copy)]
pub struct TicketKeyFile;

impl TicketKeyFile {
    /// Writes a new key file with one fresh key; refuses to overwrite an existing file.
    pub fn create(path: &Path) -> Result<(), TicketKeyError> {
        if path.symlink_metadata().is_ok() {
            return Err(TicketKeyError::Exists {
                path: path.to_path_buf(),
            });
        }
        write_atomic(path, &[fresh_key(path, 0)?])
    }

    /// Puts a fresh key first and keeps the previous newest one (the file must already be valid).
    pub fn rotate(path: &Path) -> Result<(), TicketKeyError> {
        let mut keys = read_key_file(path)?;
        let newest = keys.first().map_or(0, |k| k.created);
        keys.insert(0, fresh_key(path, newest)?);
        keys.truncate(KEYS_KEPT);
        write_atomic(path, &keys)
    }
}

pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn fresh_key(path: &Path, not_before: u64) -> Result<KeyEntry, TicketKeyError> {
    let mut key = Zeroizing::new([0u8; 32]);
    SystemRandom::new()
        .fill(&mut key[..])
        .map_err(|_| TicketKeyError::io(path, &io::Error::other("no randomness")))?;
    // Never older than the key it replaces (keeps the file newest-first if the clock stepped back).
    Ok(KeyEntry {
        created: unix_now().max(not_before),
        key,
    })
}

/// Opens, checks (regular file, 0600-or-stricter, size) and parses a key file.
pub(crate) fn read_key_file(path: &Path) -> Result<Vec<KeyEntry>, TicketKeyError> {
    let file = File::open(path).map_err(|e| TicketKeyError::io(path, &e))?;
    // Check the file we opened, not the path (it may be replaced in between).
    let meta = file.metadata().map_err(|e| TicketKeyError::io(path, &e))?;
    if !meta.is_file() {
        return Err(TicketKeyError::NotAFile {
            path: path.to_path_buf(),
        });
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(TicketKeyError::Permissions {
            path: path.to_path_buf(),
            mode,
        });
    }
    let mut text = Zeroizing::new(String::new());
    file.take(MAX_KEY_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| TicketKeyError::io(path, &e))?;
    if text.len() as u64 > MAX_KEY_FILE_BYTES {
        return Err(TicketKeyError::TooLarge {
            path: path.to_path_buf(),
        });
    }
    parse(path, &text)
}

fn parse(path: &Path, text: &str) -> Result<Vec<KeyEntry>, TicketKeyError> {
    let bad = |line: usize, reason: &'static str| TicketKeyError::Format {
        path: path.to_path_buf(),
        line,
        reason,
    };
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
    match lines.next() {
        Some((_, KEY_FILE_HEADER)) => {}
        Some((n, _)) => return Err(bad(n, "expected the header `https-kit-ticket-keys v1`")),
        None => return Err(bad(1, "empty file: expected `https-kit-ticket-keys v1`")),
    }
    let mut keys: Vec<KeyEntry> = Vec::new();
    for (n, line) in lines {
        if keys.len() == MAX_KEY_FILE_KEYS {
            return Err(bad(n, "too many keys (at most 8)"));
        }
        let mut fields = line.split_ascii_whitespace();
        let (Some(ts), Some(hexkey), None) = (fields.next(), fields.next(), fields.next()) else {
            return Err(bad(n, "expected `<unix seconds> <64 hex digits>`"));
        };
        let created: u64 = ts
            .parse()
            .map_err(|_| bad(n, "timestamp is not a number of seconds"))?;
        let mut key = Zeroizing::new([0u8; 32]);
        if hexkey.len() != 64 || hex::decode_to_slice(hexkey, &mut key[..]).is_err() {
            return Err(bad(n, "key is not 64 hex digits"));
        }
        if keys.last().is_some_and(|k| k.created < created) {
            return Err(bad(n, "keys must be newest first"));
        }
        keys.push(KeyEntry { created, key });
    }
    if keys.is_empty() {
        return Err(TicketKeyError::NoKeys {
            path: path.to_path_buf(),
        });
    }
    Ok(keys)
}

fn render(keys: &[KeyEntry]) -> Zeroizing<String> {
    // Reserved up front so no growth leaves an unwiped copy of the keys behind.
    let mut out = Zeroizing::new(String::with_capacity(256 + keys.len() * 96));
    out.push_str(KEY_FILE_HEADER);
    out.push_str(
        "\n# Session ticket keys, newest first: the first seals, the first two open.\n\
         # Secret (mode 0600). Rotate with `https-kit ticket-key rotate FILE` every 6 hours.\n",
    );
    for k in keys {
        let mut h = hex::encode(&k.key[..]);
        out.push_str(&k.created.to_string());
        out.push(' ');
        out.push_str(&h);
        out.push('\n');
        h.zeroize();
    }
    out
}

/// Temp file (0600, same directory) → fsync → rename over `path` → fsync the directory.
fn write_atomic(path: &Path, keys: &[KeyEntry]) -> Result<(), TicketKeyError> {
    let err = |e: io::Error| TicketKeyError::io(path, &e);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| err(io::Error::other("not a file name")))?;
    let mut suffix = [0u8; 8];
    SystemRandom::new()
        .fill(&mut suffix)
        .map_err(|_| err(io::Error::other("no randomness")))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        hex::encode(suffix)
    ));
    let write = || -> io::Result<()> {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        // The umask cannot widen 0600, but a pre-set ACL default could: set it explicitly.
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        f.write_all(render(keys).as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        File::open(&dir)?.sync_all()
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        err(e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> &'static Path {
        Path::new("k")
    }

    #[test]
    fn parses_what_it_renders() {
        let keys = vec![
            KeyEntry {
                created: 20,
                key: Zeroizing::new([1; 32]),
            },
            KeyEntry {
                created: 10,
                key: Zeroizing::new([2; 32]),
            },
        ];
        let back = parse(p(), &render(&keys)).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!((back[0].created, *back[0].key), (20, [1; 32]));
        assert_eq!((back[1].created, *back[1].key), (10, [2; 32]));
    }

    #[test]
    fn malformed_files_name_the_line() {
        let k = "ab".repeat(32);
        let cases = [
            ("", 1, "empty"),
            ("https-kit-ticket-keys v2\n", 1, "header"),
            ("https-kit-ticket-keys v1\n10\n", 2, "expected"),
            ("https-kit-ticket-keys v1\nx ab\n", 2, "timestamp"),
            ("https-kit-ticket-keys v1\n10 abcd\n", 2, "64 hex"),
            ("https-kit-ticket-keys v1\n10 zz\n", 2, "64 hex"),
        ];
        for (text, line, what) in cases {
            match parse(p(), text) {
                Err(TicketKeyError::Format {
                    line: l, reason, ..
                }) => assert!(l == line && reason.contains(what), "{text:?}: {l} {reason}"),
                _ => panic!("{text:?} accepted"),
            }
        }
        let order = format!("{KEY_FILE_HEADER}\n10 {k}\n20 {k}\n");
        assert!(matches!(
            parse(p(), &order),
            Err(TicketKeyError::Format { line: 3, .. })
        ));
        let many = format!("{KEY_FILE_HEADER}\n{}", format!("1 {k}\n").repeat(9));
        assert!(matches!(
            parse(p(), &many),
            Err(TicketKeyError::Format { line: 10, .. })
        ));
        assert!(matches!(
            parse(p(), &format!("{KEY_FILE_HEADER}\n# none\n")),
            Err(TicketKeyError::NoKeys { .. })
        ));
    }
}
