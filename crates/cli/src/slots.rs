//! `serve --max-connections`: the connection slots, and who gives one up when they are all taken.
//!
//! Pausing `accept` at the limit lets a few hundred stalled peers (silent, half a ClientHello,
//! half a header block) keep every real client in the kernel's queue until the timeouts free
//! their slots. So at the limit the new connection takes the slot of the connection that has
//! been *quiet* (no request in flight: handshaking, between requests, or sending headers) for the
//! longest; that one is closed at once. The newcomer does not wait for it to be gone (behind a
//! burst of stalled peers, waiting for each one in turn would keep the accept queue, and the
//! real client in it, waiting): up to [`Slots::overshoot`] connections may be on their way out
//! at once, so the descriptors in use stay under `max` plus that. Only when every connection has
//! a request in flight does accepting pause (back-pressure), and resumes as soon as one closes
//! or turns quiet.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// While every connection is busy, look again this often for one that turned quiet.
const RECHECK: Duration = Duration::from_millis(100);

/// The server's slots: at most `max` connections at once.
#[derive(Debug)]
pub struct Slots {
    max: usize,
    epoch: Instant,
    next_id: AtomicU64,
    open: Mutex<Open>,
    /// Signalled when a slot is given back.
    freed: Notify,
    /// Connections closed to make room (for the stopping line and tests).
    shed_count: AtomicUsize,
}

/// The connections holding a slot, and how many of them were asked to go and have not yet.
#[derive(Debug, Default)]
struct Open {
    slots: HashMap<u64, Arc<Slot>>,
    leaving: usize,
}

/// One connection's place: how long it has been quiet, and the request to give the place up.
#[derive(Debug)]
pub struct Slot {
    /// 1 + milliseconds since the slots' epoch when the connection last turned quiet; 0 = busy.
    quiet_since: AtomicU64,
    /// Set once when the connection is asked to go (so it is not picked twice).
    asked: AtomicBool,
    shed: Notify,
    epoch: Instant,
}

impl Slot {
    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis())
            .unwrap_or(u64::MAX - 1)
            .saturating_add(1)
    }

    /// A request is in flight: this connection is not given up for a newcomer.
    pub fn busy(&self) {
        self.quiet_since.store(0, Ordering::Relaxed);
    }

    /// No request in flight any more (the connection waits for its peer).
    pub fn quiet(&self) {
        self.quiet_since.store(self.now(), Ordering::Relaxed);
    }

    /// Resolves when the server needs this connection's slot for a new one.
    pub async fn shed_requested(&self) {
        self.shed.notified().await;
    }
}

/// Holds a slot until dropped (the connection task owns it).
#[derive(Debug)]
pub struct SlotGuard {
    slots: Arc<Slots>,
    id: u64,
    slot: Arc<Slot>,
}

impl SlotGuard {
    pub fn slot(&self) -> &Arc<Slot> {
        &self.slot
    }
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        let mut open = self.slots.lock();
        if open.slots.remove(&self.id).is_some() && self.slot.asked.load(Ordering::Relaxed) {
            open.leaving = open.leaving.saturating_sub(1);
        }
        drop(open);
        // One task waits at a time (the accept loop, or the shutdown wait): a stored permit
        // covers a slot freed before it starts waiting.
        self.slots.freed.notify_one();
    }
}

impl Slots {
    pub fn new(max: usize) -> Arc<Self> {
        Arc::new(Slots {
            max: max.max(1),
            epoch: Instant::now(),
            next_id: AtomicU64::new(0),
            open: Mutex::new(Open::default()),
            freed: Notify::new(),
            shed_count: AtomicUsize::new(0),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Open> {
        // A panicking connection task must not take the whole server down with the lock.
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.lock().slots.len()
    }

    /// Connections that may be closing (asked to go) beyond `max` at once.
    pub fn overshoot(&self) -> usize {
        (self.max / 4).max(16)
    }

    /// Connections closed so far to make room for new ones.
    pub fn shed_count(&self) -> usize {
        self.shed_count.load(Ordering::Relaxed)
    }

    /// A slot for a connection just accepted: at once when one is free (not counting those
    /// asked to go); else the longest-quiet connection is asked to go and we take its slot now;
    /// if every connection is busy (or too many are still leaving), we wait for one to end or
    /// turn quiet.
    pub async fn acquire(self: &Arc<Self>) -> SlotGuard {
        loop {
            {
                let mut open = self.lock();
                if open.slots.len() - open.leaving.min(open.slots.len()) < self.max {
                    return self.insert(&mut open);
                }
                if open.leaving < self.overshoot() {
                    if let Some(victim) = quietest(&open.slots) {
                        victim.shed.notify_one();
                        open.leaving += 1;
                        self.shed_count.fetch_add(1, Ordering::Relaxed);
                        return self.insert(&mut open);
                    }
                }
            }
            tokio::select! {
                _ = self.freed.notified() => {}
                _ = tokio::time::sleep(RECHECK) => {}
            }
        }
    }

    fn insert(self: &Arc<Self>, open: &mut Open) -> SlotGuard {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let slot = Arc::new(Slot {
            quiet_since: AtomicU64::new(0),
            asked: AtomicBool::new(false),
            shed: Notify::new(),
            epoch: self.epoch,
        });
        // Quiet from the start: a connection that never completes a request is the first to go.
        slot.quiet();
        open.slots.insert(id, slot.clone());
        SlotGuard {
            slots: self.clone(),
            id,
            slot,
        }
    }

    /// Waits until every connection has closed, or `limit` passes; returns those still open.
    pub async fn wait_closed(&self, limit: Duration) -> usize {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let open = self.open();
            if open == 0 {
                return 0;
            }
            if tokio::time::timeout_at(deadline, self.freed.notified())
                .await
                .is_err()
            {
                return self.open();
            }
        }
    }
}

/// The connection quiet for the longest (ties: the oldest), not yet asked to go; marks it asked.
/// A scan, but only at the limit, over at most `max` entries.
fn quietest(open: &HashMap<u64, Arc<Slot>>) -> Option<&Arc<Slot>> {
    let (_, victim) = open
        .iter()
        .filter(|(_, s)| !s.asked.load(Ordering::Relaxed))
        .filter_map(|(id, s)| match s.quiet_since.load(Ordering::Relaxed) {
            0 => None,
            since => Some(((since, *id), s)),
        })
        .min_by_key(|(key, _)| *key)?;
    victim.asked.store(true, Ordering::Relaxed);
    Some(victim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn at_the_limit_the_longest_quiet_connection_gives_its_slot_up() {
        let slots = Slots::new(3);
        let a = slots.acquire().await;
        let b = slots.acquire().await;
        let c = slots.acquire().await;
        a.slot().busy(); // a request in flight: not a candidate
        let (b_slot, c_slot) = (b.slot().clone(), c.slot().clone());
        let newcomer = tokio::spawn({
            let slots = slots.clone();
            async move { slots.acquire().await }
        });
        // b is the oldest quiet connection: it is asked to go, c is not; the newcomer is in
        // at once, b's slot counted as leaving until b has closed.
        b_slot.shed_requested().await;
        assert!(!c_slot.asked.load(Ordering::Relaxed));
        let d = newcomer.await.unwrap();
        assert_eq!(slots.open(), 4);
        drop(b);
        assert_eq!(slots.open(), 3);
        assert_eq!(slots.shed_count(), 1);
        // Full again, nothing leaving: the next newcomer asks c (the longest quiet now) to go.
        let e = slots.acquire().await;
        assert!(c_slot.asked.load(Ordering::Relaxed));
        assert_eq!(slots.shed_count(), 2);
        drop((a, c, d, e));
        assert_eq!(slots.wait_closed(Duration::from_secs(1)).await, 0);
    }

    #[tokio::test]
    async fn when_every_connection_is_busy_the_newcomer_waits_for_one_to_turn_quiet() {
        let slots = Slots::new(1);
        let a = slots.acquire().await;
        a.slot().busy();
        let newcomer = tokio::spawn({
            let slots = slots.clone();
            async move { slots.acquire().await }
        });
        tokio::task::yield_now().await;
        assert_eq!(slots.shed_count(), 0);
        assert!(!newcomer.is_finished());
        // The request ends: a is quiet now, so it is asked to go at the next look.
        a.slot().quiet();
        a.slot().shed_requested().await;
        let _b = newcomer.await.unwrap();
        drop(a);
        assert_eq!(slots.shed_count(), 1);
    }
}
