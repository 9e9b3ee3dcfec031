//! Password guesses are limited twice, in sliding one-minute windows: per client address (every
//! attempt counts), and across all addresses (failed attempts only), so an attacker with many
//! addresses still gets only a few guesses a minute. Logins and password changes share both.

use std::{
    collections::{HashMap, VecDeque},
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

const WINDOW: Duration = Duration::from_secs(60);

pub struct LoginRateLimiter {
    per_client: usize,
    failures_per_minute: usize,
    state: Mutex<Windows>,
}

#[derive(Default)]
struct Windows {
    /// Every attempt per client address.
    clients: HashMap<IpAddr, VecDeque<Instant>>,
    /// Failed attempts from anyone, and attempts still being checked (see [`Attempt`]).
    failures: VecDeque<Instant>,
}

/// Why an attempt was refused: the seconds until one is allowed again (at least 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// This client address used its attempts.
    Client(u64),
    /// Too many failed attempts from all addresses together.
    Everyone(u64),
}

impl Refused {
    pub fn retry_after(self) -> u64 {
        match self {
            Self::Client(secs) | Self::Everyone(secs) => secs,
        }
    }
}

/// An attempt that was let through. It holds a place in the global failure budget from the start,
/// so concurrent guesses cannot all pass the check before any of them has failed; only
/// [`Attempt::succeeded`] gives the place back. Dropped without it, it counts as a failure.
#[must_use = "an attempt counts as failed unless `succeeded` is called"]
pub struct Attempt<'a> {
    limiter: &'a LoginRateLimiter,
    at: Instant,
}

impl Attempt<'_> {
    /// The password was right (or not checked at all): the attempt leaves the failure budget.
    pub fn succeeded(self) {
        let mut state = self.limiter.lock();
        if let Some(i) = state.failures.iter().rposition(|t| *t == self.at) {
            state.failures.remove(i);
        }
    }
}

impl LoginRateLimiter {
    /// `per_client` attempts per address, `failures_per_minute` failed ones from everyone
    /// (each at least 1).
    pub fn new(per_client: u32, failures_per_minute: u32) -> Self {
        Self {
            per_client: per_client.max(1) as usize,
            failures_per_minute: failures_per_minute.max(1) as usize,
            state: Mutex::new(Windows::default()),
        }
    }

    /// Admits an attempt from `client`, before the password is hashed.
    pub fn check(&self, client: IpAddr) -> Result<Attempt<'_>, Refused> {
        self.check_at(client, Instant::now())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Windows> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn check_at(&self, client: IpAddr, now: Instant) -> Result<Attempt<'_>, Refused> {
        let wait = |oldest: Instant| {
            WINDOW
                .saturating_sub(now.saturating_duration_since(oldest))
                .as_secs()
                .max(1)
        };
        let recent = |t: &Instant| now.saturating_duration_since(*t) < WINDOW;
        let mut state = self.lock();
        // Forget idle clients so the table cannot grow without bound.
        state
            .clients
            .retain(|_, times| times.back().is_some_and(recent));
        while state.failures.front().is_some_and(|t| !recent(t)) {
            state.failures.pop_front();
        }
        if state.failures.len() >= self.failures_per_minute {
            return Err(Refused::Everyone(wait(state.failures[0])));
        }
        let times = state.clients.entry(client).or_default();
        while times.front().is_some_and(|t| !recent(t)) {
            times.pop_front();
        }
        if times.len() >= self.per_client {
            return Err(Refused::Client(wait(times[0])));
        }
        times.push_back(now);
        state.failures.push_back(now);
        if state.failures.len() == self.failures_per_minute {
            tracing::warn!(
                "{} failed or pending password attempts in the last minute from all addresses: \
                 further attempts wait (MILKCRATE_LOGIN_FAILURES_PER_MINUTE)",
                self.failures_per_minute
            );
        }
        Ok(Attempt {
            limiter: self,
            at: now,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(n: u32) -> IpAddr {
        IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + n))
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn the_sixth_attempt_in_a_minute_waits() {
        let limiter = LoginRateLimiter::new(5, 1000);
        let start = Instant::now();
        for i in 0..5 {
            limiter
                .check_at(ip(1), start + secs(i))
                .unwrap()
                .succeeded();
        }
        let refused = limiter.check_at(ip(1), start + secs(10)).err();
        assert_eq!(refused, Some(Refused::Client(50)), "even after successes");
        // Other clients are not affected.
        assert!(limiter.check_at(ip(2), start + secs(10)).is_ok());
        // Once the window passes, attempts are allowed again.
        assert!(limiter.check_at(ip(1), start + secs(61)).is_ok());
    }

    #[test]
    fn failures_from_many_addresses_share_one_budget() {
        let limiter = LoginRateLimiter::new(5, 30);
        let start = Instant::now();
        // One failed guess from each of 30 addresses (dropped attempts are failures).
        for n in 0..30 {
            drop(limiter.check_at(ip(n), start + secs(1)).unwrap());
        }
        // The 31st address is refused although it never tried, until the first failures age out.
        let refused = limiter.check_at(ip(99), start + secs(20)).err();
        assert_eq!(refused, Some(Refused::Everyone(41)));
        assert_eq!(refused.unwrap().retry_after(), 41);
        assert!(limiter.check_at(ip(99), start + secs(61)).is_ok());
    }

    #[test]
    fn successes_do_not_use_the_global_budget() {
        let limiter = LoginRateLimiter::new(1000, 3);
        let start = Instant::now();
        for i in 0..100 {
            limiter.check_at(ip(i), start).unwrap().succeeded();
        }
        for i in 0..3 {
            drop(limiter.check_at(ip(i), start + secs(1)).unwrap());
        }
        assert!(matches!(
            limiter.check_at(ip(7), start + secs(2)),
            Err(Refused::Everyone(_))
        ));
    }

    #[test]
    fn attempts_in_flight_hold_their_place() {
        // Concurrent guesses: each is admitted before any has been checked, so the budget must
        // count them while they wait for the hasher.
        let limiter = LoginRateLimiter::new(1000, 2);
        let now = Instant::now();
        let first = limiter.check_at(ip(1), now).unwrap();
        let second = limiter.check_at(ip(2), now).unwrap();
        assert!(matches!(
            limiter.check_at(ip(3), now),
            Err(Refused::Everyone(60))
        ));
        // One turns out right: its place is free again; the other keeps its place as a failure.
        first.succeeded();
        let third = limiter.check_at(ip(3), now).unwrap();
        drop(second);
        drop(third);
        assert!(limiter.check_at(ip(4), now).is_err());
    }

    #[test]
    fn refused_attempts_are_not_recorded() {
        let limiter = LoginRateLimiter::new(2, 1);
        let start = Instant::now();
        drop(limiter.check_at(ip(1), start).unwrap());
        // Refused by the global budget: ip(2)'s own window stays empty.
        assert!(limiter.check_at(ip(2), start + secs(1)).is_err());
        assert!(limiter.check_at(ip(2), start + secs(30)).is_err());
        let later = start + secs(61);
        drop(limiter.check_at(ip(2), later).unwrap());
        assert_eq!(
            limiter.lock().clients.get(&ip(2)).map(VecDeque::len),
            Some(1)
        );
    }

    #[test]
    fn idle_clients_are_forgotten() {
        let limiter = LoginRateLimiter::new(5, 1000);
        let start = Instant::now();
        for n in 0..50 {
            limiter.check_at(ip(n), start).unwrap().succeeded();
        }
        limiter
            .check_at(ip(1), start + secs(61))
            .unwrap()
            .succeeded();
        let state = limiter.lock();
        assert_eq!(state.clients.len(), 1);
        assert!(state.failures.is_empty());
    }

    #[test]
    fn zero_limits_count_as_one() {
        let limiter = LoginRateLimiter::new(0, 0);
        let now = Instant::now();
        drop(limiter.check_at(ip(1), now).unwrap());
        assert!(limiter.check_at(ip(2), now).is_err());
    }
}
