//! The brokerage's catalogue: carriers (compañías), lines of business (ramos) and the products
//! each carrier sells in a line, with the broker's commission rates.

use diesel::prelude::*;

use crate::db::schema::{carriers, lines_of_business, products};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = carriers)]
pub struct Carrier {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub tax_id: String,
    pub dgsfp_key: String,
    pub active: bool,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = lines_of_business)]
pub struct Line {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub summary: String,
    pub position: i32,
}

/// A product with the names of its carrier and line, for lists.
#[derive(Debug, Clone, Queryable)]
pub struct ProductRow {
    pub id: i64,
    pub name: String,
    pub carrier_name: String,
    pub line_name: String,
    pub commission_new_bp: i32,
    pub commission_renewal_bp: i32,
    pub active: bool,
}

impl ProductRow {
    pub fn commission_new(&self) -> String {
        format_basis_points(self.commission_new_bp)
    }
    pub fn commission_renewal(&self) -> String {
        format_basis_points(self.commission_renewal_bp)
    }
}

/// 1250 → "12,50 %" (Spanish decimal comma).
pub fn format_basis_points(bp: i32) -> String {
    format!("{},{:02} %", bp / 100, bp % 100)
}

pub fn lines(conn: &mut PgConnection) -> QueryResult<Vec<Line>> {
    lines_of_business::table
        .order((lines_of_business::position, lines_of_business::name))
        .select(Line::as_select())
        .load(conn)
}

pub fn active_carriers(conn: &mut PgConnection) -> QueryResult<Vec<Carrier>> {
    carriers::table
        .filter(carriers::active.eq(true))
        .order(carriers::name)
        .select(Carrier::as_select())
        .load(conn)
}

/// Every product with its carrier and line, in one query (no N+1).
pub fn products(conn: &mut PgConnection) -> QueryResult<Vec<ProductRow>> {
    products::table
        .inner_join(carriers::table)
        .inner_join(lines_of_business::table)
        .order((carriers::name, lines_of_business::position, products::name))
        .select((
            products::id,
            products::name,
            carriers::name,
            lines_of_business::name,
            products::commission_new_bp,
            products::commission_renewal_bp,
            products::active,
        ))
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
    }
}
