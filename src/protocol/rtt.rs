//! Round trips of pings: each pong tied to the ping it answers (RFC 6455
//! §5.5.3: a pong carries the payload of the ping it answers), with the
//! time between them, and the figures of a whole connection.

use std::collections::VecDeque;
use std::time::Duration;

use super::Role;

/// The most pings waiting for their pong that are remembered: past it the
/// oldest is forgotten, so a peer that never answers cannot grow memory.
pub const MAX_WAITING: usize = 64;

/// The round trips of one connection's pings, both ways.
#[derive(Debug, Default, Clone)]
pub struct RoundTrips {
    waiting: VecDeque<(Role, Vec<u8>, Duration)>,
    count: u64,
    total: Duration,
    min: Duration,
    max: Duration,
}

/// A connection's round trips in figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Figures {
    /// Pongs tied to their ping.
    pub count: u64,
    /// The shortest round trip.
    pub min: Duration,
    /// The mean.
    pub avg: Duration,
    /// The longest.
    pub max: Duration,
}

impl RoundTrips {
    /// A ping sent by `from` at `at` (from any fixed origin).
    pub fn ping(&mut self, from: Role, payload: &[u8], at: Duration) {
        if self.waiting.len() == MAX_WAITING {
            self.waiting.pop_front();
        }
        self.waiting.push_back((from, payload.to_vec(), at));
    }

    /// A pong sent by `from` at `at`: the round trip of the oldest ping
    /// from the other side with the same payload, when there is one (an
    /// unsolicited pong, a heartbeat, answers none).
    pub fn pong(&mut self, from: Role, payload: &[u8], at: Duration) -> Option<Duration> {
        let i = self
            .waiting
            .iter()
            .position(|(by, p, _)| *by != from && p == payload)?;
        let (_, _, sent) = self.waiting.remove(i)?;
        let trip = at.saturating_sub(sent);
        if self.count == 0 || trip < self.min {
            self.min = trip;
        }
        self.max = self.max.max(trip);
        self.total += trip;
        self.count += 1;
        Some(trip)
    }

    /// The figures so far; None before the first pong tied to its ping.
    pub fn figures(&self) -> Option<Figures> {
        (self.count > 0).then(|| Figures {
            count: self.count,
            min: self.min,
            avg: self.total / u32::try_from(self.count).unwrap_or(u32::MAX),
            max: self.max,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn pongs_are_tied_to_the_ping_they_echo() {
        let mut r = RoundTrips::default();
        assert_eq!(r.figures(), None);
        r.ping(Role::Client, b"a", ms(10));
        r.ping(Role::Client, b"b", ms(20));
        // An unsolicited pong, and one from the side that pinged.
        assert_eq!(r.pong(Role::Server, b"zz", ms(25)), None);
        assert_eq!(r.pong(Role::Client, b"a", ms(25)), None);
        assert_eq!(r.pong(Role::Server, b"b", ms(23)), Some(ms(3)));
        assert_eq!(r.pong(Role::Server, b"a", ms(40)), Some(ms(30)));
        // Answered once only.
        assert_eq!(r.pong(Role::Server, b"a", ms(41)), None);
        assert_eq!(
            r.figures(),
            Some(Figures {
                count: 2,
                min: ms(3),
                avg: Duration::from_micros(16_500),
                max: ms(30),
            })
        );
    }

    #[test]
    fn a_shorter_trip_after_a_longer_one_is_the_new_minimum() {
        let mut r = RoundTrips::default();
        r.ping(Role::Server, b"1", ms(0));
        r.ping(Role::Server, b"2", ms(0));
        assert_eq!(r.pong(Role::Client, b"1", ms(30)), Some(ms(30)));
        assert_eq!(r.pong(Role::Client, b"2", ms(40)), Some(ms(40)));
        r.ping(Role::Server, b"3", ms(50));
        assert_eq!(r.pong(Role::Client, b"3", ms(52)), Some(ms(2)));
        let f = r.figures().unwrap();
        assert_eq!((f.min, f.max, f.count), (ms(2), ms(40), 3));
    }

    #[test]
    fn pings_never_answered_are_forgotten_past_the_bound() {
        let mut r = RoundTrips::default();
        for i in 0..(MAX_WAITING as u64 + 10) {
            r.ping(Role::Server, &i.to_be_bytes(), ms(i));
        }
        assert_eq!(r.waiting.len(), MAX_WAITING);
        assert_eq!(r.pong(Role::Client, &0u64.to_be_bytes(), ms(100)), None);
        let last = MAX_WAITING as u64 + 9;
        assert_eq!(
            r.pong(Role::Client, &last.to_be_bytes(), ms(100)),
            Some(ms(100 - last))
        );
    }
}
