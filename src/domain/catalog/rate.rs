//! Commission rates with their history. A rate applies to the receipts collected from its
//! effective date (`commissions::commands` picks the one in force on the collection date);
//! commission lines already booked keep the rate they were booked with.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Saved, format_basis_points, since_always};
use crate::audit::{Action, Actor, target};
use crate::db::schema::{commission_rates, products, staff_users};
use crate::validation::{FieldErrors, Validated, parse_date, parse_fixed};

/// The rate form as typed: from when, and the two percentages.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct RateForm {
    pub desde: String,
    pub comision_nueva: String,
    pub comision_cartera: String,
}

/// A valid rate.
#[derive(Debug, Clone, Copy)]
pub struct RateInput {
    pub effective_from: NaiveDate,
    pub new_business_bp: i32,
    pub renewal_bp: i32,
}

impl RateForm {
    pub fn validate(&self) -> Validated<RateInput> {
        let mut errors = FieldErrors::new();
        let effective_from = match parse_date(&self.desde) {
            Ok(day) if day <= since_always() => {
                errors.add(
                    "desde",
                    "Escriba una fecha posterior al 1 de enero de 2000.",
                );
                day
            }
            Ok(day) => day,
            Err(message) => {
                errors.add("desde", message);
                since_always()
            }
        };
        let new_business_bp = percent(&mut errors, "comision_nueva", &self.comision_nueva);
        let renewal_bp = percent(&mut errors, "comision_cartera", &self.comision_cartera);
        errors.into_result(RateInput {
            effective_from,
            new_business_bp,
            renewal_bp,
        })
    }
}

/// "12,5" / "12.5 %" → 1250 basis points, between 0 and 100 %.
pub(super) fn percent(errors: &mut FieldErrors, field: &'static str, text: &str) -> i32 {
    if text.trim().is_empty() {
        errors.add(field, "Escriba el porcentaje de comisión.");
        return 0;
    }
    match parse_fixed(text, 2) {
        Some(bp) if bp <= 10_000 => bp as i32,
        _ => {
            errors.add(
                field,
                "Escriba un porcentaje entre 0 y 100, con dos decimales como mucho (por ejemplo, 12,5).",
            );
            0
        }
    }
}

/// One rate of a product's history.
#[derive(Debug, Clone, Queryable)]
pub struct Rate {
    pub effective_from: NaiveDate,
    pub new_business_bp: i32,
    pub renewal_bp: i32,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<String>,
}

impl Rate {
    pub fn new_business(&self) -> String {
        format_basis_points(self.new_business_bp)
    }

    pub fn renewal(&self) -> String {
        format_basis_points(self.renewal_bp)
    }

    /// "Desde el alta" for the first rate of a product, the date otherwise.
    pub fn since(&self) -> String {
        if self.effective_from <= since_always() {
            "Desde el alta".to_owned()
        } else {
            crate::format::date(self.effective_from)
        }
    }
}

/// A product's rates, the latest effective date first.
pub fn rates_of(conn: &mut PgConnection, product_id: i64) -> QueryResult<Vec<Rate>> {
    commission_rates::table
        .left_join(staff_users::table)
        .filter(commission_rates::product_id.eq(product_id))
        .order(commission_rates::effective_from.desc())
        .select((
            commission_rates::effective_from,
            commission_rates::new_business_bp,
            commission_rates::renewal_bp,
            commission_rates::created_at,
            staff_users::name.nullable(),
        ))
        .load(conn)
}

/// Which rate of `rates` (latest first) is in force on `day`: its index.
pub fn in_force_on(rates: &[Rate], day: NaiveDate) -> Option<usize> {
    rates.iter().position(|rate| rate.effective_from <= day)
}

/// Adds a rate to the product from its effective date; a second rate from the same date is
/// refused next to the date. Audited with the rate.
pub fn add_rate(
    conn: &mut PgConnection,
    by: &Actor,
    product_id: i64,
    input: &RateInput,
) -> QueryResult<Saved> {
    // Locks the product so two rates of the same date cannot race past the check.
    products::table
        .find(product_id)
        .select(products::id)
        .for_update()
        .first::<i64>(conn)?;
    let inserted = insert_rate(conn, by, product_id, input)?;
    if inserted == 0 {
        let mut errors = FieldErrors::new();
        errors.add(
            "desde",
            "Ya hay una comisión que empieza ese día: elija otra fecha.",
        );
        return Ok(Err(errors));
    }
    by.record(
        conn,
        Action::CommissionRateAdded,
        target::PRODUCT,
        product_id,
        json!({
            "desde": input.effective_from,
            "comision_nueva": input.new_business_bp,
            "comision_cartera": input.renewal_bp,
        }),
    )?;
    Ok(Ok(product_id))
}

/// Inserts the rate unless the product has one from that date: the rows inserted.
pub(super) fn insert_rate(
    conn: &mut PgConnection,
    by: &Actor,
    product_id: i64,
    input: &RateInput,
) -> QueryResult<usize> {
    diesel::insert_into(commission_rates::table)
        .values((
            commission_rates::product_id.eq(product_id),
            commission_rates::effective_from.eq(input.effective_from),
            commission_rates::new_business_bp.eq(input.new_business_bp),
            commission_rates::renewal_bp.eq(input.renewal_bp),
            commission_rates::created_by_staff_id.eq(by.staff()),
        ))
        .on_conflict((
            commission_rates::product_id,
            commission_rates::effective_from,
        ))
        .do_nothing()
        .execute(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(desde: &str, nueva: &str, cartera: &str) -> RateForm {
        RateForm {
            desde: desde.into(),
            comision_nueva: nueva.into(),
            comision_cartera: cartera.into(),
        }
    }

    #[test]
    fn rates_read_spanish_percentages_up_to_one_hundred() {
        let rate = form("01/03/2027", "12,5", "10 %").validate().unwrap();
        assert_eq!(rate.new_business_bp, 1250);
        assert_eq!(rate.renewal_bp, 1000);
        assert_eq!(
            rate.effective_from,
            NaiveDate::from_ymd_opt(2027, 3, 1).unwrap()
        );
        let errors = form("", "100,01", "-3").validate().unwrap_err();
        assert!(errors.has("desde"));
        assert!(errors.has("comision_nueva"));
        assert!(errors.has("comision_cartera"));
        assert!(form("2026-12-01", "100", "0").validate().is_ok());
        assert!(
            form("1999-12-31", "1", "1")
                .validate()
                .unwrap_err()
                .has("desde")
        );
    }
}
