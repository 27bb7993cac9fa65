//! Withdrawing consent to commercial e-mail from a link in the e-mail itself (LSSI art. 21):
//! the signed token of the link, the link, whether a customer may receive commercial e-mail,
//! and the withdrawal. No HTTP: the public page is `site::unsubscribe`, and the automation
//! engine builds the link and the `List-Unsubscribe` header with [`link`].
//!
//! The token is `"<customer id>.<signature>"`, the signature an HMAC-SHA256 of
//! `"unsubscribe:<customer id>"` under a key derived from the application's secret
//! ([`derive_key`]): it never expires (an old e-mail must still unsubscribe) and cannot be made
//! for another customer without the secret.

use diesel::prelude::*;
use serde_json::json;

use crate::audit::{self, Action, NewEntry};
use crate::customers::CONSENT_TEXT_VERSION;
use crate::db::schema::{customer_consents, customers};
use crate::util::{constant_time_eq, hmac_token};

/// The consent purpose this module withdraws.
const MARKETING: &str = "marketing";
/// `customer_consents.source` of a withdrawal made through the link.
pub const CONSENT_SOURCE_LINK: &str = "enlace_baja";
/// The audit actor when the customer has no e-mail on record any more.
const ACTOR_LABEL: &str = "enlace de baja";
/// Merged customers followed at most, from a token's customer to the one that survived.
const MAX_MERGE_HOPS: usize = 8;

/// The key that signs unsubscribe tokens, derived from the application's `SECRET_KEY`; the
/// e-mail engine and the public page derive the same one.
pub fn derive_key(secret: &[u8]) -> Vec<u8> {
    crate::util::derive_key(secret, "unsubscribe")
}

fn signature(key: &[u8], customer_id: i64) -> String {
    hmac_token(key, format!("unsubscribe:{customer_id}").as_bytes())
}

/// Signed, non-expiring token for `customer_id`: `"<id>.<HMAC-SHA256, base64url>"`.
pub fn token(key: &[u8], customer_id: i64) -> String {
    format!("{customer_id}.{}", signature(key, customer_id))
}

/// The customer a token was made for, if `key` signed it (compared in constant time).
pub fn verify(key: &[u8], token: &str) -> Option<i64> {
    let (id, signed) = token.split_once('.')?;
    let customer_id: i64 = id.parse().ok()?;
    // Only the form `token` writes ("42", not "+42" or "042").
    if customer_id <= 0 || customer_id.to_string() != id {
        return None;
    }
    constant_time_eq(signed.as_bytes(), signature(key, customer_id).as_bytes())
        .then_some(customer_id)
}

/// The public unsubscribe URL: `{base}/baja/{token}`.
pub fn link(base_url: &url::Url, key: &[u8], customer_id: i64) -> url::Url {
    let mut url = base_url.clone();
    let path = format!(
        "{}/baja/{}",
        base_url.path().trim_end_matches('/'),
        token(key, customer_id)
    );
    url.set_path(&path);
    url.set_query(None);
    url.set_fragment(None);
    url
}

/// Whether the customer's latest marketing consent row is granted (`false` when none).
pub fn has_marketing_consent(conn: &mut PgConnection, customer_id: i64) -> QueryResult<bool> {
    latest_marketing(conn, customer_id).map(|latest| latest == Some(true))
}

fn latest_marketing(conn: &mut PgConnection, customer_id: i64) -> QueryResult<Option<bool>> {
    customer_consents::table
        .filter(customer_consents::customer_id.eq(customer_id))
        .filter(customer_consents::purpose.eq(MARKETING))
        .order((
            customer_consents::recorded_at.desc(),
            customer_consents::id.desc(),
        ))
        .select(customer_consents::granted)
        .first(conn)
        .optional()
}

/// Who a link is for, as the public page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// The customer that holds the consents now: the token's customer, or the one it was
    /// merged into (a merge moves the consents to the survivor).
    pub customer_id: i64,
    pub email: Option<String>,
    /// Whether commercial e-mail is withdrawn already (latest marketing row not granted).
    pub withdrawn: bool,
}

impl Recipient {
    /// The e-mail for the page, masked ([`mask_email`]); empty when there is none.
    pub fn masked_email(&self) -> String {
        self.email.as_deref().map(mask_email).unwrap_or_default()
    }
}

/// The recipient of a link for `customer_id`, following merges; `None` when the customer is
/// gone.
pub fn recipient(conn: &mut PgConnection, customer_id: i64) -> QueryResult<Option<Recipient>> {
    let mut id = customer_id;
    for _ in 0..MAX_MERGE_HOPS {
        let row: Option<(Option<String>, Option<i64>)> = customers::table
            .find(id)
            .select((customers::email, customers::merged_into_id))
            .first(conn)
            .optional()?;
        match row {
            None => return Ok(None),
            Some((_, Some(survivor))) => id = survivor,
            Some((email, None)) => {
                let withdrawn = !has_marketing_consent(conn, id)?;
                return Ok(Some(Recipient {
                    customer_id: id,
                    email,
                    withdrawn,
                }));
            }
        }
    }
    Ok(None)
}

/// `lucia@example.es` → `l***@example.es`: enough for the person to recognise the address,
/// not enough for whoever finds the link to learn it.
pub fn mask_email(email: &str) -> String {
    match email.rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

/// Records the withdrawal of commercial e-mail: a `customer_consents` row (purpose
/// `marketing`, not granted, source [`CONSENT_SOURCE_LINK`], the current text version) and its
/// audit entry, in one transaction. Returns `false`, writing nothing, when the latest
/// marketing row is already a withdrawal, so a double click (or the one-click POST of the mail
/// provider and the person's click) records once: the customer's row is locked first, so two
/// requests at once are serialised. A customer with no marketing row at all gets the
/// withdrawal recorded (their objection is kept). Fails with `NotFound` for an unknown
/// customer.
pub fn unsubscribe(
    conn: &mut PgConnection,
    customer_id: i64,
    ip: Option<&str>,
) -> QueryResult<bool> {
    conn.transaction(|conn| {
        let email: Option<String> = customers::table
            .find(customer_id)
            .select(customers::email)
            .for_update()
            .first(conn)?;
        if latest_marketing(conn, customer_id)? == Some(false) {
            return Ok(false);
        }
        let text_id =
            crate::customers::consent_text_id(conn, crate::customers::ConsentPurpose::Marketing)?;
        diesel::insert_into(customer_consents::table)
            .values((
                customer_consents::customer_id.eq(customer_id),
                customer_consents::purpose.eq(MARKETING),
                customer_consents::granted.eq(false),
                customer_consents::text_version.eq(CONSENT_TEXT_VERSION),
                customer_consents::source.eq(CONSENT_SOURCE_LINK),
                customer_consents::text_id.eq(text_id),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            &NewEntry {
                actor_staff_id: None,
                actor_label: email.as_deref().unwrap_or(ACTOR_LABEL),
                action: Action::CustomerConsentChanged,
                target_type: Some(audit::target::CUSTOMER),
                target_id: Some(customer_id),
                ip: ip.unwrap_or_default(),
                user_agent: "",
                details: json!({
                    "finalidad": MARKETING,
                    "otorgado": false,
                    "version": CONSENT_TEXT_VERSION,
                    "origen": CONSENT_SOURCE_LINK,
                }),
            },
        )?;
        Ok(true)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"a test key of some length";

    #[test]
    fn a_token_round_trips_and_names_its_customer() {
        let token = token(KEY, 42);
        assert!(token.starts_with("42."), "{token}");
        assert_eq!(verify(KEY, &token), Some(42));
        assert!(
            token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        );
    }

    #[test]
    fn tampered_or_foreign_tokens_are_refused() {
        let good = token(KEY, 42);
        let signature = good.split_once('.').unwrap().1;
        assert_eq!(verify(KEY, &format!("43.{signature}")), None);
        assert_eq!(verify(KEY, &format!("042.{signature}")), None);
        assert_eq!(verify(KEY, &format!("+42.{signature}")), None);
        assert_eq!(verify(b"another key", &good), None);
        assert_eq!(verify(KEY, &good[..good.len() - 1]), None);
        assert_eq!(verify(KEY, "42"), None);
        assert_eq!(verify(KEY, ""), None);
        assert_eq!(verify(KEY, &token(KEY, 0)), None);
        assert_eq!(verify(KEY, &token(KEY, -1)), None);
    }

    #[test]
    fn the_key_is_derived_for_this_purpose_only() {
        assert_eq!(derive_key(b"secret"), derive_key(b"secret"));
        assert_ne!(derive_key(b"secret"), derive_key(b"other"));
        assert_ne!(
            derive_key(b"secret"),
            crate::util::derive_key(b"secret", "csrf")
        );
    }

    #[test]
    fn the_link_sits_on_the_base_url() {
        let base = url::Url::parse("https://www.sorianomediadores.es").unwrap();
        let url = link(&base, KEY, 7);
        assert_eq!(
            url.as_str(),
            format!("https://www.sorianomediadores.es/baja/{}", token(KEY, 7))
        );
        let nested = url::Url::parse("https://example.es/soriano/?x=1").unwrap();
        assert!(
            link(&nested, KEY, 7)
                .as_str()
                .starts_with("https://example.es/soriano/baja/7.")
        );
    }

    #[test]
    fn e_mails_are_masked() {
        assert_eq!(mask_email("lucia@example.es"), "l***@example.es");
        assert_eq!(mask_email("ñu@example.es"), "ñ***@example.es");
        assert_eq!(mask_email("@example.es"), "***@example.es");
        assert_eq!(mask_email("nada"), "***");
    }
}
