//! Throttling of failed logins, so a password cannot be guessed at speed and
//! an attacker cannot lock anyone else out.
//!
//! Two counts, both in this instance's memory (with several instances each
//! throttles on its own, which still bounds the guessing rate by their number):
//! - per (username, client): after `free` failures each further attempt of
//!   that pair waits, the wait doubling with each failure up to
//!   [`MAX_DELAY`]. A failure from one client never delays another client, so
//!   guessing the Bupati's password from elsewhere cannot lock the Bupati out.
//! - per client: at most `ceiling` failures over all usernames per
//!   [`CLIENT_WINDOW`], so one client cannot spray many usernames.
//!
//! Which address is the client is decided by the caller (`api::auth`): the
//! peer, or what a trusted proxy says in `X-Forwarded-For`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The first wait after the free failures; each further failure doubles it.
const BASE_DELAY: Duration = Duration::from_secs(2);
/// The longest wait between two attempts of one (username, client).
pub const MAX_DELAY: Duration = Duration::from_secs(15 * 60);
/// A pair's failures are forgotten this long after its last one.
const PAIR_MEMORY: Duration = Duration::from_secs(60 * 60);
/// The window of the per-client ceiling.
pub const CLIENT_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Entries kept per map before old ones are dropped.
const MAX_ENTRIES: usize = 50_000;

struct Pair {
    failures: u32,
    last: Instant,
}

/// Failed attempts per (username, client) and per client.
pub struct LoginThrottle {
    free: u32,
    ceiling: u32,
    pairs: Mutex<HashMap<(String, String), Pair>>,
    clients: Mutex<HashMap<String, (Instant, u32)>>,
}

fn remaining(since: Instant, wait: Duration) -> Option<u64> {
    let elapsed = since.elapsed();
    (elapsed < wait).then(|| (wait - elapsed).as_secs().max(1))
}

impl LoginThrottle {
    /// `free` failures per (username, client) before delays; `ceiling`
    /// failures per client per [`CLIENT_WINDOW`].
    pub fn new(free: u32, ceiling: u32) -> Self {
        LoginThrottle {
            free: free.max(1),
            ceiling: ceiling.max(1),
            pairs: Mutex::new(HashMap::new()),
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// Seconds `client` must wait before trying `username` again, if any.
    pub fn retry_after(&self, username: &str, client: &str) -> Option<u64> {
        let pair_wait = {
            let pairs = self.pairs.lock().unwrap_or_else(|p| p.into_inner());
            pairs
                .get(&(username.to_string(), client.to_string()))
                .filter(|p| p.failures >= self.free)
                .and_then(|p| {
                    let doublings = (p.failures - self.free).min(20);
                    let wait = BASE_DELAY.saturating_mul(1 << doublings).min(MAX_DELAY);
                    remaining(p.last, wait)
                })
        };
        let client_wait = {
            let clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
            clients
                .get(client)
                .filter(|(_, count)| *count >= self.ceiling)
                .and_then(|(start, _)| remaining(*start, CLIENT_WINDOW))
        };
        pair_wait.max(client_wait)
    }

    /// Records one failed attempt of `client` at `username`.
    pub fn fail(&self, username: &str, client: &str) {
        let now = Instant::now();
        {
            let mut pairs = self.pairs.lock().unwrap_or_else(|p| p.into_inner());
            if pairs.len() >= MAX_ENTRIES {
                pairs.retain(|_, p| p.last.elapsed() < PAIR_MEMORY);
            }
            let pair = pairs
                .entry((username.to_string(), client.to_string()))
                .or_insert(Pair {
                    failures: 0,
                    last: now,
                });
            if pair.last.elapsed() >= PAIR_MEMORY {
                pair.failures = 0;
            }
            pair.failures = pair.failures.saturating_add(1);
            pair.last = now;
        }
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if clients.len() >= MAX_ENTRIES {
            clients.retain(|_, (start, _)| start.elapsed() < CLIENT_WINDOW);
        }
        let entry = clients.entry(client.to_string()).or_insert((now, 0));
        if entry.0.elapsed() >= CLIENT_WINDOW {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
    }

    /// Forgets the failures of `client` at `username` after a successful login.
    pub fn succeed(&self, username: &str, client: &str) {
        let mut pairs = self.pairs.lock().unwrap_or_else(|p| p.into_inner());
        pairs.remove(&(username.to_string(), client.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_past_the_free_ones_delay_only_that_client_at_that_username() {
        let t = LoginThrottle::new(3, 100);
        for _ in 0..3 {
            assert_eq!(t.retry_after("bupati", "a"), None);
            t.fail("bupati", "a");
        }
        assert!(t.retry_after("bupati", "a").is_some_and(|s| s >= 1));
        assert_eq!(t.retry_after("bupati", "b"), None);
        assert_eq!(t.retry_after("admin", "a"), None);
        t.succeed("bupati", "a");
        assert_eq!(t.retry_after("bupati", "a"), None);
    }

    #[test]
    fn the_wait_doubles_with_each_further_failure_up_to_the_maximum() {
        let t = LoginThrottle::new(1, 1000);
        t.fail("u", "a");
        let first = t.retry_after("u", "a").unwrap_or(0);
        t.fail("u", "a");
        t.fail("u", "a");
        let third = t.retry_after("u", "a").unwrap_or(0);
        assert!(first <= 2 && third >= 7, "{first} then {third}");
        for _ in 0..40 {
            t.fail("u", "a");
        }
        assert!(t.retry_after("u", "a").unwrap_or(0) <= MAX_DELAY.as_secs());
    }

    #[test]
    fn one_client_spraying_usernames_meets_its_ceiling() {
        let t = LoginThrottle::new(5, 10);
        for i in 0..10 {
            t.fail(&format!("user{i}"), "a");
        }
        assert!(t.retry_after("someone-else", "a").is_some());
        assert_eq!(t.retry_after("someone-else", "b"), None);
    }
}
