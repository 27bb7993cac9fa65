//! Customers from another system's file. Each row is checked by the rules of the customer
//! form ([`crate::customers::validate`]: DNI/NIE/CIF, e-mail, phone, postcode, IBAN, dates),
//! and matched by its tax id: a new one is created, a known one is updated with the columns
//! the file brings (an empty cell never erases what Soriano holds), an identical one is left
//! alone. So the same file imported twice changes nothing.

use std::collections::HashMap;
use std::ops::Range;

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::plan::{Cells, Columns, Counts, FieldSpec, Outcome, RowPlan, Seen, Source, first_time};
use super::table::Table;
use crate::audit::Actor;
use crate::customers::{self, CreateOutcome, Customer, CustomerForm, UpdateOutcome, ValidCustomer};
use crate::db::schema::customers as customer_rows;
use crate::identifiers::TaxId;

/// Customers, matched by tax id.
pub struct Customers;

/// The fields a column can fill.
pub const FIELDS: &[FieldSpec] = &[
    (
        "nif",
        "NIF, NIE o CIF",
        &[
            "nif",
            "dni",
            "nie",
            "cif",
            "nif/cif",
            "dni/nie",
            "documento",
            "nif cliente",
        ],
    ),
    (
        "tipo",
        "Tipo (persona o empresa)",
        &["tipo", "tipo de cliente", "tipo cliente", "persona"],
    ),
    ("nombre", "Nombre", &["nombre", "nombre cliente"]),
    (
        "apellidos",
        "Apellidos",
        &["apellidos", "apellido", "primer apellido"],
    ),
    (
        "razon_social",
        "Razón social",
        &["razón social", "razon social", "empresa", "denominación"],
    ),
    (
        "email",
        "Correo electrónico",
        &["email", "e-mail", "correo", "correo electrónico", "mail"],
    ),
    (
        "telefono",
        "Teléfono",
        &["teléfono", "telefono", "móvil", "movil", "tel", "tlf"],
    ),
    (
        "fecha_nacimiento",
        "Fecha de nacimiento",
        &[
            "fecha de nacimiento",
            "fecha nacimiento",
            "nacimiento",
            "f. nacimiento",
        ],
    ),
    (
        "direccion",
        "Dirección",
        &["dirección", "direccion", "domicilio", "calle"],
    ),
    (
        "codigo_postal",
        "Código postal",
        &["código postal", "codigo postal", "cp", "c.p."],
    ),
    (
        "localidad",
        "Localidad",
        &["localidad", "población", "poblacion", "municipio", "ciudad"],
    ),
    (
        "iban",
        "IBAN",
        &["iban", "cuenta", "cuenta bancaria", "ccc"],
    ),
    ("notas", "Notas", &["notas", "observaciones", "comentarios"]),
];

impl Source for Customers {
    type Row = ValidCustomer;
    const FIELDS: &'static [FieldSpec] = FIELDS;
    const REQUIRED: &'static [(&'static str, &'static str)] = &[(
        "nif",
        "Elija la columna del NIF: es la que dice si el cliente ya existe.",
    )];

    fn plan(
        conn: &mut PgConnection,
        table: &Table,
        columns: &Columns,
        range: Range<usize>,
        seen: &mut Seen,
    ) -> QueryResult<Vec<RowPlan<ValidCustomer>>> {
        plan(conn, table, columns, range, seen)
    }

    fn apply(
        conn: &mut PgConnection,
        actor: &Actor,
        rows: &[RowPlan<ValidCustomer>],
    ) -> QueryResult<Counts> {
        apply(conn, actor, rows)
    }
}

/// What importing rows `range` of `table` with `columns` would do, row by row. Reads only.
fn plan(
    conn: &mut PgConnection,
    table: &Table,
    columns: &Columns,
    range: Range<usize>,
    seen: &mut Seen,
) -> QueryResult<Vec<RowPlan<ValidCustomer>>> {
    let cells = Cells::new(table, columns);
    let cell = |row: &[String], field: &str| cells.get(row, field);
    let rows = &table.rows[range.clone()];
    // The customers the batch names, in one query.
    let tax_ids: Vec<String> = rows
        .iter()
        .filter_map(|row| TaxId::parse(&cell(row, "nif")).ok())
        .map(|id| id.as_str().to_owned())
        .collect();
    let known: HashMap<String, Customer> = customer_rows::table
        .filter(customer_rows::tax_id.eq_any(&tax_ids))
        .filter(customer_rows::merged_into_id.is_null())
        .select(Customer::as_select())
        .load(conn)?
        .into_iter()
        .map(|c| (c.tax_id.clone(), c))
        .collect();

    let mut planned = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let line = range.start + i + 2;
        let tax_id = TaxId::parse(&cell(row, "nif"))
            .ok()
            .map(|id| id.as_str().to_owned());
        let existing = tax_id.as_ref().and_then(|id| known.get(id));
        let mut form = existing.map(CustomerForm::of).unwrap_or_default();
        for (field, _, _) in FIELDS {
            let value = cell(row, field);
            if value.is_empty() {
                continue;
            }
            let slot = match *field {
                "nif" => &mut form.nif,
                "tipo" => &mut form.tipo,
                "nombre" => &mut form.nombre,
                "apellidos" => &mut form.apellidos,
                "razon_social" => &mut form.razon_social,
                "email" => &mut form.email,
                "telefono" => &mut form.telefono,
                "fecha_nacimiento" => &mut form.fecha_nacimiento,
                "direccion" => &mut form.direccion,
                "codigo_postal" => &mut form.codigo_postal,
                "localidad" => &mut form.localidad,
                "iban" => &mut form.iban,
                "notas" => &mut form.notas,
                _ => continue,
            };
            *slot = value;
        }
        form.tipo = kind_code(&form);
        let outcome = match (customers::validate(&form), &tax_id) {
            (Err(errors), _) => Outcome::Refused(
                errors
                    .iter()
                    .map(|(field, message)| cells.problem(FIELDS, row, field, message))
                    .collect(),
            ),
            (Ok(valid), Some(id)) => match first_time(seen, id, line) {
                Err(first) => Outcome::Refused(vec![cells.problem(
                    FIELDS,
                    row,
                    "nif",
                    format!("Este NIF ya está en la fila {first} del archivo."),
                )]),
                Ok(()) => match existing {
                    Some(c) if customers::is_unchanged(c, &valid) => Outcome::Unchanged(c.id),
                    Some(c) => Outcome::Update(c.id, Box::new(valid)),
                    None => Outcome::Create(Box::new(valid)),
                },
            },
            // Validation reads the tax id with the same parser: unreachable, but refuse.
            (Ok(_), None) => Outcome::Refused(vec![cells.problem(
                FIELDS,
                row,
                "nif",
                "Escriba un DNI, NIE o CIF válido.",
            )]),
        };
        planned.push(RowPlan { line, outcome });
    }
    Ok(planned)
}

/// `person` or `company` from what other systems write ("Persona física", "Empresa", "J"…);
/// when the file says nothing, a row with a company name and no given name is a company.
fn kind_code(form: &CustomerForm) -> String {
    let text = form.tipo.trim().to_lowercase();
    let company = match text.as_str() {
        "" => !form.razon_social.trim().is_empty() && form.nombre.trim().is_empty(),
        "company" | "empresa" | "j" | "jurídica" | "juridica" | "persona jurídica"
        | "persona juridica" | "sociedad" => true,
        "person" | "persona" | "f" | "física" | "fisica" | "persona física" | "persona fisica"
        | "particular" | "autónomo" | "autonomo" => false,
        // Unknown: left as typed, so that validation says "Elija persona o empresa".
        _ => return form.tipo.trim().to_owned(),
    };
    if company { "company" } else { "person" }.to_owned()
}

/// Writes the rows that create or change a customer, each audited as the form would be. The
/// new ones go in one insert; should one of them have been created meanwhile (a unique
/// violation), the batch's new rows go one by one instead, each finding its own outcome.
/// Call inside a transaction (the caller's batch).
fn apply(
    conn: &mut PgConnection,
    actor: &Actor,
    rows: &[RowPlan<ValidCustomer>],
) -> QueryResult<Counts> {
    let mut counts = Counts::default();
    let new: Vec<&ValidCustomer> = rows
        .iter()
        .filter_map(|row| match &row.outcome {
            Outcome::Create(valid) => Some(valid.as_ref()),
            _ => None,
        })
        .collect();
    match conn.transaction(|conn| customers::create_many(conn, actor, &new)) {
        Ok(ids) => counts.created += ids.len() as i32,
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            for valid in new {
                match customers::create(conn, actor, valid, &[], true)? {
                    CreateOutcome::Created(_) => counts.created += 1,
                    // Created meanwhile by someone else: the row is theirs now.
                    _ => counts.unchanged += 1,
                }
            }
        }
        Err(other) => return Err(other),
    }
    for row in rows {
        match &row.outcome {
            Outcome::Create(_) => {}
            Outcome::Update(id, valid) => {
                let scope = crate::auth::permissions::PortfolioScope::All;
                match customers::update(conn, actor, scope, *id, valid)? {
                    UpdateOutcome::Updated(_) => counts.updated += 1,
                    _ => counts.refused += 1,
                }
            }
            Outcome::Unchanged(_) => counts.unchanged += 1,
            Outcome::Refused(_) => counts.refused += 1,
        }
    }
    Ok(counts)
}
