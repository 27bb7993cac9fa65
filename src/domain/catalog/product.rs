//! Products: what a carrier sells in a line, with what it covers and its commission rates.
//! A product keeps its carrier and line once created (its policies and commissions point at
//! them); its name and cover summary can change, and its rates change by adding a rate.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::fields::{free_code, optional, required};
use super::rate::{RateInput, insert_rate, percent};
use super::{Saved, format_basis_points, since_always};
use crate::audit::{Action, Actor, target};
use crate::db::schema::{carriers, commission_rates, lines_of_business, products};
use crate::validation::{FieldErrors, Validated};

/// A product with the names of its carrier and line and the rates in force on a day, for lists.
#[derive(Debug, Clone, Queryable)]
pub struct ProductRow {
    pub id: i64,
    pub name: String,
    pub carrier_name: String,
    pub line_name: String,
    pub active: bool,
    pub cover_summary: String,
    pub commission_new_bp: Option<i32>,
    pub commission_renewal_bp: Option<i32>,
}

impl ProductRow {
    pub fn commission_new(&self) -> String {
        self.commission_new_bp
            .map(format_basis_points)
            .unwrap_or_else(|| "—".to_owned())
    }
    pub fn commission_renewal(&self) -> String {
        self.commission_renewal_bp
            .map(format_basis_points)
            .unwrap_or_else(|| "—".to_owned())
    }
}

/// Every product with its carrier, line and the rates in force on `day`, in one query (no
/// N+1: the rates are two index probes per row).
pub fn products(conn: &mut PgConnection, day: NaiveDate) -> QueryResult<Vec<ProductRow>> {
    let in_force = || {
        commission_rates::table
            .filter(commission_rates::product_id.eq(products::id))
            .filter(commission_rates::effective_from.le(day))
            .order(commission_rates::effective_from.desc())
            .limit(1)
    };
    products::table
        .inner_join(carriers::table)
        .inner_join(lines_of_business::table)
        .order((
            products::active.desc(),
            carriers::name,
            lines_of_business::position,
            products::name,
        ))
        .select((
            products::id,
            products::name,
            carriers::name,
            lines_of_business::name,
            products::active,
            products::cover_summary,
            in_force()
                .select(commission_rates::new_business_bp)
                .single_value(),
            in_force()
                .select(commission_rates::renewal_bp)
                .single_value(),
        ))
        .load(conn)
}

/// One product as its page shows it.
#[derive(Debug, Clone, Queryable)]
pub struct Product {
    pub id: i64,
    pub carrier_id: i64,
    pub line_id: i64,
    pub name: String,
    pub cover_summary: String,
    pub active: bool,
    pub carrier_name: String,
    pub line_name: String,
}

pub fn find_product(conn: &mut PgConnection, id: i64) -> QueryResult<Product> {
    products::table
        .inner_join(carriers::table)
        .inner_join(lines_of_business::table)
        .filter(products::id.eq(id))
        .select((
            products::id,
            products::carrier_id,
            products::line_id,
            products::name,
            products::cover_summary,
            products::active,
            carriers::name,
            lines_of_business::name,
        ))
        .first(conn)
}

/// The product form as typed: carrier, line and rates count only when creating.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ProductForm {
    pub compania: String,
    pub ramo: String,
    pub nombre: String,
    pub coberturas: String,
    pub comision_nueva: String,
    pub comision_cartera: String,
}

impl ProductForm {
    pub fn of(product: &Product) -> Self {
        Self {
            compania: product.carrier_id.to_string(),
            ramo: product.line_id.to_string(),
            nombre: product.name.clone(),
            coberturas: product.cover_summary.clone(),
            ..Self::default()
        }
    }

    /// A new product: everything is required.
    pub fn validate_new(&self) -> Validated<NewProduct> {
        let mut errors = FieldErrors::new();
        let carrier_id = id_of(
            &mut errors,
            "compania",
            &self.compania,
            "Elija la compañía.",
        );
        let line_id = id_of(&mut errors, "ramo", &self.ramo, "Elija el ramo.");
        let details = self.details(&mut errors);
        let rate = RateInput {
            effective_from: since_always(),
            new_business_bp: percent(&mut errors, "comision_nueva", &self.comision_nueva),
            renewal_bp: percent(&mut errors, "comision_cartera", &self.comision_cartera),
        };
        errors.into_result(NewProduct {
            carrier_id,
            line_id,
            details,
            rate,
        })
    }

    /// An existing product's name and cover summary.
    pub fn validate_details(&self) -> Validated<ProductDetails> {
        let mut errors = FieldErrors::new();
        let details = self.details(&mut errors);
        errors.into_result(details)
    }

    fn details(&self, errors: &mut FieldErrors) -> ProductDetails {
        ProductDetails {
            name: required(
                errors,
                "nombre",
                &self.nombre,
                120,
                "Escriba el nombre del producto.",
            ),
            cover_summary: optional(errors, "coberturas", &self.coberturas, 1000),
        }
    }
}

fn id_of(errors: &mut FieldErrors, field: &'static str, text: &str, missing: &'static str) -> i64 {
    match text.trim().parse::<i64>() {
        Ok(id) if id > 0 => id,
        _ => {
            errors.add(field, missing);
            0
        }
    }
}

/// Serialised with the form's names: the audit entry's details.
#[derive(Debug, Clone, Serialize)]
pub struct ProductDetails {
    #[serde(rename = "nombre")]
    pub name: String,
    #[serde(rename = "coberturas")]
    pub cover_summary: String,
}

#[derive(Debug, Clone)]
pub struct NewProduct {
    pub carrier_id: i64,
    pub line_id: i64,
    pub details: ProductDetails,
    pub rate: RateInput,
}

/// Whether another product of the carrier has this name.
fn name_taken(
    conn: &mut PgConnection,
    carrier_id: i64,
    name: &str,
    except: i64,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        products::table
            .filter(products::carrier_id.eq(carrier_id))
            .filter(products::name.eq(name))
            .filter(products::id.ne(except)),
    ))
    .get_result(conn)
}

fn name_error() -> FieldErrors {
    let mut errors = FieldErrors::new();
    errors.add(
        "nombre",
        "Esta compañía ya tiene un producto con este nombre.",
    );
    errors
}

/// Creates the product with its first rate (in force since always). Only active carriers and
/// lines take new products. Audited.
pub fn create_product(
    conn: &mut PgConnection,
    by: &Actor,
    input: &NewProduct,
) -> QueryResult<Saved> {
    let mut errors = FieldErrors::new();
    let carrier_active = carriers::table
        .find(input.carrier_id)
        .select(carriers::active)
        .first::<bool>(conn)
        .optional()?;
    if carrier_active != Some(true) {
        errors.add("compania", "Elija una compañía activa.");
    }
    let line_active = lines_of_business::table
        .find(input.line_id)
        .select(lines_of_business::active)
        .first::<bool>(conn)
        .optional()?;
    if line_active != Some(true) {
        errors.add("ramo", "Elija un ramo activo.");
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    if name_taken(conn, input.carrier_id, &input.details.name, 0)? {
        return Ok(Err(name_error()));
    }
    let code = free_code(&input.details.name, 44, "producto", |code| {
        diesel::select(diesel::dsl::exists(
            products::table
                .filter(products::carrier_id.eq(input.carrier_id))
                .filter(products::code.eq(code)),
        ))
        .get_result(conn)
    })?;
    let id: i64 = diesel::insert_into(products::table)
        .values((
            products::carrier_id.eq(input.carrier_id),
            products::line_id.eq(input.line_id),
            products::code.eq(code),
            products::name.eq(&input.details.name),
            products::cover_summary.eq(&input.details.cover_summary),
        ))
        .returning(products::id)
        .get_result(conn)?;
    insert_rate(conn, by, id, &input.rate)?;
    by.record(
        conn,
        Action::CatalogCreated,
        target::PRODUCT,
        id,
        json!({
            "compania": input.carrier_id,
            "ramo": input.line_id,
            "nombre": input.details.name,
            "coberturas": input.details.cover_summary,
            "comision_nueva": input.rate.new_business_bp,
            "comision_cartera": input.rate.renewal_bp,
        }),
    )?;
    Ok(Ok(id))
}

/// Changes the product's name and cover summary. Audited.
pub fn update_product(
    conn: &mut PgConnection,
    by: &Actor,
    id: i64,
    input: &ProductDetails,
) -> QueryResult<Saved> {
    let carrier_id: i64 = products::table
        .find(id)
        .select(products::carrier_id)
        .first(conn)?;
    if name_taken(conn, carrier_id, &input.name, id)? {
        return Ok(Err(name_error()));
    }
    diesel::update(products::table.find(id))
        .set((
            products::name.eq(&input.name),
            products::cover_summary.eq(&input.cover_summary),
        ))
        .execute(conn)?;
    by.record(
        conn,
        Action::CatalogUpdated,
        target::PRODUCT,
        id,
        json!(input),
    )?;
    Ok(Ok(id))
}

/// Activates or deactivates the product; an inactive product is no longer offered in forms.
pub fn set_product_active(
    conn: &mut PgConnection,
    by: &Actor,
    id: i64,
    active: bool,
) -> QueryResult<()> {
    let updated = diesel::update(products::table.find(id))
        .set(products::active.eq(active))
        .execute(conn)?;
    if updated == 0 {
        return Err(diesel::result::Error::NotFound);
    }
    by.record(
        conn,
        super::activation(active),
        target::PRODUCT,
        id,
        json!({}),
    )
}
