//! Policies from another system's file, with their risk data per line. Each row names its
//! customer by tax id, its carrier by name or CIF, its product by name (or, when the carrier
//! has a single product of the line named, by the line) and its agent by e-mail; once those are
//! found the row is checked by the rules of the new-policy form ([`policies::check_new`]:
//! dates, premiums, the number free for the carrier, the risk data of the product's line).
//!
//! A policy is matched by carrier and number. A known one is left as it is: the import brings
//! the book in, it does not change contracts (premiums and dates change through endorsements
//! and renewals, which keep their history). So the same file imported twice changes nothing.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::plan::{Cells, Columns, Counts, FieldSpec, Outcome, RowPlan, Seen, Source, first_time};
use super::table::Table;
use crate::audit::Actor;
use crate::db::schema::{carriers, customers, lines_of_business, policies, products, staff_users};
use crate::identifiers::TaxId;
use crate::policies::queries::{
    self as policy_queries, CustomerRef, NewPolicy, PolicyError, PolicyFacts, PolicyForm,
    ProductFacts,
};
use crate::policies::rules::{Frequency, RiskInput};

/// Policies, matched by carrier and number.
pub struct Policies;

/// The fields a column can fill: the policy's, then its risk's (only those of the product's
/// line are read).
pub const FIELDS: &[FieldSpec] = &[
    (
        "nif",
        "NIF del cliente",
        &[
            "nif",
            "dni",
            "nif cliente",
            "dni cliente",
            "nif tomador",
            "tomador",
        ],
    ),
    (
        "compania",
        "Compañía",
        &["compañía", "compania", "aseguradora", "cia", "cía"],
    ),
    ("producto", "Producto", &["producto", "modalidad"]),
    ("ramo", "Ramo", &["ramo", "línea", "linea"]),
    (
        "numero",
        "Número de póliza",
        &[
            "póliza",
            "poliza",
            "nº póliza",
            "n.º póliza",
            "número póliza",
            "num poliza",
        ],
    ),
    (
        "efecto",
        "Fecha de efecto",
        &["efecto", "fecha efecto", "f. efecto", "alta"],
    ),
    (
        "vencimiento",
        "Fecha de vencimiento",
        &["vencimiento", "fecha vencimiento", "f. vencimiento"],
    ),
    ("prima_neta", "Prima neta", &["prima neta", "neta"]),
    (
        "prima_total",
        "Prima total",
        &["prima total", "prima", "total", "importe"],
    ),
    (
        "forma_pago",
        "Forma de pago",
        &[
            "forma de pago",
            "forma pago",
            "fraccionamiento",
            "periodicidad",
        ],
    ),
    (
        "agente",
        "Agente (correo)",
        &["agente", "comercial", "correo agente", "email agente"],
    ),
    ("matricula", "Matrícula", &["matrícula", "matricula"]),
    ("marca", "Marca", &["marca"]),
    ("modelo", "Modelo", &["modelo"]),
    (
        "anio_matriculacion",
        "Año de matriculación",
        &[
            "año matriculación",
            "año de matriculación",
            "anio matriculacion",
            "año",
        ],
    ),
    (
        "direccion",
        "Dirección del riesgo",
        &[
            "dirección riesgo",
            "direccion riesgo",
            "situación del riesgo",
        ],
    ),
    (
        "codigo_postal",
        "Código postal del riesgo",
        &["cp riesgo", "código postal riesgo", "codigo postal riesgo"],
    ),
    (
        "poblacion",
        "Población del riesgo",
        &["población riesgo", "poblacion riesgo"],
    ),
    (
        "superficie",
        "Superficie (m²)",
        &["superficie", "m2", "metros"],
    ),
    (
        "anio_construccion",
        "Año de construcción",
        &[
            "año construcción",
            "año de construcción",
            "anio construccion",
        ],
    ),
    (
        "asegurado1_nombre",
        "Asegurado 1: nombre",
        &["asegurado", "asegurado 1", "nombre asegurado"],
    ),
    (
        "asegurado1_nacimiento",
        "Asegurado 1: fecha de nacimiento",
        &["nacimiento asegurado", "fecha nacimiento asegurado"],
    ),
    ("asegurado2_nombre", "Asegurado 2: nombre", &["asegurado 2"]),
    (
        "asegurado2_nacimiento",
        "Asegurado 2: fecha de nacimiento",
        &["nacimiento asegurado 2"],
    ),
    ("asegurado3_nombre", "Asegurado 3: nombre", &["asegurado 3"]),
    (
        "asegurado3_nacimiento",
        "Asegurado 3: fecha de nacimiento",
        &["nacimiento asegurado 3"],
    ),
    (
        "descripcion",
        "Descripción del riesgo",
        &["descripción", "descripcion", "riesgo", "objeto"],
    ),
];

/// What the new-policy form calls a field the import calls otherwise (the form picks a
/// customer by id; the file names them by tax id).
fn import_field(form_field: &str) -> &str {
    match form_field {
        "cliente" => "nif",
        other => other,
    }
}

/// `annual`… from what other systems write ("Anual", "TRIMESTRAL", "Mensual"…).
fn frequency_code(text: &str) -> String {
    let text = text.trim().to_lowercase();
    let found = match text.as_str() {
        "anual" | "a" | "única" | "unica" | "annual" => Some(Frequency::Annual),
        "semestral" | "s" | "semiannual" => Some(Frequency::Semiannual),
        "trimestral" | "t" | "quarterly" => Some(Frequency::Quarterly),
        "mensual" | "m" | "monthly" => Some(Frequency::Monthly),
        _ => None,
    };
    // Unknown: left as typed, so that the form's rule says "Elija la forma de pago".
    found.map_or(text, |f| f.code().to_owned())
}

/// Folds case and accents, so that «MAPFRE» finds «Mapfre» and «Compañía» «compania».
fn folded(text: &str) -> String {
    text.trim()
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'á' | 'à' | 'ä' => 'a',
            'é' | 'è' | 'ë' => 'e',
            'í' | 'ì' | 'ï' => 'i',
            'ó' | 'ò' | 'ö' => 'o',
            'ú' | 'ù' | 'ü' => 'u',
            'ñ' => 'n',
            other => other,
        })
        .collect()
}

/// The catalogue and the staff as the rows name them, read once per batch.
struct Book {
    /// Active carriers by folded name and by CIF.
    carriers: HashMap<String, (i64, String)>,
    /// The ids of the active carriers.
    carrier_ids: HashSet<i64>,
    /// Active products by (carrier, folded name).
    products: HashMap<(i64, String), i64>,
    /// Active products by (carrier, folded line name or code): several → ambiguous (`None`).
    by_line: HashMap<(i64, String), Option<i64>>,
    /// What the policy rules need of each active product.
    product_facts: HashMap<i64, ProductFacts>,
    staff: HashMap<String, i64>,
    /// Active staff who may hold a portfolio (not claims handlers).
    agents: HashSet<i64>,
}

impl Book {
    fn read(conn: &mut PgConnection) -> QueryResult<Self> {
        let mut carriers_found = HashMap::new();
        let mut carrier_ids = HashSet::new();
        for (id, name, cif) in carriers::table
            .filter(carriers::active.eq(true))
            .select((carriers::id, carriers::name, carriers::tax_id))
            .load::<(i64, String, String)>(conn)?
        {
            carrier_ids.insert(id);
            carriers_found.insert(folded(&name), (id, name.clone()));
            if !cif.trim().is_empty() {
                carriers_found.insert(folded(&cif), (id, name));
            }
        }
        let mut products_found = HashMap::new();
        let mut by_line: HashMap<(i64, String), Option<i64>> = HashMap::new();
        let mut product_facts = HashMap::new();
        for (id, carrier, name, line_id, line_name, line_code) in products::table
            .inner_join(lines_of_business::table)
            .filter(products::active.eq(true))
            .select((
                products::id,
                products::carrier_id,
                products::name,
                products::line_id,
                lines_of_business::name,
                lines_of_business::code,
            ))
            .load::<(i64, i64, String, i64, String, String)>(conn)?
        {
            product_facts.insert(
                id,
                ProductFacts {
                    carrier_id: carrier,
                    line_id,
                    line_code: line_code.clone(),
                },
            );
            products_found.insert((carrier, folded(&name)), id);
            for key in [folded(&line_name), folded(&line_code)] {
                by_line
                    .entry((carrier, key))
                    .and_modify(|found| *found = None)
                    .or_insert(Some(id));
            }
        }
        let mut staff = HashMap::new();
        let mut agents = HashSet::new();
        for (email, id, role) in staff_users::table
            .filter(staff_users::active.eq(true))
            .select((staff_users::email, staff_users::id, staff_users::role))
            .load::<(String, i64, String)>(conn)?
        {
            staff.insert(email.to_lowercase(), id);
            if role != "claims" {
                agents.insert(id);
            }
        }
        Ok(Self {
            carriers: carriers_found,
            carrier_ids,
            products: products_found,
            by_line,
            product_facts,
            staff,
            agents,
        })
    }
}

impl Source for Policies {
    type Row = NewPolicy;
    const FIELDS: &'static [FieldSpec] = FIELDS;
    const REQUIRED: &'static [(&'static str, &'static str)] = &[
        (
            "nif",
            "Elija la columna del NIF del cliente: dice de quién es cada póliza.",
        ),
        (
            "compania",
            "Elija la columna de la compañía: con el número, dice si la póliza ya existe.",
        ),
        (
            "numero",
            "Elija la columna del número de póliza: con la compañía, dice si la póliza ya existe.",
        ),
    ];

    fn plan(
        conn: &mut PgConnection,
        table: &Table,
        columns: &Columns,
        range: Range<usize>,
        seen: &mut Seen,
    ) -> QueryResult<Vec<RowPlan<NewPolicy>>> {
        plan(conn, table, columns, range, seen)
    }

    fn apply(
        conn: &mut PgConnection,
        actor: &Actor,
        rows: &[RowPlan<NewPolicy>],
    ) -> QueryResult<Counts> {
        apply(conn, actor, rows)
    }
}

fn plan(
    conn: &mut PgConnection,
    table: &Table,
    columns: &Columns,
    range: Range<usize>,
    seen: &mut Seen,
) -> QueryResult<Vec<RowPlan<NewPolicy>>> {
    let cells = Cells::new(table, columns);
    let rows = &table.rows[range.clone()];
    let book = Book::read(conn)?;
    let today = crate::time::today();

    // The batch's customers and already known policies, one query each.
    let tax_ids: Vec<String> = rows
        .iter()
        .filter_map(|row| TaxId::parse(&cells.get(row, "nif")).ok())
        .map(|id| id.as_str().to_owned())
        .collect();
    let mut customers_found: HashMap<String, i64> = HashMap::new();
    let mut customers_by_id: HashMap<i64, CustomerRef> = HashMap::new();
    for (tax_id, customer) in customers::table
        .filter(customers::tax_id.eq_any(&tax_ids))
        .filter(customers::merged_into_id.is_null())
        .select((
            customers::tax_id,
            (
                customers::id,
                customers::display_name,
                customers::owner_staff_id,
            ),
        ))
        .load::<(String, CustomerRef)>(conn)?
    {
        customers_found.insert(tax_id, customer.id);
        customers_by_id.insert(customer.id, customer);
    }
    let numbers: Vec<String> = rows
        .iter()
        .map(|row| cells.get(row, "numero").to_uppercase())
        .collect();
    let known: HashMap<(i64, String), i64> = policies::table
        .filter(policies::number.eq_any(&numbers))
        .select((policies::carrier_id, policies::number, policies::id))
        .load::<(i64, String, i64)>(conn)?
        .into_iter()
        .map(|(carrier, number, id)| ((carrier, number), id))
        .collect();

    let mut planned = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let line = range.start + i + 2;
        let refuse = |field: &str, message: String| {
            Outcome::Refused(vec![cells.problem(FIELDS, row, field, message)])
        };
        let carrier_text = cells.get(row, "compania");
        let Some(&(carrier_id, ref carrier_name)) = book.carriers.get(&folded(&carrier_text))
        else {
            planned.push(RowPlan {
                line,
                outcome: refuse(
                    "compania",
                    if carrier_text.is_empty() {
                        "Escriba la compañía.".to_owned()
                    } else {
                        format!("No hay ninguna compañía «{carrier_text}» en el catálogo.")
                    },
                ),
            });
            continue;
        };
        let number = cells.get(row, "numero").to_uppercase();
        if !number.is_empty() {
            if let Err(first) = first_time(seen, &format!("{carrier_id}|{number}"), line) {
                planned.push(RowPlan {
                    line,
                    outcome: refuse(
                        "numero",
                        format!("Esta póliza ya está en la fila {first} del archivo."),
                    ),
                });
                continue;
            }
            if let Some(&id) = known.get(&(carrier_id, number.clone())) {
                planned.push(RowPlan {
                    line,
                    outcome: Outcome::Unchanged(id),
                });
                continue;
            }
        }

        let mut problems = Vec::new();
        let nif = cells.get(row, "nif");
        let customer = TaxId::parse(&nif)
            .ok()
            .and_then(|id| customers_found.get(id.as_str()).copied());
        if customer.is_none() {
            problems.push(cells.problem(
                FIELDS,
                row,
                "nif",
                if TaxId::parse(&nif).is_err() {
                    "Escriba un DNI, NIE o CIF válido.".to_owned()
                } else {
                    "No hay ningún cliente con este NIF: importe antes los clientes.".to_owned()
                },
            ));
        }
        let product_text = cells.get(row, "producto");
        let line_text = cells.get(row, "ramo");
        let product = if !product_text.is_empty() {
            book.products
                .get(&(carrier_id, folded(&product_text)))
                .copied()
        } else {
            book.by_line
                .get(&(carrier_id, folded(&line_text)))
                .copied()
                .flatten()
        };
        if product.is_none() {
            let (field, message) = if !product_text.is_empty() {
                (
                    "producto",
                    format!("{carrier_name} no tiene ningún producto «{product_text}» activo."),
                )
            } else if book.by_line.contains_key(&(carrier_id, folded(&line_text))) {
                (
                    "ramo",
                    format!(
                        "{carrier_name} tiene varios productos de «{line_text}»: indique el producto."
                    ),
                )
            } else {
                (
                    "producto",
                    "Indique el producto (o el ramo, si la compañía tiene uno solo en él)."
                        .to_owned(),
                )
            };
            problems.push(cells.problem(FIELDS, row, field, message));
        }
        let agent_text = cells.get(row, "agente").to_lowercase();
        let agent = if agent_text.is_empty() {
            None
        } else {
            match book.staff.get(&agent_text) {
                Some(id) => Some(*id),
                None => {
                    problems.push(cells.problem(
                        FIELDS,
                        row,
                        "agente",
                        "No hay ningún usuario activo con este correo.",
                    ));
                    None
                }
            }
        };
        let (Some(customer), Some(product), true) = (customer, product, problems.is_empty()) else {
            planned.push(RowPlan {
                line,
                outcome: Outcome::Refused(problems),
            });
            continue;
        };

        let get = |field: &str| cells.get(row, field);
        let form = PolicyForm {
            cliente: customer.to_string(),
            buscar: String::new(),
            compania: carrier_id.to_string(),
            producto: product.to_string(),
            numero: number,
            efecto: get("efecto"),
            vencimiento: get("vencimiento"),
            prima_neta: get("prima_neta"),
            prima_total: get("prima_total"),
            forma_pago: frequency_code(&get("forma_pago")),
            agente: agent.map(|id| id.to_string()).unwrap_or_default(),
            motivo_sin_presupuesto: policy_queries::IMPORT_SALE_EXEMPTION.to_owned(),
            risk: RiskInput {
                matricula: get("matricula"),
                marca: get("marca"),
                modelo: get("modelo"),
                anio_matriculacion: get("anio_matriculacion"),
                direccion: get("direccion"),
                codigo_postal: get("codigo_postal"),
                poblacion: get("poblacion"),
                superficie: get("superficie"),
                anio_construccion: get("anio_construccion"),
                asegurado1_nombre: get("asegurado1_nombre"),
                asegurado1_nacimiento: get("asegurado1_nacimiento"),
                asegurado2_nombre: get("asegurado2_nombre"),
                asegurado2_nacimiento: get("asegurado2_nacimiento"),
                asegurado3_nombre: get("asegurado3_nombre"),
                asegurado3_nacimiento: get("asegurado3_nacimiento"),
                descripcion: get("descripcion"),
                ..RiskInput::default()
            },
        };
        let mut facts = BatchFacts {
            book: &book,
            customers: &customers_by_id,
            known: &known,
        };
        let outcome = match policy_queries::check_new_with(&mut facts, &form, today) {
            Ok(policy) => Outcome::Create(Box::new(policy)),
            Err(PolicyError::Invalid(errors)) => Outcome::Refused(
                errors
                    .iter()
                    .map(|(field, message)| {
                        cells.problem(FIELDS, row, import_field(field), message)
                    })
                    .collect(),
            ),
            Err(PolicyError::Database(error)) => return Err(into_diesel(error)),
            Err(other) => Outcome::Refused(vec![cells.problem(
                FIELDS,
                row,
                "numero",
                other.to_string(),
            )]),
        };
        planned.push(RowPlan { line, outcome });
    }
    Ok(planned)
}

/// The policy rules' questions answered from what the batch read at its start: thousands of
/// rows checked without a query each. The numbers of rows already found known never reach the
/// rules, and a number repeated within the file is caught before (see [`first_time`]); one
/// taken by someone else meanwhile is caught by the unique index when writing.
struct BatchFacts<'a> {
    book: &'a Book,
    customers: &'a HashMap<i64, CustomerRef>,
    known: &'a HashMap<(i64, String), i64>,
}

impl PolicyFacts for BatchFacts<'_> {
    fn customer(&mut self, id: i64) -> QueryResult<Option<CustomerRef>> {
        Ok(self.customers.get(&id).cloned())
    }

    fn carrier_active(&mut self, id: i64) -> QueryResult<bool> {
        Ok(self.book.carrier_ids.contains(&id))
    }

    fn product(&mut self, id: i64) -> QueryResult<Option<ProductFacts>> {
        Ok(self.book.product_facts.get(&id).cloned())
    }

    fn number_taken(&mut self, carrier_id: i64, number: &str) -> QueryResult<bool> {
        Ok(self.known.contains_key(&(carrier_id, number.to_owned())))
    }

    fn agent_active(&mut self, id: i64) -> QueryResult<bool> {
        Ok(self.book.agents.contains(&id))
    }
}

/// Writes the new policies, each with its first period and receipts and audited as the form
/// would: the batch's new ones in a few statements; should one of their numbers have been
/// taken meanwhile (a unique violation), one by one instead, each finding its own outcome.
/// Call inside a transaction (the caller's batch).
fn apply(
    conn: &mut PgConnection,
    actor: &Actor,
    rows: &[RowPlan<NewPolicy>],
) -> QueryResult<Counts> {
    let mut counts = Counts::default();
    let new: Vec<&NewPolicy> = rows
        .iter()
        .filter_map(|row| match &row.outcome {
            Outcome::Create(policy) => Some(policy.as_ref()),
            _ => None,
        })
        .collect();
    match conn.transaction(|conn| policy_queries::insert_many(conn, &new, actor)) {
        Ok(ids) => counts.created += ids.len() as i32,
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            for policy in new {
                // A savepoint each: a number taken meanwhile aborts only its own insert.
                match conn.transaction(|conn| policy_queries::insert_new(conn, policy, actor)) {
                    Ok(_) => counts.created += 1,
                    // Created meanwhile by someone else with the same number: theirs now.
                    Err(PolicyError::Invalid(_)) => counts.unchanged += 1,
                    Err(PolicyError::Database(error)) => return Err(into_diesel(error)),
                    Err(_) => counts.refused += 1,
                }
            }
        }
        Err(other) => return Err(other),
    }
    for row in rows {
        match &row.outcome {
            Outcome::Create(_) => {}
            Outcome::Update(..) | Outcome::Unchanged(_) => counts.unchanged += 1,
            Outcome::Refused(_) => counts.refused += 1,
        }
    }
    Ok(counts)
}

fn into_diesel(error: crate::db::DbError) -> diesel::result::Error {
    match error {
        crate::db::DbError::Query(error) => error,
        other => diesel::result::Error::QueryBuilderError(other.to_string().into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payment_frequencies_read_as_other_systems_write_them() {
        assert_eq!(frequency_code("TRIMESTRAL"), "quarterly");
        assert_eq!(frequency_code(" Anual "), "annual");
        assert_eq!(frequency_code("m"), "monthly");
        assert_eq!(frequency_code("quincenal"), "quincenal");
    }

    #[test]
    fn names_match_without_case_or_accents() {
        assert_eq!(folded(" MAPFRE España "), "mapfre espana");
        assert_eq!(folded("Compañía"), folded("COMPANIA"));
    }
}
