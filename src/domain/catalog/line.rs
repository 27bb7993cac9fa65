//! Lines of business (ramos): their name and the summary the public site shows.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::fields::{free_code, optional, required};
use super::{Line, Saved};
use crate::audit::{Action, Actor, target};
use crate::db::schema::lines_of_business;
use crate::validation::{FieldErrors, Validated};

/// The line form as typed.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct LineForm {
    pub nombre: String,
    pub resumen: String,
}

/// A valid line. Serialised with the form's names: the audit entry's details.
#[derive(Debug, Clone, Serialize)]
pub struct LineInput {
    #[serde(rename = "nombre")]
    pub name: String,
    #[serde(rename = "resumen")]
    pub summary: String,
}

impl LineForm {
    pub fn of(line: &Line) -> Self {
        Self {
            nombre: line.name.clone(),
            resumen: line.summary.clone(),
        }
    }

    pub fn validate(&self) -> Validated<LineInput> {
        let mut errors = FieldErrors::new();
        let name = required(
            &mut errors,
            "nombre",
            &self.nombre,
            80,
            "Escriba el nombre del ramo.",
        );
        let summary = optional(&mut errors, "resumen", &self.resumen, 300);
        errors.into_result(LineInput { name, summary })
    }
}

pub fn find_line(conn: &mut PgConnection, id: i64) -> QueryResult<Line> {
    lines_of_business::table
        .find(id)
        .select(Line::as_select())
        .first(conn)
}

/// Creates the line (at the end of the order) or updates it. Audited.
pub fn save_line(
    conn: &mut PgConnection,
    by: &Actor,
    id: Option<i64>,
    input: &LineInput,
) -> QueryResult<Saved> {
    let name_taken = diesel::select(diesel::dsl::exists(
        lines_of_business::table
            .filter(lines_of_business::id.ne(id.unwrap_or(0)))
            .filter(lines_of_business::name.eq(&input.name)),
    ))
    .get_result::<bool>(conn)?;
    if name_taken {
        let mut errors = FieldErrors::new();
        errors.add("nombre", "Ya hay otro ramo con este nombre.");
        return Ok(Err(errors));
    }
    let values = (
        lines_of_business::name.eq(&input.name),
        lines_of_business::summary.eq(&input.summary),
    );
    let (id, action) = match id {
        Some(id) => {
            let updated = diesel::update(lines_of_business::table.find(id))
                .set(values)
                .execute(conn)?;
            if updated == 0 {
                return Err(diesel::result::Error::NotFound);
            }
            (id, Action::CatalogUpdated)
        }
        None => {
            let code = free_code(&input.name, 28, "ramo", |code| {
                diesel::select(diesel::dsl::exists(
                    lines_of_business::table.filter(lines_of_business::code.eq(code)),
                ))
                .get_result(conn)
            })?;
            let last: Option<i32> = lines_of_business::table
                .select(diesel::dsl::max(lines_of_business::position))
                .first(conn)?;
            let id = diesel::insert_into(lines_of_business::table)
                .values((
                    lines_of_business::code.eq(code),
                    lines_of_business::position.eq(last.unwrap_or(0) + 1),
                    values,
                ))
                .returning(lines_of_business::id)
                .get_result(conn)?;
            (id, Action::CatalogCreated)
        }
    };
    by.record(conn, action, target::LINE, id, json!(input))?;
    Ok(Ok(id))
}

/// Activates or deactivates the line; an inactive line is no longer offered in forms nor on
/// the public site.
pub fn set_line_active(
    conn: &mut PgConnection,
    by: &Actor,
    id: i64,
    active: bool,
) -> QueryResult<()> {
    let updated = diesel::update(lines_of_business::table.find(id))
        .set(lines_of_business::active.eq(active))
        .execute(conn)?;
    if updated == 0 {
        return Err(diesel::result::Error::NotFound);
    }
    by.record(conn, super::activation(active), target::LINE, id, json!({}))
}
