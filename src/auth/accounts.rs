//! Tokens follow the account: a token is honoured only while the account it
//! names still exists, is active, and has the role and binding the token
//! claims, and — for tokens this service issued — while the account's
//! `token_version` is the one the token was issued under. A password change,
//! disable, role or binding change bumps that version (`db::users::update`).
//!
//! Accounts are read once per few seconds per instance ([`AccountCache`]), so
//! the check costs a map lookup on most requests, and a change reaches every
//! instance within the cache's lifetime (this instance forgets at once).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::db::users::UserRow;
use crate::domain::role::Role;
use crate::error::ApiError;

use super::Claims;

/// What a request is checked against: the account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountState {
    pub id: String,
    pub role: Role,
    pub company_id: Option<String>,
    pub opd_code: Option<String>,
    pub region_code: Option<String>,
    pub active: bool,
    pub token_version: i32,
}

impl From<UserRow> for AccountState {
    fn from(u: UserRow) -> AccountState {
        AccountState {
            id: u.id,
            role: u.role,
            company_id: u.company_id,
            opd_code: u.opd_code,
            region_code: u.region_code,
            active: u.active,
            token_version: u.token_version,
        }
    }
}

/// Who signed a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signer {
    /// This service (HS256): the account must exist and carry the token's version.
    Us,
    /// The configured identity provider, which manages its own users: a local
    /// account of the same name, when there is one, must still agree.
    IdentityProvider,
}

/// Whether `claims` may act for `account` (`None`: no account of that name).
pub fn check(
    claims: &Claims,
    account: Option<&AccountState>,
    signer: Signer,
) -> Result<(), ApiError> {
    let stale = |detail: &str| ApiError::unauthorized("stale_token", detail.to_string());
    let Some(account) = account else {
        return match signer {
            Signer::Us => Err(stale("the token's account no longer exists")),
            Signer::IdentityProvider => Ok(()),
        };
    };
    if !account.active {
        return Err(stale("the token's account is disabled"));
    }
    if account.role != claims.role
        || account.company_id != claims.company_id
        || account.opd_code != claims.opd_code
        || account.region_code != claims.region_code
    {
        return Err(stale(
            "the token's role or binding no longer matches the account; log in again",
        ));
    }
    if signer == Signer::Us
        && (claims.aid.as_deref() != Some(account.id.as_str())
            || claims.ver != Some(account.token_version))
    {
        return Err(stale(
            "the account's password or access changed since the token was issued; log in again",
        ));
    }
    Ok(())
}

/// The accounts read recently, by username, with when they were read.
pub struct AccountCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, (Instant, Option<AccountState>)>>,
}

/// Entries kept at most; past it, expired ones are dropped, then all.
const MAX_ENTRIES: usize = 10_000;

impl AccountCache {
    pub fn new(ttl: Duration) -> AccountCache {
        AccountCache {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The cached account of `username` if read within the lifetime
    /// (`Some(None)`: known not to exist).
    pub fn get(&self, username: &str) -> Option<Option<AccountState>> {
        let map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        map.get(username)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, state)| state.clone())
    }

    pub fn put(&self, username: &str, state: Option<AccountState>) {
        if self.ttl.is_zero() {
            return;
        }
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_ENTRIES {
            map.retain(|_, (at, _)| at.elapsed() < self.ttl);
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
        }
        map.insert(username.to_string(), (Instant::now(), state));
    }

    /// Drops `username`, after a change to its account made by this instance.
    pub fn forget(&self, username: &str) {
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(username);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(role: Role, ver: Option<i32>) -> Claims {
        Claims {
            sub: "u".into(),
            role,
            exp: 2,
            iat: 1,
            nbf: None,
            iss: "rbpk".into(),
            aud: "rbpk-api".into(),
            company_id: None,
            opd_code: None,
            region_code: None,
            aid: Some("id".into()),
            ver,
        }
    }

    fn account(role: &str, active: bool, version: i32) -> AccountState {
        AccountState {
            id: "id".into(),
            role: role.parse().unwrap(),
            company_id: None,
            opd_code: None,
            region_code: None,
            active,
            token_version: version,
        }
    }

    #[test]
    fn our_tokens_need_the_account_its_role_and_its_version() {
        let c = claims(Role::Admin, Some(1));
        assert!(check(&c, Some(&account("admin", true, 1)), Signer::Us).is_ok());
        assert!(check(&c, None, Signer::Us).is_err());
        assert!(check(&c, Some(&account("admin", false, 1)), Signer::Us).is_err());
        assert!(check(&c, Some(&account("viewer", true, 1)), Signer::Us).is_err());
        assert!(check(&c, Some(&account("admin", true, 2)), Signer::Us).is_err());
        assert!(check(
            &claims(Role::Admin, None),
            Some(&account("admin", true, 1)),
            Signer::Us
        )
        .is_err());
        let mut operator = claims(Role::Operator, Some(1));
        operator.region_code = Some("64.02.06.1001".into());
        let mut moved = account("operator", true, 1);
        moved.region_code = Some("64.02.06.1002".into());
        assert!(check(&operator, Some(&moved), Signer::Us).is_err());
        moved.region_code = operator.region_code.clone();
        assert!(check(&operator, Some(&moved), Signer::Us).is_ok());
        let mut recreated = account("admin", true, 1);
        recreated.id = "another-id".into();
        assert!(check(&c, Some(&recreated), Signer::Us).is_err());
    }

    #[test]
    fn provider_tokens_need_a_local_account_only_to_agree_with_it() {
        let c = claims(Role::Bupati, None);
        assert!(check(&c, None, Signer::IdentityProvider).is_ok());
        assert!(check(
            &c,
            Some(&account("bupati", true, 7)),
            Signer::IdentityProvider
        )
        .is_ok());
        assert!(check(
            &c,
            Some(&account("bupati", false, 7)),
            Signer::IdentityProvider
        )
        .is_err());
        assert!(check(
            &c,
            Some(&account("viewer", true, 7)),
            Signer::IdentityProvider
        )
        .is_err());
    }

    #[test]
    fn the_cache_forgets_on_request_and_after_its_lifetime() {
        let cache = AccountCache::new(Duration::from_secs(60));
        cache.put("a", Some(account("admin", true, 1)));
        assert!(cache.get("a").is_some());
        cache.forget("a");
        assert!(cache.get("a").is_none());
        let off = AccountCache::new(Duration::ZERO);
        off.put("a", None);
        assert!(off.get("a").is_none());
    }
}
