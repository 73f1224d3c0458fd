//! Replay nonces (RFC 8555 §6.5): random, single use, and a bounded store.
//!
//! Nonces live in memory only: after a restart every outstanding nonce is refused with
//! badNonce, which clients handle by retrying with the fresh nonce sent with the error.

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

use ring::rand::{SecureRandom, SystemRandom};

use crate::jws::b64;
use crate::problem::{internal, AcmeError, Result};

/// Outstanding nonces; the oldest is forgotten when `capacity` is reached.
#[derive(Debug)]
pub struct NonceStore {
    inner: Mutex<Inner>,
    capacity: usize,
    rng: SystemRandom,
}

#[derive(Debug, Default)]
struct Inner {
    live: HashSet<String>,
    order: VecDeque<String>,
}

impl NonceStore {
    /// A store holding at most `capacity` unused nonces.
    pub fn new(capacity: usize) -> Self {
        NonceStore {
            inner: Mutex::new(Inner::default()),
            capacity: capacity.max(1),
            rng: SystemRandom::new(),
        }
    }

    /// A fresh nonce (128 random bits, base64url).
    pub fn issue(&self) -> Result<String> {
        let mut raw = [0u8; 16];
        self.rng
            .fill(&mut raw)
            .map_err(|_| internal("no randomness"))?;
        let nonce = b64(&raw);
        let mut g = self.inner.lock().map_err(|_| internal("nonce lock"))?;
        while g.live.len() >= self.capacity {
            match g.order.pop_front() {
                Some(old) => {
                    g.live.remove(&old);
                }
                None => break,
            }
        }
        g.live.insert(nonce.clone());
        g.order.push_back(nonce.clone());
        Ok(nonce)
    }

    /// Consume `nonce`: Ok once, badNonce for unknown, used or evicted nonces.
    pub fn consume(&self, nonce: &str) -> Result<()> {
        let mut g = self.inner.lock().map_err(|_| internal("nonce lock"))?;
        if !g.live.remove(nonce) {
            return Err(AcmeError::BadNonce(
                "nonce unknown, already used or expired; use the Replay-Nonce of this reply".into(),
            ));
        }
        // The queue entry goes when it reaches the front; bound it at twice the capacity.
        if g.order.len() > 2 * self.capacity {
            let Inner { live, order } = &mut *g;
            order.retain(|n| live.contains(n));
        }
        Ok(())
    }

    /// Unused nonces held.
    pub fn len(&self) -> usize {
        self.inner.lock().map(|g| g.live.len()).unwrap_or(0)
    }

    /// Whether no nonce is outstanding.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_is_good_once() {
        let s = NonceStore::new(8);
        let n = s.issue().unwrap();
        s.consume(&n).unwrap();
        assert!(matches!(s.consume(&n), Err(AcmeError::BadNonce(_))));
        assert!(matches!(
            s.consume("never-issued"),
            Err(AcmeError::BadNonce(_))
        ));
    }

    #[test]
    fn the_store_is_bounded_and_forgets_the_oldest() {
        let s = NonceStore::new(4);
        let first = s.issue().unwrap();
        let rest: Vec<_> = (0..10).map(|_| s.issue().unwrap()).collect();
        assert_eq!(s.len(), 4);
        assert!(matches!(s.consume(&first), Err(AcmeError::BadNonce(_))));
        s.consume(rest.last().unwrap()).unwrap();
        // Many consumes and issues keep the queue bounded too.
        for _ in 0..100 {
            let n = s.issue().unwrap();
            s.consume(&n).unwrap();
        }
        assert!(s.inner.lock().unwrap().order.len() <= 8 + 1);
    }
}
