//! Throttling of failed logins per username and per client address, so a
//! password cannot be guessed at speed. Counts live in this instance's memory:
//! with several instances each one throttles on its own, which still bounds
//! the guessing rate by the number of instances.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);

/// Failed attempts per key within a sliding one-minute window.
pub struct LoginThrottle {
    limit: u32,
    failures: Mutex<HashMap<String, (Instant, u32)>>,
}

impl LoginThrottle {
    pub fn new(limit_per_minute: u32) -> Self {
        LoginThrottle {
            limit: limit_per_minute.max(1),
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Seconds to wait if any of `keys` is over the limit.
    pub fn retry_after(&self, keys: &[String]) -> Option<u64> {
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        keys.iter()
            .filter_map(|k| map.get(k))
            .filter(|(start, count)| *count >= self.limit && now.duration_since(*start) < WINDOW)
            .map(|(start, _)| (WINDOW - now.duration_since(*start)).as_secs().max(1))
            .max()
    }

    /// Records one failed attempt for each key.
    pub fn fail(&self, keys: &[String]) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        // Keep the map from growing without bound under a spray of usernames.
        if map.len() > 10_000 {
            map.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        for k in keys {
            let entry = map.entry(k.clone()).or_insert((now, 0));
            if now.duration_since(entry.0) >= WINDOW {
                *entry = (now, 0);
            }
            entry.1 += 1;
        }
    }

    /// Forgets the failures of a username after a successful login.
    pub fn succeed(&self, key: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_th_failure_blocks_further_attempts() {
        let t = LoginThrottle::new(3);
        let keys = vec!["user:a".to_string()];
        t.fail(&keys);
        t.fail(&keys);
        assert_eq!(t.retry_after(&keys), None);
        t.fail(&keys);
        assert!(t.retry_after(&keys).unwrap() >= 1);
        t.succeed("user:a");
        assert_eq!(t.retry_after(&keys), None);
    }
}
