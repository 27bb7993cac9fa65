//! Reading the audit log: the admin page's filters, newest first, keyset-paginated.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;

use crate::audit::Action;
use crate::audit::details::{self, Names};
use crate::db::schema::{audit_log, staff_users};
use crate::listing::{self, Cursor, PAGE_SIZE, Page};

/// What to show; every field narrows the list, `None` leaves it open.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub action: Option<Action>,
    /// Part of the actor's label, e-mail or name, case-insensitive.
    pub actor: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<i64>,
    /// First and last calendar day (Europe/Madrid), both included.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub cursor: Option<Cursor>,
}

/// One entry with the name of its actor's account.
#[derive(Debug, Clone, Queryable)]
pub struct EntryRow {
    pub id: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor_staff_id: Option<i64>,
    pub actor_label: String,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<i64>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub details: serde_json::Value,
    /// Current name of the actor's staff account, when there is one.
    pub actor_name: Option<String>,
}

/// A page of entries, newest first.
#[derive(Debug, Clone)]
pub struct EntryPage {
    pub page: Page<EntryRow>,
    /// Numbers and names of the records the entries point at.
    pub names: Names,
}

impl EntryPage {
    /// What `entry` is about, by the record's number or name: "Recibo R-7-2026-3".
    pub fn target_text(&self, entry: &EntryRow) -> String {
        details::target_text(entry.target_type.as_deref(), entry.target_id, &self.names)
    }

    /// The details of `entry` in words: "Estado: pendiente → hecha · Importe: 500,00 €".
    pub fn details_text(&self, entry: &EntryRow) -> String {
        details::details_text(entry.target_type.as_deref(), &entry.details, &self.names)
    }
}

/// The entries matching `filter`, [`PAGE_SIZE`] at most, with their actors' names: one query.
pub fn list(conn: &mut PgConnection, filter: &Filter) -> QueryResult<EntryPage> {
    read(conn, filter, PAGE_SIZE)
}

/// An entry as an export writes it: with what it is about and its details in words.
#[derive(Debug, Clone)]
pub struct ExportedEntry {
    pub entry: EntryRow,
    pub target: String,
    pub details: String,
}

/// Every entry the filter keeps (up to [`crate::export::EXPORT_LIMIT`]), newest first: what
/// an export writes.
pub fn export<E: From<diesel::result::Error>>(
    conn: &mut PgConnection,
    filter: &Filter,
    sink: impl FnMut(ExportedEntry) -> Result<(), E>,
) -> Result<i64, E> {
    crate::export::rows(
        |cursor, size| {
            let filter = Filter {
                cursor,
                ..filter.clone()
            };
            let page = read(conn, &filter, size)?;
            let mut texts = page
                .page
                .rows
                .iter()
                .map(|e| (page.target_text(e), page.details_text(e)))
                .collect::<Vec<_>>()
                .into_iter();
            Ok(page.page.map(|entry| {
                let (target, details) = texts.next().unwrap_or_default();
                ExportedEntry {
                    entry,
                    target,
                    details,
                }
            }))
        },
        sink,
    )
}

fn read(conn: &mut PgConnection, filter: &Filter, limit: i64) -> QueryResult<EntryPage> {
    let mut query = audit_log::table
        .left_join(staff_users::table)
        .select((
            audit_log::id,
            audit_log::occurred_at,
            audit_log::actor_staff_id,
            audit_log::actor_label,
            audit_log::action,
            audit_log::target_type,
            audit_log::target_id,
            audit_log::ip,
            audit_log::user_agent,
            audit_log::details,
            staff_users::name.nullable(),
        ))
        .into_boxed();

    if let Some(action) = filter.action {
        query = query.filter(audit_log::action.eq(action.code()));
    }
    if let Some(actor) = filter
        .actor
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        let pattern = listing::contains(actor);
        // The label (an e-mail) or the current name or e-mail of the account; the subquery
        // keeps the label's trigram index usable.
        let accounts = diesel::alias!(staff_users as accounts);
        let accounts = accounts
            .filter(
                accounts
                    .field(staff_users::name)
                    .ilike(pattern.clone())
                    .or(accounts.field(staff_users::email).ilike(pattern.clone())),
            )
            .select(accounts.field(staff_users::id).nullable());
        query = query.filter(
            audit_log::actor_label
                .ilike(pattern)
                .or(audit_log::actor_staff_id.eq_any(accounts)),
        );
    }
    if let Some(target_type) = filter.target_type.as_deref() {
        query = query.filter(audit_log::target_type.eq(target_type.to_owned()));
    }
    if let Some(target_id) = filter.target_id {
        query = query.filter(audit_log::target_id.eq(target_id));
    }
    let (start, end) = crate::time::day_range(filter.from, filter.to);
    if let Some(start) = start {
        query = query.filter(audit_log::occurred_at.ge(start));
    }
    if let Some(end) = end {
        query = query.filter(audit_log::occurred_at.lt(end));
    }
    query = match filter.cursor {
        None => query.order(audit_log::id.desc()),
        Some(Cursor::After(id)) => query
            .filter(audit_log::id.lt(id))
            .order(audit_log::id.desc()),
        Some(Cursor::Before(id)) => query
            .filter(audit_log::id.gt(id))
            .order(audit_log::id.asc()),
    };
    let entries: Vec<EntryRow> = query.limit(limit + 1).load(conn)?;
    let page = Page::assemble(entries, filter.cursor, limit, |e| e.id);
    let names = Names::load(
        conn,
        page.rows
            .iter()
            .map(|e| (e.target_type.as_deref(), e.target_id, &e.details)),
    )?;
    Ok(EntryPage { page, names })
}

impl EntryRow {
    /// The Spanish label of the action, or its code when this version does not know it.
    pub fn action_label(&self) -> &str {
        Action::parse(&self.action).map_or(self.action.as_str(), |action| action.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(action: &str, details: serde_json::Value) -> EntryRow {
        EntryRow {
            id: 1,
            occurred_at: Utc::now(),
            actor_staff_id: None,
            actor_label: "ana@soriano.es".to_owned(),
            action: action.to_owned(),
            target_type: None,
            target_id: None,
            ip: None,
            user_agent: None,
            details,
            actor_name: None,
        }
    }

    #[test]
    fn unknown_action_codes_show_as_they_are() {
        assert_eq!(
            row("staff.sign_in", json!({})).action_label(),
            "Inicio de sesión"
        );
        assert_eq!(
            row("future.unknown_action", json!({})).action_label(),
            "future.unknown_action"
        );
    }
}
