//! Anti-replay for 0-RTT (RFC 8446 §8.2-8.3): a bounded strike register of the PSK binders of
//! ClientHellos whose early data was accepted, combined with the ticket-age freshness window.
//!
//! A binder is unique per ClientHello, so a replayed hello carries a binder seen before and its
//! early data is rejected (the handshake goes on without it). Entries older than the window are
//! dropped: a replay that late fails the freshness check instead. When the register is full, 0-RTT
//! is refused until entries age out (fail closed). The register is per `ServerConfig`: servers that
//! share ticket keys do not share it, so run 0-RTT on one server per ticket key, or accept that a
//! hello may be replayed once to each.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// How far a client's ticket age may be from ours (RFC 8446 §8.3), milliseconds.
pub(crate) const AGE_WINDOW_MS: u64 = 10_000;
/// Most binders remembered at once.
pub(crate) const MAX_STRIKES: usize = 65_536;

/// Binders (by their first 32 bytes) of accepted 0-RTT hellos, with the time they were seen.
#[derive(Debug, Default)]
pub(crate) struct StrikeRegister {
    inner: Mutex<Strikes>,
}

#[derive(Debug, Default)]
struct Strikes {
    seen: HashMap<[u8; 32], u64>,
    order: VecDeque<([u8; 32], u64)>,
}

impl StrikeRegister {
    /// Records `binder` seen at `now_ms`; false if it was seen within the window (a replay) or the
    /// register is full.
    pub(crate) fn check_and_insert(&self, binder: &[u8], now_ms: u64) -> bool {
        let mut key = [0u8; 32];
        let n = binder.len().min(32);
        key[..n].copy_from_slice(&binder[..n]);
        let Ok(mut s) = self.inner.lock() else {
            return false;
        };
        while let Some(&(k, t)) = s.order.front() {
            if now_ms.saturating_sub(t) <= 2 * AGE_WINDOW_MS {
                break;
            }
            s.order.pop_front();
            if s.seen.get(&k) == Some(&t) {
                s.seen.remove(&k);
            }
        }
        if s.seen.contains_key(&key) || s.order.len() >= MAX_STRIKES {
            return false;
        }
        s.seen.insert(key, now_ms);
        s.order.push_back((key, now_ms));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_binder_is_accepted_once_and_forgotten_after_the_window() {
        let r = StrikeRegister::default();
        assert!(r.check_and_insert(&[1; 32], 1000));
        assert!(!r.check_and_insert(&[1; 32], 1001));
        assert!(r.check_and_insert(&[2; 32], 1002));
        assert!(r.check_and_insert(&[1; 32], 1000 + 2 * AGE_WINDOW_MS + 1));
    }
}
