//! Customers from another system's file. Each row is checked by the rules of the customer
//! form ([`crate::customers::validate`]: DNI/NIE/CIF, e-mail, phone, postcode, IBAN, dates),
//! and matched by its tax id: a new one is created, a known one is updated with the columns
//! the file brings (an empty cell never erases what Soriano holds), an identical one is left
//! alone. So the same file imported twice changes nothing.

use std::collections::{BTreeMap, HashMap};

use diesel::prelude::*;

use super::table::Table;
use crate::audit::Actor;
use crate::customers::{self, CreateOutcome, Customer, CustomerForm, UpdateOutcome, ValidCustomer};
use crate::db::schema::customers as customer_rows;
use crate::identifiers::TaxId;

/// The fields a column can fill: (form field, label, headers other systems use for it).
pub const FIELDS: &[(&str, &str, &[&str])] = &[
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

/// The label of form field `field`.
pub fn label(field: &str) -> &'static str {
    FIELDS
        .iter()
        .find(|(f, _, _)| *f == field)
        .map_or("", |(_, label, _)| label)
}

/// Which column (by its header) fills which field.
pub type Columns = BTreeMap<String, String>;

/// A first mapping from the headers: each field takes the column whose header is one of its
/// usual names.
pub fn guess(table: &Table) -> Columns {
    let mut columns = Columns::new();
    for (field, label, names) in FIELDS {
        let found = table.headers.iter().find(|header| {
            let header = header.trim().to_lowercase();
            header == label.to_lowercase() || names.contains(&header.as_str())
        });
        if let Some(header) = found {
            columns.insert((*field).to_owned(), header.clone());
        }
    }
    columns
}

/// What is wrong with a mapping before any row is read.
pub fn check(table: &Table, columns: &Columns) -> Result<(), String> {
    if !columns.contains_key("nif") {
        return Err("Elija la columna del NIF: es la que dice si el cliente ya existe.".into());
    }
    for header in columns.values() {
        if table.column(header).is_none() {
            return Err(format!("El archivo no tiene la columna «{header}»."));
        }
    }
    Ok(())
}

/// One problem of a refused row: the column, what it held and why it cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub column: String,
    pub value: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Create(Box<ValidCustomer>),
    Update(i64, Box<ValidCustomer>),
    Unchanged(i64),
    Refused(Vec<Problem>),
}

/// A row of the file and what importing it does. `line` is the row's number as a spreadsheet
/// shows it (the headers are line 1).
#[derive(Debug, Clone, PartialEq)]
pub struct RowPlan {
    pub line: usize,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub created: i32,
    pub updated: i32,
    pub unchanged: i32,
    pub refused: i32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub rows: Vec<RowPlan>,
}

impl Plan {
    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for row in &self.rows {
            match row.outcome {
                Outcome::Create(_) => counts.created += 1,
                Outcome::Update(..) => counts.updated += 1,
                Outcome::Unchanged(_) => counts.unchanged += 1,
                Outcome::Refused(_) => counts.refused += 1,
            }
        }
        counts
    }

    pub fn refused(&self) -> impl Iterator<Item = (usize, &[Problem])> {
        self.rows.iter().filter_map(|row| match &row.outcome {
            Outcome::Refused(problems) => Some((row.line, problems.as_slice())),
            _ => None,
        })
    }
}

/// What importing `table` with `columns` would do, row by row. Reads only.
pub fn plan(conn: &mut PgConnection, table: &Table, columns: &Columns) -> QueryResult<Plan> {
    let index: HashMap<&str, usize> = columns
        .iter()
        .filter_map(|(field, header)| Some((field.as_str(), table.column(header)?)))
        .collect();
    let cell = |row: &[String], field: &str| -> String {
        index
            .get(field)
            .map(|&c| table.cell(row, c).trim().to_owned())
            .unwrap_or_default()
    };
    // The customers the file names, in one query.
    let tax_ids: Vec<String> = table
        .rows
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

    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut rows = Vec::with_capacity(table.rows.len());
    for (i, row) in table.rows.iter().enumerate() {
        let line = i + 2;
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
                    .map(|(field, message)| Problem {
                        column: columns
                            .get(field)
                            .cloned()
                            .unwrap_or_else(|| label(field).to_owned()),
                        value: cell(row, field),
                        message: message.to_owned(),
                    })
                    .collect(),
            ),
            (Ok(valid), Some(id)) => {
                if let Some(first) = seen.get(id) {
                    Outcome::Refused(vec![Problem {
                        column: columns["nif"].clone(),
                        value: cell(row, "nif"),
                        message: format!("Este NIF ya está en la fila {first} del archivo."),
                    }])
                } else {
                    seen.insert(id.clone(), line);
                    match existing {
                        Some(c) if customers::is_unchanged(c, &valid) => Outcome::Unchanged(c.id),
                        Some(c) => Outcome::Update(c.id, Box::new(valid)),
                        None => Outcome::Create(Box::new(valid)),
                    }
                }
            }
            // Validation reads the tax id with the same parser: unreachable, but refuse.
            (Ok(_), None) => Outcome::Refused(vec![Problem {
                column: columns["nif"].clone(),
                value: cell(row, "nif"),
                message: "Escriba un DNI, NIE o CIF válido.".into(),
            }]),
        };
        rows.push(RowPlan { line, outcome });
    }
    Ok(Plan { rows })
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

/// Writes the rows of `plan` that create or change a customer, each audited as the form
/// would be. Call inside a transaction (the caller's batch).
pub fn apply(conn: &mut PgConnection, actor: &Actor, rows: &[RowPlan]) -> QueryResult<Counts> {
    let mut counts = Counts::default();
    for row in rows {
        match &row.outcome {
            Outcome::Create(valid) => {
                match customers::create(conn, actor, valid, &[], true)? {
                    CreateOutcome::Created(_) => counts.created += 1,
                    // Created meanwhile by someone else: the row is theirs now.
                    _ => counts.unchanged += 1,
                }
            }
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
