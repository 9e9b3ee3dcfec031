use std::{
    collections::HashMap,
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

/// A sliding one-minute window of login attempts per client address.
pub struct LoginRateLimiter {
    per_minute: usize,
    attempts: Mutex<HashMap<IpAddr, Vec<Instant>>>,
}

const WINDOW: Duration = Duration::from_secs(60);

impl LoginRateLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute: per_minute.max(1) as usize,
            attempts: Mutex::new(HashMap::new()),
        }
    }

    /// Records an attempt. `Err(seconds)` when over the limit: how long until one is allowed.
    pub fn check(&self, client: IpAddr) -> Result<(), u64> {
        self.check_at(client, Instant::now())
    }

    fn check_at(&self, client: IpAddr, now: Instant) -> Result<(), u64> {
        let mut map = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        // Forget idle clients so the map cannot grow without bound.
        map.retain(|_, times| {
            times
                .last()
                .is_some_and(|t| now.duration_since(*t) < WINDOW)
        });
        let times = map.entry(client).or_default();
        times.retain(|t| now.duration_since(*t) < WINDOW);
        if times.len() >= self.per_minute {
            let oldest = times[0];
            let wait = WINDOW.saturating_sub(now.duration_since(oldest));
            return Err(wait.as_secs().max(1));
        }
        times.push(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sixth_attempt_in_a_minute_waits() {
        let limiter = LoginRateLimiter::new(5);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let other: IpAddr = "10.0.0.2".parse().unwrap();
        let start = Instant::now();
        for i in 0..5 {
            assert!(limiter.check_at(ip, start + Duration::from_secs(i)).is_ok());
        }
        let wait = limiter
            .check_at(ip, start + Duration::from_secs(10))
            .unwrap_err();
        assert_eq!(wait, 50);
        // Other clients are not affected.
        assert!(
            limiter
                .check_at(other, start + Duration::from_secs(10))
                .is_ok()
        );
        // Once the window passes, attempts are allowed again.
        assert!(
            limiter
                .check_at(ip, start + Duration::from_secs(61))
                .is_ok()
        );
    }
}
