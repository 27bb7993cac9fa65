//! Landing pages (`/l/{slug}`): content blocks per A/B variant, a form definition, consent
//! texts; visits and conversions per variant and day; and the intake that turns a form into
//! a lead. Domain only: the public pages live in `site::landings`, the editor in
//! `backoffice::landings`.

pub mod ab;
pub mod assign;
pub mod blocks;
pub mod editor;
pub mod form;
pub mod intake;
pub mod published;
pub mod spam;
pub mod visits;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;

use crate::db::schema::{landing_daily_stats, landing_variants, landings};
use form::FormField;

pub use blocks::Blocks;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = landings)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct LandingRow {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub meta_description: String,
    pub line_id: Option<i64>,
    pub campaign: Option<String>,
    pub form_fields: serde_json::Value,
    pub privacy_text: String,
    pub marketing_text: String,
    pub consent_version: String,
    pub published: bool,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The consent texts as stored (`legal_texts`), set by the database on every save.
    pub privacy_text_id: Option<i64>,
    pub marketing_text_id: Option<i64>,
}

impl LandingRow {
    /// The form definition; a row that no longer parses has no fields (and so takes no leads).
    pub fn fields(&self) -> Vec<FormField> {
        serde_json::from_value(self.form_fields.clone()).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = landing_variants)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct VariantRow {
    pub id: i64,
    pub landing_id: i64,
    pub name: String,
    pub weight: i32,
    pub blocks: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

/// A published landing by its slug (what visitors may see).
pub fn published_by_slug(conn: &mut PgConnection, slug: &str) -> QueryResult<Option<LandingRow>> {
    landings::table
        .filter(landings::slug.eq(slug))
        .filter(landings::published.eq(true))
        .select(LandingRow::as_select())
        .first(conn)
        .optional()
}

pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<LandingRow> {
    landings::table
        .find(id)
        .select(LandingRow::as_select())
        .first(conn)
}

/// The variants of a landing, oldest first: the first is the control of the A/B test.
pub fn variants(conn: &mut PgConnection, landing_id: i64) -> QueryResult<Vec<VariantRow>> {
    landing_variants::table
        .filter(landing_variants::landing_id.eq(landing_id))
        .order(landing_variants::id)
        .select(VariantRow::as_select())
        .load(conn)
}

/// Published landings, for the sitemap: (slug, last change).
pub fn published(conn: &mut PgConnection) -> QueryResult<Vec<(String, DateTime<Utc>)>> {
    landings::table
        .filter(landings::published.eq(true))
        .order(landings::slug)
        .select((landings::slug, landings::updated_at))
        .limit(5_000)
        .load(conn)
}

/// Moves the recorded conversions (written with each lead, `intake`) into the daily counters, in one statement. Run by the
/// visit flusher every few seconds and before the A/B figures are read.
pub fn fold_conversions(conn: &mut PgConnection) -> QueryResult<usize> {
    diesel::sql_query(
        "WITH moved AS (DELETE FROM landing_conversions_pending \
                        RETURNING landing_variant_id, day) \
         INSERT INTO landing_daily_stats (landing_variant_id, day, visits, conversions) \
         SELECT landing_variant_id, day, 0, count(*) FROM moved GROUP BY 1, 2 ORDER BY 1, 2 \
         ON CONFLICT (landing_variant_id, day) \
         DO UPDATE SET conversions = landing_daily_stats.conversions + excluded.conversions",
    )
    .execute(conn)
}

#[derive(QueryableByName)]
struct TotalRow {
    #[diesel(sql_type = diesel::sql_types::Int8)]
    variant_id: i64,
    #[diesel(sql_type = diesel::sql_types::Int8)]
    visits: i64,
    #[diesel(sql_type = diesel::sql_types::Int8)]
    conversions: i64,
}

/// Totals per variant of a landing over the days `from..=to`: (variant id, visits,
/// conversions). Raw SQL because `sum(bigint)` is `numeric` in PostgreSQL; the cast keeps it
/// an `i64`.
pub fn totals(
    conn: &mut PgConnection,
    landing_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<(i64, i64, i64)>> {
    fold_conversions(conn)?;
    let rows: Vec<TotalRow> = diesel::sql_query(
        "SELECT s.landing_variant_id AS variant_id, \
                COALESCE(sum(s.visits), 0)::bigint AS visits, \
                COALESCE(sum(s.conversions), 0)::bigint AS conversions \
         FROM landing_daily_stats s JOIN landing_variants v ON v.id = s.landing_variant_id \
         WHERE v.landing_id = $1 AND s.day BETWEEN $2 AND $3 GROUP BY s.landing_variant_id",
    )
    .bind::<diesel::sql_types::Int8, _>(landing_id)
    .bind::<diesel::sql_types::Date, _>(from)
    .bind::<diesel::sql_types::Date, _>(to)
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| (r.variant_id, r.visits, r.conversions))
        .collect())
}

/// Most days the daily table of a landing shows (the latest of the period).
pub const DAILY_ROWS: i64 = 93;

/// The counters of each variant of a landing per day of `from..=to`, latest day first, for
/// the last [`DAILY_ROWS`] days of the period that had any visit: (day, variant id, visits,
/// conversions).
pub fn daily(
    conn: &mut PgConnection,
    landing_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<(NaiveDate, i64, i64, i64)>> {
    fold_conversions(conn)?;
    let days: Vec<NaiveDate> = landing_daily_stats::table
        .inner_join(landing_variants::table)
        .filter(landing_variants::landing_id.eq(landing_id))
        .filter(landing_daily_stats::day.between(from, to))
        .select(landing_daily_stats::day)
        .distinct()
        .order(landing_daily_stats::day.desc())
        .limit(DAILY_ROWS)
        .load(conn)?;
    let Some(oldest) = days.last().copied() else {
        return Ok(Vec::new());
    };
    landing_daily_stats::table
        .inner_join(landing_variants::table)
        .filter(landing_variants::landing_id.eq(landing_id))
        .filter(landing_daily_stats::day.between(oldest, to))
        .select((
            landing_daily_stats::day,
            landing_daily_stats::landing_variant_id,
            landing_daily_stats::visits,
            landing_daily_stats::conversions,
        ))
        .order((
            landing_daily_stats::day.desc(),
            landing_daily_stats::landing_variant_id,
        ))
        .load(conn)
}

pub use crate::time::today;
