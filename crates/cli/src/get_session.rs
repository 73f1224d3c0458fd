//! `get --session FILE`: a session ticket kept between `get` processes, so the next one resumes
//! (and, with `--early-data`, sends its request as 0-RTT). The file format is
//! `https_handshake::SavedSession`'s (versioned text, documented there and in `get --help`); it
//! holds the session's PSK, so it is written 0600, atomically (temp file + rename).
//!
//! A missing file is a first run. An unreadable, corrupt, foreign, expired or other-server file
//! is one warning line on stderr and a full handshake: the fetch itself never fails for it.

use std::path::Path;

use https_handshake::{ClientSessionStore, SavedSession};

use crate::files::FileSet;

/// What loading the file gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loaded {
    /// No file yet.
    None,
    /// A ticket for this server, in the store; its max_early_data.
    Ticket(u32),
    /// The file could not be used (a warning was printed).
    Unusable,
}

/// Puts the ticket saved in `path` for `host` into `store`, if there is a usable one.
pub fn load(path: &Path, host: &str, store: &ClientSessionStore) -> Loaded {
    let text = match std::fs::read(path) {
        Ok(bytes) => zeroize::Zeroizing::new(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Loaded::None,
        Err(e) => return warn(path, &e),
    };
    let saved = std::str::from_utf8(&text)
        .map_err(|_| https_handshake::SessionFileError::NotOurs)
        .and_then(SavedSession::from_text);
    let early = match &saved {
        Ok(s) => s.max_early_data(),
        Err(_) => 0,
    };
    match saved.and_then(|s| store.restore(host, s)) {
        Ok(()) => Loaded::Ticket(early),
        Err(e) => warn(path, &e),
    }
}

fn warn(path: &Path, e: &dyn std::fmt::Display) -> Loaded {
    eprintln!(
        "https-kit: warning: --session {}: {e}; doing a full handshake",
        path.display()
    );
    Loaded::Unusable
}

/// Saves the newest ticket `store` holds for `host` in `path`. Nothing to save (the server sent
/// no ticket) removes the file: its ticket was used once already. Failures are warnings.
pub fn save(path: &Path, host: &str, store: &ClientSessionStore) {
    let Some(saved) = store.save(host) else {
        if let Err(e) = std::fs::remove_file(path) {
            if e.kind() != std::io::ErrorKind::NotFound {
                eprintln!(
                    "https-kit: warning: --session {}: cannot remove the used ticket: {e}",
                    path.display()
                );
            }
        }
        return;
    };
    let text = saved.to_text();
    let mut set = FileSet::new(true);
    set.add(path, text.as_bytes(), 0o600);
    if let Err(f) = set.commit() {
        eprintln!(
            "https-kit: warning: --session: the new ticket was not saved: {}",
            f.message
        );
    }
}
