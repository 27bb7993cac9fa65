//! Whether a new request belongs to a lead already open. People share phones (a household, a
//! taxi stand, a company switchboard) and sometimes e-mails, so a shared contact alone never
//! merges two requests: a request joins an open lead only when it is the same person (same
//! name or same e-mail) asking for the same line of business. Anything else becomes a lead of
//! its own, flagged as a possible duplicate of the other, so nobody's request is hidden inside
//! someone else's lead.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use crate::auth::permissions::PortfolioScope;
use crate::db::schema::{leads, staff_users};

/// A request joins (or is flagged against) open leads created this recently.
pub const WINDOW: Duration = Duration::days(30);
/// Leads looked at per contact (newest first): a contact shared by more is a switchboard.
const CANDIDATES: i64 = 10;

/// Who asks, and for what.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub full_name: &'a str,
    /// Normalised (lower-case), as stored.
    pub email: Option<&'a str>,
    /// Normalised (nine digits), as stored.
    pub phone: Option<&'a str>,
    pub line_id: Option<i64>,
}

/// What an open lead sharing the contact is to the new request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    /// No open lead shares the e-mail or the phone.
    None,
    /// The same person asking again for the same line: the request joins this lead.
    Repeat(i64),
    /// Someone, or something, else with a shared e-mail or phone: a new lead, flagged.
    Possible(i64),
}

/// Serialises requests with the same e-mail or phone (two tabs, two quick clicks, a landing and
/// the taxi quoter at once), so the second sees the lead the first created. Keys are locked in
/// order. Call inside the transaction that then calls [`find`] and writes the lead.
pub fn lock(conn: &mut PgConnection, request: &Request) -> QueryResult<()> {
    let keys: Vec<String> = request
        .email
        .iter()
        .map(|e| format!("lead-email:{e}"))
        .chain(request.phone.iter().map(|p| format!("lead-phone:{p}")))
        .collect();
    // Both locks in one round trip, taken in key order (the projection runs over the sorted
    // rows), so two submissions sharing both keys cannot deadlock.
    diesel::sql_query(
        "SELECT pg_advisory_xact_lock(hashtext(k)) \
         FROM (SELECT k FROM unnest($1::text[]) AS k ORDER BY k) AS keys",
    )
    .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(keys)
    .execute(conn)?;
    Ok(())
}

type Candidate = (i64, String, Option<String>, Option<i64>, DateTime<Utc>);

/// The open leads (not won or lost, created within [`WINDOW`]) sharing the e-mail or the
/// phone of `request`: the newest one of the same person for the same line if there is one,
/// else the newest one of all.
pub fn find(conn: &mut PgConnection, request: &Request, now: DateTime<Utc>) -> QueryResult<Match> {
    let since = now - WINDOW;
    let open = || {
        leads::table
            .filter(leads::stage.ne_all(["won", "lost"]))
            .filter(leads::created_at.ge(since))
            .order(leads::created_at.desc())
            .select((
                leads::id,
                leads::full_name,
                leads::email,
                leads::line_id,
                leads::created_at,
            ))
            .limit(CANDIDATES)
    };
    // Two indexed lookups rather than an OR, so each uses its own index; one statement.
    let mut candidates: Vec<Candidate> = match (request.email, request.phone) {
        (Some(email), Some(phone)) => open()
            .filter(leads::email.eq(email))
            .union_all(open().filter(leads::phone.eq(phone)))
            .load(conn)?,
        (Some(email), None) => open().filter(leads::email.eq(email)).load(conn)?,
        (None, Some(phone)) => open().filter(leads::phone.eq(phone)).load(conn)?,
        (None, None) => Vec::new(),
    };
    candidates.sort_by_key(|c| std::cmp::Reverse((c.4, c.0)));
    let repeat = candidates.iter().find(|(_, name, email, line, _)| {
        *line == request.line_id && same_person(request, name, email.as_deref())
    });
    Ok(match (repeat, candidates.first()) {
        (Some(lead), _) => Match::Repeat(lead.0),
        (None, Some(lead)) => Match::Possible(lead.0),
        (None, None) => Match::None,
    })
}

/// Same e-mail, or the same name written the same way but for case, accents and spaces.
fn same_person(request: &Request, name: &str, email: Option<&str>) -> bool {
    let same_email =
        matches!((request.email, email), (Some(a), Some(b)) if a.eq_ignore_ascii_case(b));
    same_email || folded(request.full_name) == folded(name)
}

fn folded(name: &str) -> String {
    name.split_whitespace()
        .map(|word| {
            word.chars()
                .flat_map(char::to_lowercase)
                .map(|c| match c {
                    'á' | 'à' | 'ä' | 'â' => 'a',
                    'é' | 'è' | 'ë' | 'ê' => 'e',
                    'í' | 'ì' | 'ï' | 'î' => 'i',
                    'ó' | 'ò' | 'ö' | 'ô' => 'o',
                    'ú' | 'ù' | 'ü' | 'û' => 'u',
                    other => other,
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The lead a flagged lead may duplicate, as a user with some scope may see it: the link only
/// when they may open that lead, otherwise whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateOf {
    pub id: i64,
    /// The user may open the other lead (an agent reaches only the leads assigned to them).
    pub open_to_user: bool,
    /// The agent the other lead is assigned to.
    pub agent_name: Option<String>,
}

/// The leads `ids` point to, as `scope` may see them (missing ones are left out).
pub fn duplicates_of(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    ids: &[i64],
) -> QueryResult<Vec<DuplicateOf>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(i64, Option<i64>, Option<String>)> = leads::table
        .left_join(staff_users::table)
        .filter(leads::id.eq_any(ids))
        .select((
            leads::id,
            leads::assigned_staff_id,
            staff_users::name.nullable(),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, agent, agent_name)| DuplicateOf {
            id,
            open_to_user: scope.owner().is_none_or(|me| agent == Some(me)),
            agent_name,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request<'a>(name: &'a str, email: Option<&'a str>) -> Request<'a> {
        Request {
            full_name: name,
            email,
            phone: Some("600123456"),
            line_id: Some(1),
        }
    }

    #[test]
    fn the_same_person_is_the_same_name_or_the_same_email() {
        let ana = request("Ana  Gómez", None);
        assert!(same_person(&ana, "ana gomez", None));
        assert!(!same_person(&ana, "Pedro Gómez", None));
        let by_email = request("Ana", Some("ana@example.es"));
        assert!(same_person(
            &by_email,
            "Ana Gómez Ruiz",
            Some("ana@example.es")
        ));
        assert!(!same_person(&by_email, "Pedro", Some("pedro@example.es")));
        assert!(!same_person(
            &request("Pedro", None),
            "Ana",
            Some("ana@example.es")
        ));
    }
}
