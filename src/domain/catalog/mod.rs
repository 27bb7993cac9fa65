//! The brokerage's catalogue: carriers (compañías), lines of business (ramos) and the products
//! each carrier sells in a line, with the broker's commission rates and their history.
//!
//! Staff with the catalogue permission maintain it. Nothing in use is deleted: an entry is
//! deactivated, and then no longer offered in forms (lists and records that use it keep it).

mod carrier;
pub(crate) mod fields;
mod line;
mod product;
mod rate;

pub use carrier::*;
pub use line::*;
pub use product::*;
pub use rate::*;

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::db::schema::{carriers, lines_of_business};
use crate::validation::FieldErrors;

/// The effective date of a product's first rate: it has applied since always.
pub fn since_always() -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).expect("a valid date")
}

/// The audit action of turning an entry on or off.
fn activation(active: bool) -> crate::audit::Action {
    if active {
        crate::audit::Action::CatalogActivated
    } else {
        crate::audit::Action::CatalogDeactivated
    }
}

/// What saving a catalogue entry gives: its id, or the fields to correct.
pub type Saved = Result<i64, FieldErrors>;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = carriers)]
pub struct Carrier {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub tax_id: String,
    pub dgsfp_key: String,
    pub active: bool,
    pub address: String,
    pub claims_phone: String,
    pub assistance_phone: String,
    pub email: String,
    pub notes: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = lines_of_business)]
pub struct Line {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub summary: String,
    pub position: i32,
    pub active: bool,
}

/// 1250 → "12,50 %" (Spanish decimal comma).
pub fn format_basis_points(bp: i32) -> String {
    format!("{},{:02} %", bp / 100, bp % 100)
}

/// 1250 → "12,50", as a form field shows it back.
pub fn basis_points_for_input(bp: i32) -> String {
    format!("{},{:02}", bp / 100, bp % 100)
}

/// The lines offered in forms and on the public site: the active ones, in their order.
pub fn lines(conn: &mut PgConnection) -> QueryResult<Vec<Line>> {
    lines_of_business::table
        .filter(lines_of_business::active.eq(true))
        .order((lines_of_business::position, lines_of_business::name))
        .select(Line::as_select())
        .load(conn)
}

/// Every line, inactive ones too: for list filters (old records keep their line) and the
/// catalogue page.
pub fn all_lines(conn: &mut PgConnection) -> QueryResult<Vec<Line>> {
    lines_of_business::table
        .order((
            lines_of_business::active.desc(),
            lines_of_business::position,
            lines_of_business::name,
        ))
        .select(Line::as_select())
        .load(conn)
}

/// The carriers offered in forms and filters: the active ones.
pub fn active_carriers(conn: &mut PgConnection) -> QueryResult<Vec<Carrier>> {
    carriers::table
        .filter(carriers::active.eq(true))
        .order(carriers::name)
        .select(Carrier::as_select())
        .load(conn)
}

/// Every carrier, active ones first: the catalogue page.
pub fn all_carriers(conn: &mut PgConnection) -> QueryResult<Vec<Carrier>> {
    carriers::table
        .order((carriers::active.desc(), carriers::name))
        .select(Carrier::as_select())
        .load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basis_points_show_as_spanish_percentages() {
        assert_eq!(format_basis_points(1250), "12,50 %");
        assert_eq!(format_basis_points(5), "0,05 %");
        assert_eq!(format_basis_points(10000), "100,00 %");
        assert_eq!(basis_points_for_input(1205), "12,05");
    }
}
