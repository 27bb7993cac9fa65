//! The client kept informed of their claim: an e-mail with each change of state (the portal
//! promises "le avisaremos de cada novedad"). Queued in the transaction of the change, so a
//! rolled-back change sends nothing and a committed one is always announced.

use diesel::prelude::*;

use crate::db::DbError;
use crate::db::schema::customers;

use super::Claim;

/// Queues "your claim is now <state>" to the claim's customer, when they have an e-mail.
/// `with_note`: staff left a note visible to the client (the e-mail says so, without its text).
pub fn status_changed(
    conn: &mut PgConnection,
    claim: &Claim,
    with_note: bool,
    base_url: &url::Url,
) -> Result<(), DbError> {
    let (email, given, display): (Option<String>, Option<String>, String) = customers::table
        .find(claim.customer_id)
        .select((
            customers::email,
            customers::given_name,
            customers::display_name,
        ))
        .first(conn)?;
    let Some(to) = email.filter(|e| !e.trim().is_empty()) else {
        return Ok(());
    };
    let name = crate::customers::greeting_name(given.as_deref(), &display);
    crate::mail::send(
        conn,
        &crate::mail::Notice::ClaimStatusChanged {
            to,
            name,
            number: claim.number.clone(),
            status: claim.status().label().to_owned(),
            with_note,
            link: portal_link(base_url, claim.id).to_string(),
        },
    )?;
    Ok(())
}

/// The claim's page in e-SORI.
pub fn portal_link(base_url: &url::Url, claim_id: i64) -> url::Url {
    let mut link = base_url.clone();
    link.set_path(&format!("/portal/siniestros/{claim_id}"));
    link
}
