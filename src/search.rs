//! The back-office's one search box: customers, policies and claims by any identifier or name,
//! within the viewer's portfolio. Each kind is one bounded, indexed query.

use diesel::prelude::*;

use crate::auth::permissions::PortfolioScope;
use crate::db::schema::{claims, customers, policies};

const PER_KIND: i64 = 10;

#[derive(Debug, Clone, Queryable)]
pub struct CustomerHit {
    pub id: i64,
    pub display_name: String,
    pub tax_id: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, Queryable)]
pub struct PolicyHit {
    pub id: i64,
    pub number: String,
    pub status: String,
    pub customer_name: String,
}

#[derive(Debug, Clone, Queryable)]
pub struct ClaimHit {
    pub id: i64,
    pub number: String,
    pub status: String,
    pub customer_name: String,
}

#[derive(Debug, Clone, Default)]
pub struct Results {
    pub customers: Vec<CustomerHit>,
    pub policies: Vec<PolicyHit>,
    pub claims: Vec<ClaimHit>,
}

impl Results {
    pub fn is_empty(&self) -> bool {
        self.customers.is_empty() && self.policies.is_empty() && self.claims.is_empty()
    }
}

/// Escapes LIKE wildcards typed by the user.
fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// What the text looks like once spaces, dots and dashes are gone: a phone number (nine
/// digits, optional +34), or an identifier (upper-cased).
fn compact(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-'))
        .collect::<String>()
        .to_uppercase()
}

fn phone_digits(text: &str) -> Option<String> {
    let digits = compact(text);
    let digits = digits
        .strip_prefix("+34")
        .or_else(|| digits.strip_prefix("0034"))
        .unwrap_or(&digits);
    (digits.len() == 9 && digits.chars().all(|c| c.is_ascii_digit())).then(|| digits.to_owned())
}

pub fn everything(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    text: &str,
) -> QueryResult<Results> {
    let text = text.trim();
    if text.chars().count() < 2 {
        return Ok(Results::default());
    }
    let lower = text.to_lowercase();
    let identifier = compact(text);

    let mut customer_query = customers::table
        .filter(customers::merged_into_id.is_null())
        .into_boxed();
    customer_query = if let Some(phone) = phone_digits(text) {
        customer_query.filter(customers::phone.eq(phone))
    } else if lower.contains('@') {
        customer_query.filter(customers::email.eq(lower.clone()))
    } else if identifier.len() == 9
        && identifier.chars().filter(|c| c.is_ascii_digit()).count() >= 7
    {
        customer_query.filter(customers::tax_id.eq(identifier.clone()))
    } else {
        let pattern = format!("%{}%", like_escape(&lower));
        customer_query.filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(customers.display_name) LIKE ")
                .bind::<diesel::sql_types::Text, _>(pattern),
        )
    };
    if let Some(owner) = scope.owner() {
        customer_query = customer_query.filter(customers::owner_staff_id.eq(owner));
    }
    let customers = customer_query
        .order((customers::display_name, customers::id))
        .limit(PER_KIND)
        .select((
            customers::id,
            customers::display_name,
            customers::tax_id,
            customers::phone,
            customers::email,
        ))
        .load(conn)?;

    // Policy and claim numbers: exact or by prefix (uses the btree indexes).
    let prefix = format!("{}%", like_escape(&text.to_uppercase()));
    let mut policy_query = policies::table
        .inner_join(customers::table)
        .filter(policies::number.like(prefix.clone()))
        .into_boxed();
    if let Some(owner) = scope.owner() {
        policy_query = policy_query.filter(customers::owner_staff_id.eq(owner));
    }
    let policies = policy_query
        .order((policies::number, policies::id))
        .limit(PER_KIND)
        .select((
            policies::id,
            policies::number,
            policies::status,
            customers::display_name,
        ))
        .load(conn)?;

    let mut claim_query = claims::table
        .inner_join(customers::table)
        .filter(claims::number.like(prefix))
        .into_boxed();
    if let Some(owner) = scope.owner() {
        claim_query = claim_query.filter(customers::owner_staff_id.eq(owner));
    }
    let claims = claim_query
        .order((claims::number, claims::id))
        .limit(PER_KIND)
        .select((
            claims::id,
            claims::number,
            claims::status,
            customers::display_name,
        ))
        .load(conn)?;

    Ok(Results {
        customers,
        policies,
        claims,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_recognised_however_typed() {
        assert_eq!(
            phone_digits("+34 612 34 56 78").as_deref(),
            Some("612345678")
        );
        assert_eq!(phone_digits("612-345-678").as_deref(), Some("612345678"));
        assert_eq!(phone_digits("61234567"), None);
        assert_eq!(phone_digits("Martín"), None);
    }

    #[test]
    fn identifiers_are_compacted_and_upper_cased() {
        assert_eq!(compact("12.345.678-z"), "12345678Z");
        assert_eq!(like_escape("50%_off"), "50\\%\\_off");
    }
}
