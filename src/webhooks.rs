//! The webhook worker (docs/EVENTS.md): one thread per instance that claims
//! due deliveries from the outbox (`db::webhooks::claim`), posts each
//! event signed the Standard Webhooks way, and records the outcome. Every
//! instance may run one: claims are leases other instances respect, taken
//! with `SKIP LOCKED` on PostgreSQL, so no delivery goes out twice at once.
//! A delivery is at least once: an instance killed after posting and
//! before recording posts it again when its lease runs out.

use std::collections::BTreeMap;
use std::net::ToSocketAddrs;
use std::time::Duration;

use rand::Rng;

use crate::config::WebhookSettings;
use crate::db::webhooks::{self as store, Attempt, Claimed};
use crate::db::{self, Pool};
use crate::domain::event::{is_public, retry_after, secret_key, sign, webhook_body, WebhookUrl};

/// Deliveries one webhook gets in one round, in order.
const PER_WEBHOOK: i64 = 10;
/// Deliveries claimed in one round, over all webhooks.
const PER_ROUND: i64 = 200;

/// One instance's deliverer: its settings and HTTP client.
pub struct Worker {
    settings: WebhookSettings,
    agent: ureq::Agent,
}

impl Worker {
    pub fn new(settings: WebhookSettings) -> Worker {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_millis(settings.timeout_ms)))
            .http_status_as_error(false)
            // A receiver answers; it does not send us elsewhere.
            .max_redirects(0)
            .proxy(None)
            .build()
            .into();
        Worker { settings, agent }
    }

    /// Runs rounds on its own thread as long as the process lives, resting
    /// `RBPK_WEBHOOK_POLL_MS` when nothing is due.
    pub fn spawn(self, pool: Pool) -> std::io::Result<std::thread::JoinHandle<()>> {
        std::thread::Builder::new()
            .name("webhook-worker".into())
            .spawn(move || {
                let idle = Duration::from_millis(self.settings.poll_ms);
                loop {
                    match self.round(&pool) {
                        Ok(0) => std::thread::sleep(idle),
                        Ok(_) => {}
                        Err(e) => {
                            log::warn!("webhook worker: {e}");
                            std::thread::sleep(idle.max(Duration::from_secs(1)));
                        }
                    }
                }
            })
    }

    /// Claims what is due, delivers it (webhooks side by side, each in
    /// order), and returns how many deliveries it held.
    pub fn round(&self, pool: &Pool) -> Result<usize, String> {
        let lease_ms = self
            .settings
            .timeout_ms
            .saturating_mul(PER_WEBHOOK.unsigned_abs() + 1);
        let lease = chrono::Duration::milliseconds(i64::try_from(lease_ms).unwrap_or(i64::MAX / 2));
        let claimed = {
            let mut c = db::conn(pool).map_err(|e| e.to_string())?;
            db::transaction(&mut c, |c| {
                store::claim(c, PER_ROUND, PER_WEBHOOK, db::now() + lease)
            })
            .map_err(|e| e.to_string())?
        };
        let count = claimed.len();
        let mut by_hook: BTreeMap<String, Vec<Claimed>> = BTreeMap::new();
        for c in claimed {
            by_hook.entry(c.webhook_id.clone()).or_default().push(c);
        }
        std::thread::scope(|s| {
            for deliveries in by_hook.into_values() {
                s.spawn(move || deliver_in_order(pool, &self.settings, &self.agent, deliveries));
            }
        });
        Ok(count)
    }
}

/// Posts one webhook's deliveries in order; after a failure the rest are
/// released untried, so none overtakes the one that failed.
fn deliver_in_order(
    pool: &Pool,
    settings: &WebhookSettings,
    agent: &ureq::Agent,
    deliveries: Vec<Claimed>,
) {
    let mut rest = deliveries.into_iter();
    for claimed in rest.by_ref() {
        let attempt = attempt(settings, agent, &claimed);
        let failed = matches!(attempt, Attempt::Failed { .. });
        let recorded = db::conn(pool).map_err(|e| e.to_string()).and_then(|mut c| {
            db::transaction(&mut c, |c| store::record_attempt(c, &claimed, &attempt))
                .map_err(|e| e.to_string())
        });
        if let Err(e) = recorded {
            // The lease runs out and the delivery goes again: at least once.
            log::warn!(
                "webhook worker: cannot record delivery {}: {e}",
                claimed.delivery_id
            );
            return;
        }
        if failed {
            break;
        }
    }
    let released: Vec<String> = rest.map(|c| c.delivery_id).collect();
    if !released.is_empty() {
        if let Err(e) = db::conn(pool)
            .map_err(|e| e.to_string())
            .and_then(|mut c| store::release(&mut c, &released).map_err(|e| e.to_string()))
        {
            log::warn!("webhook worker: cannot release deliveries: {e}");
        }
    }
}

/// One attempt at one delivery.
fn attempt(settings: &WebhookSettings, agent: &ureq::Agent, claimed: &Claimed) -> Attempt {
    let failed = |status_code: Option<i32>, error: String| {
        let jitter = rand::thread_rng().gen::<f64>();
        let retry_at = retry_after(claimed.attempts + 1, settings.retry_scale, jitter)
            .and_then(|d| chrono::Duration::from_std(d).ok().map(|d| db::now() + d));
        Attempt::Failed {
            status_code,
            error,
            retry_at,
        }
    };
    if let Err(why) = reachable(&claimed.url, &settings.allow_hosts) {
        return failed(None, why);
    }
    let Some(key) = secret_key(&claimed.secret) else {
        return failed(None, "the webhook's secret is not a whsec_ key".into());
    };
    let data: serde_json::Value =
        serde_json::from_str(&claimed.data).unwrap_or(serde_json::Value::Null);
    let body = webhook_body(
        &claimed.event_id,
        claimed.event_type.as_str(),
        claimed.occurred_at,
        &data,
    )
    .to_string();
    let timestamp = chrono::Utc::now().timestamp();
    let signature = sign(&key, &claimed.event_id, timestamp, &body);
    let sent = agent
        .post(&claimed.url)
        .header("content-type", "application/json")
        .header("user-agent", "rbpk-webhooks/1")
        .header("webhook-id", &claimed.event_id)
        .header("webhook-timestamp", &timestamp.to_string())
        .header("webhook-signature", &signature)
        .send(body.as_bytes());
    match sent {
        Ok(resp) => {
            let code = i32::from(resp.status().as_u16());
            if resp.status().is_success() {
                Attempt::Delivered { status_code: code }
            } else {
                failed(Some(code), format!("the receiver answered {code}"))
            }
        }
        Err(e) => failed(None, e.to_string()),
    }
}

/// The URL rules again at the time of sending, with the addresses its host
/// now resolves to: a name that has come to point inside the network is
/// not posted to (unless the allow list names it).
fn reachable(url: &str, allow: &[String]) -> Result<(), String> {
    let parsed = WebhookUrl::parse(url).map_err(|e| e.to_string())?;
    parsed.check(allow).map_err(|e| e.to_string())?;
    if parsed.allowed_by(allow) {
        return Ok(());
    }
    let addrs = (parsed.host.as_str(), parsed.port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {}: {e}", parsed.host))?;
    for a in addrs {
        if !is_public(a.ip()) {
            return Err(format!("{} resolves to a private address", parsed.host));
        }
    }
    Ok(())
}
