//! `get --session FILE`: a session ticket kept between `get` processes, so the next one resumes
//! (and, with `--early-data`, sends its request as 0-RTT). The file format is
//! `https_handshake::SavedSession`'s (versioned text, documented there and in `get --help`); it
//! holds the session's PSK, so it is written 0600, atomically (temp file + rename).
//!
//! A missing file is a first run. An unreadable, corrupt, foreign, expired or other-server file
//! is one warning line on stderr and a full handshake: the fetch itself never fails for it.
//!
//! With a session file the connection always ends with our close_notify before exit ([`close`]).

use std::io;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};

use crate::get_early::{Io, Tail};

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

/// The stream under hyper when a session file is in use: handed back on the channel when hyper
/// drops it (its connection task ended), so [`close`] can make sure our close_notify went out
/// before the process exits. A server may forget a session whose connection ended without one
/// (OpenSSL drops it from its cache on the unexpected EOF), and the saved ticket would not resume.
pub struct Returned {
    inner: Option<Box<dyn Io>>,
    back: Option<tokio::sync::oneshot::Sender<Option<Box<dyn Io>>>>,
}

impl Returned {
    /// The wrapped stream, and where it comes back.
    pub fn new(inner: Box<dyn Io>) -> (Self, Tail) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let me = Self {
            inner: Some(inner),
            back: Some(tx),
        };
        (me, rx)
    }
    fn io(&mut self) -> io::Result<Pin<&mut Box<dyn Io>>> {
        match self.inner.as_mut() {
            Some(s) => Ok(Pin::new(s)),
            None => Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "stream handed back",
            )),
        }
    }
}

impl Drop for Returned {
    fn drop(&mut self) {
        if let Some(back) = self.back.take() {
            let _ = back.send(self.inner.take());
        }
    }
}

impl AsyncRead for Returned {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.io()?.poll_read(cx, buf)
    }
}

impl AsyncWrite for Returned {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.io()?.poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io()?.poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io()?.poll_shutdown(cx)
    }
}

/// After the body: waits (bounded) for hyper to let go of the stream, then sends our
/// close_notify (again, harmlessly, if hyper already shut the stream down).
pub async fn close(tail: Tail) {
    let Ok(Ok(Some(mut rest))) = tokio::time::timeout(CLOSE_LIMIT, tail).await else {
        return;
    };
    let _ = tokio::time::timeout(CLOSE_LIMIT, rest.shutdown()).await;
}

/// How long [`close`] waits for hyper's connection to end, and then for close_notify to go.
const CLOSE_LIMIT: Duration = Duration::from_secs(2);
