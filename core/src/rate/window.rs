//! The admission rule of one rate group: a sliding-window log.
//!
//! The log holds the admission times of the group's admissions of the last second (and any
//! booked in the future by `reserve`). A new admission at time `s` needs `s` not before the last one, and at
//! least one second after the `limit`-th most recent one. Then for every `i`,
//! `a[i + limit] - a[i] >= 1 s`, which is exactly "no half-open one-second window holds more
//! than `limit` admissions", from the first call on. It is work-conserving: under overload a
//! group gets its whole limit, unlike a token bucket with a burst of one, which loses the
//! idle time before each late arrival.
//!
//! A limit change applies to the next admission, against the same history: raising it never
//! turns the past into a burst, lowering it delays the next admission until the window allows.

use std::collections::VecDeque;

use super::clock::Nanos;

/// The outcome of one request for a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Admitted: dial at `at` (`at == now` for `try_acquire`).
    Admitted {
        /// When the call may start.
        at: Nanos,
    },
    /// Rejected: the first slot is at `next`, later than the caller would wait.
    Rejected {
        /// The first free slot.
        next: Nanos,
    },
}

/// One group's admission log.
#[derive(Debug, Default, Clone)]
pub struct SlidingWindow {
    log: VecDeque<Nanos>,
}

impl SlidingWindow {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// The first time at or after `now` at which one more admission keeps every window of
    /// `span` nanoseconds (one second, plus the limiter's margin) at most `limit`
    /// (`limit >= 1`).
    pub fn next_slot(&self, limit: u32, span: Nanos, now: Nanos) -> Nanos {
        let limit = limit as usize;
        let mut slot = now;
        if let Some(&last) = self.log.back() {
            slot = slot.max(last);
        }
        if self.log.len() >= limit {
            slot = slot.max(self.log[self.log.len() - limit] + span);
        }
        slot
    }

    /// Book the first slot if it is at most `max_wait` after `now`.
    pub fn acquire(&mut self, limit: u32, span: Nanos, now: Nanos, max_wait: Nanos) -> Admission {
        let slot = self.next_slot(limit, span, now);
        if slot - now > max_wait {
            return Admission::Rejected { next: slot };
        }
        self.log.push_back(slot);
        // Forget what no later window can contain (older than one span before now). Every
        // admission of the last span stays, whatever the limit, so lowering and raising it
        // again within a second cannot hide admissions from the next decision.
        while self.log.front().is_some_and(|&t| t + span <= now) {
            self.log.pop_front();
        }
        Admission::Admitted { at: slot }
    }

    /// Put back a recorded admission (from a shared backend's storage), in time order.
    pub fn restore(&mut self, at: Nanos) {
        if self.log.back().is_none_or(|&last| last <= at) {
            self.log.push_back(at);
        }
    }

    /// The latest admission held.
    pub fn last(&self) -> Option<Nanos> {
        self.log.back().copied()
    }

    /// Entries held (for memory figures).
    pub fn len(&self) -> usize {
        self.log.len()
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.log.is_empty()
    }

    /// Bytes held on the heap.
    pub fn heap_bytes(&self) -> usize {
        self.log.capacity() * std::mem::size_of::<Nanos>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rate::clock::SECOND;

    #[test]
    fn first_second_admits_exactly_the_limit() {
        let mut w = SlidingWindow::new();
        let admitted = (0..100)
            .filter(|_| matches!(w.acquire(5, SECOND, SECOND, 0), Admission::Admitted { .. }))
            .count();
        assert_eq!(admitted, 5);
        assert_eq!(
            w.acquire(5, SECOND, 2 * SECOND - 1, 0),
            Admission::Rejected { next: 2 * SECOND }
        );
        assert_eq!(
            w.acquire(5, SECOND, 2 * SECOND, 0),
            Admission::Admitted { at: 2 * SECOND }
        );
    }

    #[test]
    fn reserve_paces_into_the_future() {
        let mut w = SlidingWindow::new();
        let at: Vec<Nanos> = (0..12)
            .map(|_| match w.acquire(4, SECOND, SECOND, 10 * SECOND) {
                Admission::Admitted { at } => at,
                r => panic!("{r:?}"),
            })
            .collect();
        assert_eq!(&at[..4], &[SECOND; 4]);
        assert_eq!(&at[4..8], &[2 * SECOND; 4]);
        assert_eq!(&at[8..], &[3 * SECOND; 4]);
    }

    #[test]
    fn lowering_then_raising_within_a_second_hides_nothing() {
        let mut w = SlidingWindow::new();
        for _ in 0..10 {
            w.acquire(10, SECOND, SECOND, 0);
        }
        assert!(matches!(
            w.acquire(2, SECOND, SECOND + 1, 0),
            Admission::Rejected { .. }
        ));
        let more = (0..10)
            .filter(|_| {
                matches!(
                    w.acquire(10, SECOND, SECOND + 2, 0),
                    Admission::Admitted { .. }
                )
            })
            .count();
        assert_eq!(more, 0, "the window already holds 10");
    }

    #[test]
    fn raising_the_limit_does_not_release_a_burst() {
        let mut w = SlidingWindow::new();
        for _ in 0..2 {
            w.acquire(2, SECOND, SECOND, 0);
        }
        // Raised to 3: one more in this window, not three.
        let more = (0..10)
            .filter(|_| {
                matches!(
                    w.acquire(3, SECOND, SECOND + 10, 0),
                    Admission::Admitted { .. }
                )
            })
            .count();
        assert_eq!(more, 1);
    }
}
