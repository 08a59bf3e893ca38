//! Events for integrators (DESIGN §6.5, docs/EVENTS.md): what happened, who
//! may hear of it, and the rules of pushing it to a webhook — where it may
//! go, how it is signed, when a failed delivery is tried again.

use std::net::IpAddr;
use std::time::Duration;

use chrono::NaiveDateTime;
use serde_json::Value;

use crate::domain::role::{wire_enum, Role};

// Written by hand rather than with `wire_enum!`: its wire strings are the
// Standard Webhooks style `resource.action`, not the variant's snake_case
// name that the macro's schema assumes.
/// What happened. Payloads carry ids and states, never personal data.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
pub enum EventType {
    /// A program moved in its lifecycle (`from`, `to`).
    #[serde(rename = "program.status_changed")]
    ProgramStatusChanged,
    /// Both parties signed a program's agreement.
    #[serde(rename = "program.signed")]
    ProgramSigned,
    /// A field visit was recorded for a target.
    #[serde(rename = "target.verified")]
    TargetVerified,
    /// A target received what its program promised.
    #[serde(rename = "target.served")]
    TargetServed,
    /// The lead agency confirmed a delivery.
    #[serde(rename = "delivery.confirmed")]
    DeliveryConfirmed,
    /// The Bupati decided an exemption letter.
    #[serde(rename = "exemption_letter.decided")]
    ExemptionLetterDecided,
    /// A realisation report moved in its lifecycle.
    #[serde(rename = "realisation_report.status_changed")]
    RealisationReportStatusChanged,
    /// Bappeda or Dinsos decided a change request.
    #[serde(rename = "change_request.decided")]
    ChangeRequestDecided,
    /// A household was flagged (a visit found it moved or its head deceased).
    #[serde(rename = "household.flagged")]
    HouseholdFlagged,
    /// A registry import finished (or failed).
    #[serde(rename = "import.finished")]
    ImportFinished,
}

impl EventType {
    /// Every type, in declaration order.
    pub const ALL: [EventType; 10] = [
        EventType::ProgramStatusChanged,
        EventType::ProgramSigned,
        EventType::TargetVerified,
        EventType::TargetServed,
        EventType::DeliveryConfirmed,
        EventType::ExemptionLetterDecided,
        EventType::RealisationReportStatusChanged,
        EventType::ChangeRequestDecided,
        EventType::HouseholdFlagged,
        EventType::ImportFinished,
    ];

    /// The wire string, as in the database and the webhook's `type`.
    pub const fn as_str(self) -> &'static str {
        match self {
            EventType::ProgramStatusChanged => "program.status_changed",
            EventType::ProgramSigned => "program.signed",
            EventType::TargetVerified => "target.verified",
            EventType::TargetServed => "target.served",
            EventType::DeliveryConfirmed => "delivery.confirmed",
            EventType::ExemptionLetterDecided => "exemption_letter.decided",
            EventType::RealisationReportStatusChanged => "realisation_report.status_changed",
            EventType::ChangeRequestDecided => "change_request.decided",
            EventType::HouseholdFlagged => "household.flagged",
            EventType::ImportFinished => "import.finished",
        }
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

wire_enum! {
    /// Where one event stands with one webhook.
    pub enum DeliveryStatus: "delivery status" {
        /// Not yet received (waiting for its turn or its next attempt).
        Pending = "pending",
        /// The receiver answered 2xx.
        Delivered = "delivered",
        /// Given up after the retry schedule.
        Failed = "failed",
    }
}

/// One event as the service writes it: its type, the parties who may see
/// it and what it says.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub event_type: EventType,
    /// The company whose program or letter it concerns (it sees the event).
    pub company_id: Option<String>,
    /// The agency leading that program (it sees the event).
    pub opd_code: Option<String>,
    pub data: Value,
}

/// Which events a reader of the feed (or a webhook's owner) hears of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventScope {
    /// Every event: the regency's own roles.
    All,
    /// A company's own programs and letters.
    Company(String),
    /// The programs an agency leads.
    Opd(String),
}

impl EventScope {
    /// The scope of a caller of the feed, or `None` for roles that hear of
    /// no events (viewer, verifier and any role without a binding).
    pub fn of(role: Role, company_id: Option<&str>, opd_code: Option<&str>) -> Option<EventScope> {
        match role {
            Role::Admin | Role::Bappeda | Role::Bupati => Some(EventScope::All),
            Role::Company => company_id.map(|c| EventScope::Company(c.to_string())),
            Role::Opd => opd_code.map(|o| EventScope::Opd(o.to_string())),
            _ => None,
        }
    }

    /// Whether an event with these parties is in scope.
    pub fn admits(&self, company_id: Option<&str>, opd_code: Option<&str>) -> bool {
        match self {
            EventScope::All => true,
            EventScope::Company(c) => company_id == Some(c.as_str()),
            EventScope::Opd(o) => opd_code == Some(o.as_str()),
        }
    }
}

/// The body a webhook receives (Standard Webhooks: `{type, timestamp, data}`,
/// plus our event id).
pub fn webhook_body(id: &str, event_type: &str, occurred_at: NaiveDateTime, data: &Value) -> Value {
    serde_json::json!({
        "id": id,
        "type": event_type,
        "occurred_at": occurred_at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "data": data,
    })
}

/// Longest webhook URL.
pub const MAX_URL: usize = 2048;

/// Why a webhook's URL is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlRefused {
    #[error("must be an absolute https URL with a host, at most 2048 characters")]
    Malformed,
    #[error("must use https (plain http only for a host RBPK_WEBHOOK_ALLOW_HOSTS names)")]
    NotHttps,
    #[error("`{0}` is a private, loopback or link-local address; only hosts RBPK_WEBHOOK_ALLOW_HOSTS names may be")]
    PrivateAddress(String),
    #[error("must not carry a user name or password")]
    Credentials,
}

/// A webhook URL's parts that the rules look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl {
    pub https: bool,
    /// The host as written (brackets removed from an IPv6 literal).
    pub host: String,
    pub port: u16,
}

impl WebhookUrl {
    /// Parses `https://host[:port]/path…` (or `http://`): the scheme, host
    /// and port, nothing more is needed to judge it.
    pub fn parse(url: &str) -> Result<WebhookUrl, UrlRefused> {
        if url.chars().count() > MAX_URL || url.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(UrlRefused::Malformed);
        }
        let (https, rest) = if let Some(r) = url.strip_prefix("https://") {
            (true, r)
        } else if let Some(r) = url.strip_prefix("http://") {
            (false, r)
        } else {
            return Err(UrlRefused::Malformed);
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        if authority.contains('@') {
            return Err(UrlRefused::Credentials);
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (h, after) = v6.split_once(']').ok_or(UrlRefused::Malformed)?;
            (h.to_string(), after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), Some(p)),
                None => (authority.to_string(), None),
            }
        };
        let port = match port {
            None => {
                if https {
                    443
                } else {
                    80
                }
            }
            Some(p) => p.parse::<u16>().map_err(|_| UrlRefused::Malformed)?,
        };
        let host_ok = !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_'));
        if !host_ok || port == 0 {
            return Err(UrlRefused::Malformed);
        }
        Ok(WebhookUrl {
            https,
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    /// Whether the allow list (`RBPK_WEBHOOK_ALLOW_HOSTS`: `host` or
    /// `host:port` entries) names this URL's host.
    pub fn allowed_by(&self, allow: &[String]) -> bool {
        allow.iter().any(|a| {
            let a = a.trim().to_ascii_lowercase();
            a == self.host || a == format!("{}:{}", self.host, self.port)
        })
    }

    /// The rules that need no name lookup: https, unless the allow list names
    /// the host; an IP literal that is private, loopback or link-local only
    /// if the allow list names it.
    pub fn check(&self, allow: &[String]) -> Result<(), UrlRefused> {
        let allowed = self.allowed_by(allow);
        if !self.https && !allowed {
            return Err(UrlRefused::NotHttps);
        }
        if let Ok(ip) = self.host.parse::<IpAddr>() {
            if !allowed && !is_public(ip) {
                return Err(UrlRefused::PrivateAddress(ip.to_string()));
            }
        }
        if self.host == "localhost" && !allowed {
            return Err(UrlRefused::PrivateAddress(self.host.clone()));
        }
        Ok(())
    }
}

/// Whether an address is on the public internet: not loopback, private,
/// link-local, shared (CGNAT), unspecified, multicast, documentation or
/// unique-local. Checked again on every delivery for the addresses the name
/// resolves to, so a name cannot later point inside the regency's network.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// Shortest and longest signing key a webhook secret may carry (Standard
/// Webhooks recommends 24–64 random bytes).
pub const SECRET_BYTES: std::ops::RangeInclusive<usize> = 24..=64;

/// The signing key of a secret written `whsec_<base64>`.
pub fn secret_key(secret: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let b64 = secret.strip_prefix("whsec_")?;
    let key = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    SECRET_BYTES.contains(&key.len()).then_some(key)
}

/// The `webhook-signature` header: `v1,` and the base64 HMAC-SHA256 of
/// `{id}.{timestamp}.{body}` under the secret's key.
pub fn sign(key: &[u8], msg_id: &str, timestamp: i64, body: &str) -> String {
    use base64::Engine;
    use hmac::{Hmac, Mac};
    let mut mac = match Hmac::<sha2::Sha256>::new_from_slice(key) {
        Ok(m) => m,
        // HMAC takes a key of any length; this arm is never taken.
        Err(_) => return String::new(),
    };
    mac.update(format!("{msg_id}.{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    let sig = mac.finalize().into_bytes();
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(sig)
    )
}

/// Waits after the 1st, 2nd, … failed attempt of one delivery: the Standard
/// Webhooks schedule, about 27 hours in all; after the last the delivery is
/// given up.
pub const RETRY_SCHEDULE: [Duration; 7] = [
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(10 * 3600),
    Duration::from_secs(10 * 3600),
];

/// Straight failures (across deliveries) after which a webhook is disabled.
pub const MAX_STRAIGHT_FAILURES: i32 = 10;

/// The wait before the next attempt after `attempts` failed ones, scaled
/// (`scale` < 1 in tests and fault scripts) and spread by `jitter` in
/// [0, 1) over ±20 %, so receivers coming back are not hit all at once;
/// `None`: give up.
pub fn retry_after(attempts: i32, scale: f64, jitter: f64) -> Option<Duration> {
    let index = usize::try_from(attempts).ok()?.checked_sub(1)?;
    let base = RETRY_SCHEDULE.get(index)?;
    let factor = scale * (0.8 + 0.4 * jitter.clamp(0.0, 1.0));
    Some(base.mul_f64(factor.max(0.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_https_to_public_hosts_unless_allowed() {
        let allow = vec!["127.0.0.1:9000".to_string(), "receiver.test".to_string()];
        let ok = WebhookUrl::parse("https://erp.example.co.id/hooks/rbpk").unwrap();
        assert_eq!(ok.port, 443);
        assert_eq!(ok.check(&[]), Ok(()));
        let plain = WebhookUrl::parse("http://erp.example.co.id/x").unwrap();
        assert_eq!(plain.check(&[]), Err(UrlRefused::NotHttps));
        for private in [
            "https://10.1.2.3/x",
            "https://127.0.0.1/x",
            "https://[::1]/x",
            "https://169.254.169.254/latest",
            "https://100.64.0.1/",
            "https://localhost/",
            "https://[::ffff:192.168.1.1]/",
        ] {
            let u = WebhookUrl::parse(private).unwrap();
            assert!(
                matches!(u.check(&[]), Err(UrlRefused::PrivateAddress(_))),
                "{private}"
            );
        }
        let local = WebhookUrl::parse("http://127.0.0.1:9000/hook").unwrap();
        assert_eq!(local.check(&allow), Ok(()));
        let other_port = WebhookUrl::parse("http://127.0.0.1:9001/hook").unwrap();
        assert!(other_port.check(&allow).is_err());
        assert_eq!(
            WebhookUrl::parse("https://user:pw@erp.example.co.id/"),
            Err(UrlRefused::Credentials)
        );
        for bad in [
            "ftp://x",
            "https://",
            "https://a b/",
            "https://h:99999/",
            "erp.example.co.id",
        ] {
            assert!(WebhookUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn signatures_follow_standard_webhooks() {
        // The example of the Standard Webhooks specification.
        let key = secret_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let sig = sign(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert_eq!(secret_key("whsec_c2hvcnQ="), None);
        assert_eq!(secret_key("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), None);
    }

    #[test]
    fn retries_follow_the_schedule_then_give_up() {
        assert_eq!(retry_after(0, 1.0, 0.5), None);
        assert_eq!(retry_after(1, 1.0, 0.5), Some(Duration::from_secs(5)));
        assert_eq!(retry_after(2, 1.0, 0.0), Some(Duration::from_secs(240)));
        assert_eq!(retry_after(7, 1.0, 0.5), Some(Duration::from_secs(36000)));
        assert_eq!(retry_after(8, 1.0, 0.5), None);
        assert_eq!(retry_after(1, 0.01, 0.5), Some(Duration::from_millis(50)));
    }

    #[test]
    fn event_types_travel_as_their_wire_strings() {
        for t in EventType::ALL {
            assert_eq!(
                serde_json::to_value(t).unwrap(),
                serde_json::json!(t.as_str())
            );
            assert_eq!(
                serde_json::from_value::<EventType>(serde_json::json!(t.as_str())).unwrap(),
                t
            );
        }
    }

    #[test]
    fn scopes_follow_roles() {
        assert_eq!(EventScope::of(Role::Viewer, None, None), None);
        let company = EventScope::of(Role::Company, Some("c1"), None).unwrap();
        assert!(company.admits(Some("c1"), Some("DINSOS")));
        assert!(!company.admits(Some("c2"), None));
        assert!(!company.admits(None, None));
        let opd = EventScope::of(Role::Opd, None, Some("DINSOS")).unwrap();
        assert!(opd.admits(Some("c2"), Some("DINSOS")));
        assert!(EventScope::All.admits(None, None));
    }
}
