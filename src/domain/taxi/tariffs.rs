//! Tariff versions in PostgreSQL: list, read, draft from the published one, edit the draft,
//! publish. Pricing never queries here per request: [`TariffCache`] keeps the published
//! versions in memory and is cleared when a version is published.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::json;

use crate::audit::{self, Action, Actor};
use crate::cache::Cached;
use crate::db::DbError;
use crate::db::schema::{carriers, lines_of_business, products, taxi_tariff_versions};
use crate::taxi::rating::Tariff;

pub const TARGET: &str = crate::audit::target::TAXI_TARIFF;

/// A published tariff ready for the engine, with the carrier it prices for.
#[derive(Debug, Clone)]
pub struct PublishedTariff {
    pub version_id: i64,
    pub version: i32,
    pub carrier_id: i64,
    pub carrier_code: String,
    pub carrier_name: String,
    /// The carrier's taxi product, when the catalogue has one.
    pub product_id: Option<i64>,
    pub tariff: Tariff,
}

/// The published tariffs, kept in memory. Each app instance holds its own copy: a publish
/// clears this instance's at once and the others within [`TariffCache::TTL`].
pub struct TariffCache {
    slot: Cached<Vec<PublishedTariff>>,
}

impl Default for TariffCache {
    fn default() -> Self {
        Self {
            slot: Cached::new(Self::TTL),
        }
    }
}

impl TariffCache {
    pub const TTL: Duration = Duration::from_secs(60);

    /// The published tariffs, from memory or (once per interval) from the database.
    pub async fn get(&self, db: &crate::db::Db) -> Result<Arc<Vec<PublishedTariff>>, DbError> {
        if let Some(book) = self.slot.get() {
            return Ok(book);
        }
        let fresh = db
            .run(|conn| published(conn).map_err(DbError::from))
            .await?;
        Ok(self.slot.put(fresh))
    }

    /// Forgets the cached tariffs (after a publish).
    pub fn clear(&self) {
        self.slot.clear();
    }
}

#[derive(Queryable)]
struct PublishedRow {
    id: i64,
    version: i32,
    carrier_id: i64,
    rules: serde_json::Value,
    carrier_code: String,
    carrier_name: String,
}

/// The published version of every active carrier, by carrier name. A version whose rules
/// do not read as a valid tariff is skipped (and logged) rather than priced wrongly.
pub fn published(conn: &mut PgConnection) -> QueryResult<Vec<PublishedTariff>> {
    let rows: Vec<PublishedRow> = taxi_tariff_versions::table
        .inner_join(carriers::table)
        .filter(taxi_tariff_versions::status.eq("published"))
        .filter(carriers::active.eq(true))
        .order(carriers::name.asc())
        .select((
            taxi_tariff_versions::id,
            taxi_tariff_versions::version,
            taxi_tariff_versions::carrier_id,
            taxi_tariff_versions::rules,
            carriers::code,
            carriers::name,
        ))
        .load(conn)?;
    let taxi_products: Vec<(i64, i64)> = products::table
        .inner_join(lines_of_business::table)
        .filter(lines_of_business::code.eq("taxi"))
        .order(products::id.asc())
        .select((products::carrier_id, products::id))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let tariff = match serde_json::from_value::<Tariff>(row.rules) {
                Ok(tariff) if tariff.problems().is_empty() => tariff,
                _ => {
                    tracing::error!(version_id = row.id, "unreadable taxi tariff skipped");
                    return None;
                }
            };
            Some(PublishedTariff {
                version_id: row.id,
                version: row.version,
                carrier_id: row.carrier_id,
                carrier_code: row.carrier_code,
                carrier_name: row.carrier_name,
                product_id: taxi_products
                    .iter()
                    .find(|(carrier, _)| *carrier == row.carrier_id)
                    .map(|(_, id)| *id),
                tariff,
            })
        })
        .collect())
}

/// One version as the back-office lists it.
#[derive(Debug, Clone, Queryable)]
pub struct VersionRow {
    pub id: i64,
    pub carrier_id: i64,
    pub carrier_name: String,
    pub version: i32,
    pub status: String,
    pub published_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// Most versions a carrier's list shows (older ones stay in the database).
pub const VERSIONS_SHOWN: i64 = 200;

/// Every carrier's versions, newest first within each carrier.
pub fn versions(conn: &mut PgConnection) -> QueryResult<Vec<VersionRow>> {
    taxi_tariff_versions::table
        .inner_join(carriers::table)
        .order((carriers::name.asc(), taxi_tariff_versions::version.desc()))
        .limit(VERSIONS_SHOWN)
        .select((
            taxi_tariff_versions::id,
            taxi_tariff_versions::carrier_id,
            carriers::name,
            taxi_tariff_versions::version,
            taxi_tariff_versions::status,
            taxi_tariff_versions::published_at,
            taxi_tariff_versions::updated_at,
        ))
        .load(conn)
}

/// One version with its rules.
#[derive(Debug, Clone)]
pub struct Version {
    pub row: VersionRow,
    pub notes: String,
    pub tariff: Tariff,
}

#[derive(Debug, thiserror::Error)]
pub enum TariffError {
    #[error("no existe esa versión de tarifa")]
    NotFound,
    #[error("solo se puede modificar o publicar un borrador")]
    NotDraft,
    #[error("esta compañía no tiene tarifa publicada de la que partir")]
    NothingToCopy,
    #[error("la tarifa tiene errores")]
    Invalid(crate::taxi::rating::tariff::TariffProblems),
    #[error(transparent)]
    Database(#[from] DbError),
}

impl From<diesel::result::Error> for TariffError {
    fn from(error: diesel::result::Error) -> Self {
        match error {
            diesel::result::Error::NotFound => TariffError::NotFound,
            other => TariffError::Database(other.into()),
        }
    }
}

pub fn version(conn: &mut PgConnection, id: i64) -> Result<Version, TariffError> {
    let (row, notes, rules): (VersionRow, String, serde_json::Value) = taxi_tariff_versions::table
        .inner_join(carriers::table)
        .filter(taxi_tariff_versions::id.eq(id))
        .select((
            (
                taxi_tariff_versions::id,
                taxi_tariff_versions::carrier_id,
                carriers::name,
                taxi_tariff_versions::version,
                taxi_tariff_versions::status,
                taxi_tariff_versions::published_at,
                taxi_tariff_versions::updated_at,
            ),
            taxi_tariff_versions::notes,
            taxi_tariff_versions::rules,
        ))
        .first(conn)?;
    let tariff = serde_json::from_value(rules)
        .map_err(|e| TariffError::Database(DbError::other(format!("tariff {id}: {e}"))))?;
    Ok(Version { row, notes, tariff })
}

/// Inserts a version of `carrier_id`'s tariff numbered after the last one.
fn insert(
    conn: &mut PgConnection,
    carrier_id: i64,
    status: &str,
    tariff: &Tariff,
    notes: &str,
    staff_id: Option<i64>,
) -> QueryResult<i64> {
    let last: Option<i32> = taxi_tariff_versions::table
        .filter(taxi_tariff_versions::carrier_id.eq(carrier_id))
        .select(diesel::dsl::max(taxi_tariff_versions::version))
        .first(conn)?;
    let published_at = (status == "published").then(Utc::now);
    diesel::insert_into(taxi_tariff_versions::table)
        .values((
            taxi_tariff_versions::carrier_id.eq(carrier_id),
            taxi_tariff_versions::version.eq(last.unwrap_or(0) + 1),
            taxi_tariff_versions::status.eq(status),
            taxi_tariff_versions::rules.eq(serde_json::to_value(tariff).unwrap_or_default()),
            taxi_tariff_versions::notes.eq(notes),
            taxi_tariff_versions::created_by_staff_id.eq(staff_id),
            taxi_tariff_versions::published_at.eq(published_at),
        ))
        .returning(taxi_tariff_versions::id)
        .get_result(conn)
}

/// Seed data: publishes `tariff` as `carrier_id`'s first version unless it has one.
pub fn seed_published(
    conn: &mut PgConnection,
    carrier_id: i64,
    tariff: &Tariff,
) -> QueryResult<Option<i64>> {
    let exists: i64 = taxi_tariff_versions::table
        .filter(taxi_tariff_versions::carrier_id.eq(carrier_id))
        .count()
        .get_result(conn)?;
    if exists > 0 {
        return Ok(None);
    }
    insert(
        conn,
        carrier_id,
        "published",
        tariff,
        "Tarifa ilustrativa de demostración.",
        None,
    )
    .map(Some)
}

/// Starts a draft of `carrier_id`'s tariff from its published version; when a draft already
/// exists, returns that one instead of creating a second. Returns (id, created).
pub fn create_draft(
    conn: &mut PgConnection,
    carrier_id: i64,
    by: &Actor,
) -> Result<(i64, bool), TariffError> {
    // Serialises drafts of one carrier (the unique index would reject the second anyway).
    carriers::table
        .find(carrier_id)
        .select(carriers::id)
        .for_update()
        .first::<i64>(conn)?;
    let existing: Option<i64> = taxi_tariff_versions::table
        .filter(taxi_tariff_versions::carrier_id.eq(carrier_id))
        .filter(taxi_tariff_versions::status.eq("draft"))
        .select(taxi_tariff_versions::id)
        .first(conn)
        .optional()?;
    if let Some(id) = existing {
        return Ok((id, false));
    }
    let (from_id, rules): (i64, serde_json::Value) = taxi_tariff_versions::table
        .filter(taxi_tariff_versions::carrier_id.eq(carrier_id))
        .filter(taxi_tariff_versions::status.eq("published"))
        .select((taxi_tariff_versions::id, taxi_tariff_versions::rules))
        .first(conn)
        .optional()?
        .ok_or(TariffError::NothingToCopy)?;
    let tariff: Tariff = serde_json::from_value(rules)
        .map_err(|e| TariffError::Database(DbError::other(format!("tariff {from_id}: {e}"))))?;
    let id = insert(conn, carrier_id, "draft", &tariff, "", Some(by.staff_id))?;
    audit::record(
        conn,
        &audit::NewEntry {
            target_type: Some(TARGET),
            target_id: Some(id),
            details: json!({ "copia_de": from_id }),
            ..by.entry(Action::TaxiTariffDraftCreated)
        },
    )?;
    Ok((id, true))
}

fn lock_draft(conn: &mut PgConnection, id: i64) -> Result<(i64, serde_json::Value), TariffError> {
    let (carrier_id, status, rules): (i64, String, serde_json::Value) = taxi_tariff_versions::table
        .find(id)
        .select((
            taxi_tariff_versions::carrier_id,
            taxi_tariff_versions::status,
            taxi_tariff_versions::rules,
        ))
        .for_update()
        .first(conn)?;
    if status != "draft" {
        return Err(TariffError::NotDraft);
    }
    Ok((carrier_id, rules))
}

/// Saves the draft `id` with new figures (validated here too) and notes.
pub fn update_draft(
    conn: &mut PgConnection,
    id: i64,
    tariff: &Tariff,
    notes: &str,
    by: &Actor,
) -> Result<(), TariffError> {
    let problems = tariff.problems();
    if !problems.is_empty() {
        return Err(TariffError::Invalid(problems));
    }
    let (_, before) = lock_draft(conn, id)?;
    let after = serde_json::to_value(tariff).map_err(|e| DbError::other(e.to_string()))?;
    diesel::update(taxi_tariff_versions::table.find(id))
        .set((
            taxi_tariff_versions::rules.eq(&after),
            taxi_tariff_versions::notes.eq(notes),
            taxi_tariff_versions::updated_at.eq(Utc::now()),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        &audit::NewEntry {
            target_type: Some(TARGET),
            target_id: Some(id),
            details: json!({ "tarifa": { "before": before, "after": after } }),
            ..by.entry(Action::TaxiTariffUpdated)
        },
    )?;
    Ok(())
}

/// Publishes the draft `id`: the carrier's published version is retired in the same
/// transaction. Quotes already given keep their version id and breakdown.
pub fn publish(conn: &mut PgConnection, id: i64, by: &Actor) -> Result<(), TariffError> {
    let (carrier_id, rules) = lock_draft(conn, id)?;
    let tariff: Tariff = serde_json::from_value(rules)
        .map_err(|e| TariffError::Database(DbError::other(format!("tariff {id}: {e}"))))?;
    let problems = tariff.problems();
    if !problems.is_empty() {
        return Err(TariffError::Invalid(problems));
    }
    let now = Utc::now();
    let retired: Option<i64> = diesel::update(
        taxi_tariff_versions::table
            .filter(taxi_tariff_versions::carrier_id.eq(carrier_id))
            .filter(taxi_tariff_versions::status.eq("published")),
    )
    .set((
        taxi_tariff_versions::status.eq("retired"),
        taxi_tariff_versions::updated_at.eq(now),
    ))
    .returning(taxi_tariff_versions::id)
    .get_result(conn)
    .optional()?;
    diesel::update(taxi_tariff_versions::table.find(id))
        .set((
            taxi_tariff_versions::status.eq("published"),
            taxi_tariff_versions::published_at.eq(now),
            taxi_tariff_versions::published_by_staff_id.eq(by.staff_id),
            taxi_tariff_versions::updated_at.eq(now),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        &audit::NewEntry {
            target_type: Some(TARGET),
            target_id: Some(id),
            details: json!({ "sustituye_a": retired }),
            ..by.entry(Action::TaxiTariffPublished)
        },
    )?;
    Ok(())
}
