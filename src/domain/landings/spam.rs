//! Spam defences of the public forms that need no third party: a honeypot field that people
//! never see, a minimum fill time proven by a signed timestamp put in the form when it was
//! served, a per-IP rate limit (in `intake`) and size limits on what is sent.

use chrono::{DateTime, Duration, Utc};

use crate::util::{constant_time_eq, derive_key, hmac_token};

/// The honeypot: a text field hidden from people (off-screen, `tabindex=-1`); bots fill it.
pub const HONEYPOT_FIELD: &str = "sitio_web";
/// The signed time the form was served.
pub const STARTED_FIELD: &str = "inicio";
/// Faster than this, nobody has read and typed the form.
pub const MIN_FILL: Duration = Duration::seconds(3);
/// A form older than this is stale (the visitor reloads it; nothing is lost but a retype).
pub const MAX_AGE: Duration = Duration::days(1);
/// Longest value of any field, and most fields, a submission can have before it is taken for
/// a bot. Far above what the form accepts (see `form::MAX_LONG_TEXT`): a person who pastes a
/// long text gets the limit next to the field with their text kept, not a refusal.
pub const MAX_VALUE_BYTES: usize = 32 * 1024;
pub const MAX_FIELDS_SENT: usize = 40;

/// The key that signs form timestamps, derived from the application secret.
pub fn stamp_key(secret: &[u8]) -> Vec<u8> {
    derive_key(secret, "landing-form-started")
}

/// `"<unix seconds>.<signature>"`: when the form was served, unforgeable by the visitor.
pub fn stamp(key: &[u8], at: DateTime<Utc>) -> String {
    let seconds = at.timestamp().to_string();
    format!("{seconds}.{}", hmac_token(key, seconds.as_bytes()))
}

/// Why a submission looks automated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BotSign {
    Honeypot,
    TooFast,
    BadStamp,
    TooLarge,
}

impl BotSign {
    /// Signs a person can also give (a quick fill, a form left open for days, an old tab):
    /// they get the form again with what they typed and a fresh start time. The honeypot and
    /// absurd sizes are only ever bots: they get the refusal page.
    pub fn person_may_retry(self) -> bool {
        matches!(self, Self::TooFast | Self::BadStamp)
    }
}

/// Checks the honeypot, the signed time and the sizes of a submission.
pub fn check(key: &[u8], fields: &[(String, String)], now: DateTime<Utc>) -> Result<(), BotSign> {
    if fields.len() > MAX_FIELDS_SENT || fields.iter().any(|(_, v)| v.len() > MAX_VALUE_BYTES) {
        return Err(BotSign::TooLarge);
    }
    let value = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    };
    if !value(HONEYPOT_FIELD).is_empty() {
        return Err(BotSign::Honeypot);
    }
    let (seconds, signature) = value(STARTED_FIELD)
        .split_once('.')
        .ok_or(BotSign::BadStamp)?;
    let expected = hmac_token(key, seconds.as_bytes());
    if !constant_time_eq(expected.as_bytes(), signature.as_bytes()) {
        return Err(BotSign::BadStamp);
    }
    let served = seconds
        .parse::<i64>()
        .ok()
        .and_then(|s| DateTime::from_timestamp(s, 0))
        .ok_or(BotSign::BadStamp)?;
    let elapsed = now - served;
    if elapsed < MIN_FILL {
        return Err(BotSign::TooFast);
    }
    if elapsed > MAX_AGE {
        return Err(BotSign::BadStamp);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(started: &str, honeypot: &str) -> Vec<(String, String)> {
        vec![
            (STARTED_FIELD.into(), started.into()),
            (HONEYPOT_FIELD.into(), honeypot.into()),
        ]
    }

    #[test]
    fn people_pass_and_bots_do_not() {
        let key = stamp_key(b"secret");
        let now = Utc::now();
        let served = stamp(&key, now - Duration::seconds(20));
        assert_eq!(check(&key, &form(&served, ""), now), Ok(()));
        assert_eq!(
            check(&key, &form(&served, "http://spam"), now),
            Err(BotSign::Honeypot)
        );
        let quick = stamp(&key, now - Duration::seconds(1));
        assert_eq!(check(&key, &form(&quick, ""), now), Err(BotSign::TooFast));
        let forged = format!("{}.abc", (now - Duration::seconds(60)).timestamp());
        assert_eq!(check(&key, &form(&forged, ""), now), Err(BotSign::BadStamp));
        let mut big = form(&served, "");
        big.push(("x".into(), "a".repeat(MAX_VALUE_BYTES + 1)));
        assert_eq!(check(&key, &big, now), Err(BotSign::TooLarge));
    }
}
