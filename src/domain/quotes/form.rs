//! The quote forms as typed: raw strings in, typed commands or Spanish messages by field out.
//! The facts only the database knows (the line's risk kind, the customer in scope) are looked
//! up here; [`create`](super::create) checks the catalogue itself again, for every caller.

use chrono::{Days, NaiveDate};
use diesel::prelude::*;
use serde::Deserialize;

use super::QuoteError;
use super::commands::{NewOption, NewQuote, Prospect};
use super::{DEFAULT_VALIDITY_DAYS, MAX_OPTIONS, MAX_TEXT};
use crate::auth::permissions::PortfolioScope;
use crate::customers::CustomerForm;
use crate::db::schema::lines_of_business;
use crate::identifiers::{Email, Phone};
use crate::money::parse_cents;
use crate::policies::{RiskInput, RiskKind, customer_in_scope, parse_risk_into};
use crate::validation::{FieldErrors, parse_date};

/// Option rows the new-quote form offers.
pub const OPTION_SLOTS: usize = 3;

/// The names of one option's fields in a form.
#[derive(Debug, Clone, Copy)]
pub struct OptionFields {
    pub carrier: &'static str,
    pub product: &'static str,
    pub net: &'static str,
    pub total: &'static str,
    pub summary: &'static str,
}

const fn slot(
    carrier: &'static str,
    product: &'static str,
    net: &'static str,
    total: &'static str,
    summary: &'static str,
) -> OptionFields {
    OptionFields {
        carrier,
        product,
        net,
        total,
        summary,
    }
}

/// The fields of option row n (0-based) of the new-quote form; also how [`create`](super::create)
/// names the n-th option in its messages.
pub const SLOT_FIELDS: [OptionFields; MAX_OPTIONS] = [
    slot(
        "opcion1_compania",
        "opcion1_producto",
        "opcion1_prima_neta",
        "opcion1_prima_total",
        "opcion1_coberturas",
    ),
    slot(
        "opcion2_compania",
        "opcion2_producto",
        "opcion2_prima_neta",
        "opcion2_prima_total",
        "opcion2_coberturas",
    ),
    slot(
        "opcion3_compania",
        "opcion3_producto",
        "opcion3_prima_neta",
        "opcion3_prima_total",
        "opcion3_coberturas",
    ),
    slot(
        "opcion4_compania",
        "opcion4_producto",
        "opcion4_prima_neta",
        "opcion4_prima_total",
        "opcion4_coberturas",
    ),
    slot(
        "opcion5_compania",
        "opcion5_producto",
        "opcion5_prima_neta",
        "opcion5_prima_total",
        "opcion5_coberturas",
    ),
    slot(
        "opcion6_compania",
        "opcion6_producto",
        "opcion6_prima_neta",
        "opcion6_prima_total",
        "opcion6_coberturas",
    ),
];

/// The fields of the "add an option" form of a draft's page.
pub const ADD_OPTION_FIELDS: OptionFields = slot(
    "compania",
    "producto",
    "prima_neta",
    "prima_total",
    "coberturas",
);

/// One option as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct OptionInput {
    pub compania: String,
    pub producto: String,
    pub prima_neta: String,
    pub prima_total: String,
    pub coberturas: String,
}

impl OptionInput {
    pub fn is_blank(&self) -> bool {
        [
            &self.compania,
            &self.producto,
            &self.prima_neta,
            &self.prima_total,
            &self.coberturas,
        ]
        .iter()
        .all(|v| v.trim().is_empty())
    }
}

fn parse_id(text: &str) -> Option<i64> {
    text.trim().parse::<i64>().ok().filter(|id| *id > 0)
}

/// Parses one option's fields (the catalogue is checked by `create`/`add_option`).
pub fn parse_option(
    input: &OptionInput,
    fields: &OptionFields,
    errors: &mut FieldErrors,
) -> Option<NewOption> {
    let carrier = parse_id(&input.compania);
    if carrier.is_none() {
        errors.add(fields.carrier, "Elija la compañía de la opción.");
    }
    let product = parse_id(&input.producto);
    if product.is_none() {
        errors.add(fields.product, "Elija el producto de la opción.");
    }
    let net = parse_cents(&input.prima_neta)
        .map_err(|m| errors.add(fields.net, m))
        .ok();
    let total = parse_cents(&input.prima_total)
        .map_err(|m| errors.add(fields.total, m))
        .ok();
    if let (Some(net), Some(total)) = (net, total)
        && total < net
    {
        errors.add(
            fields.total,
            "La prima total no puede ser menor que la prima neta.",
        );
    }
    let summary = input.coberturas.trim();
    if summary.chars().count() > MAX_TEXT {
        errors.add(fields.summary, "Escriba como mucho 4000 caracteres.");
    }
    Some(NewOption {
        carrier_id: carrier?,
        product_id: product,
        coverage_level: String::new(),
        coverage_summary: summary.to_owned(),
        net_premium_cents: net?,
        total_premium_cents: total?,
        breakdown: None,
        tariff_version_id: None,
    })
}

/// The new-quote form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct QuoteForm {
    /// One-time token against double submits.
    pub token: String,
    /// An existing customer; otherwise the prospect's fields (or a lead).
    pub cliente: String,
    /// What was typed in the customer picker's search (not stored).
    pub buscar: String,
    pub lead: String,
    pub prospecto_nombre: String,
    pub prospecto_email: String,
    pub prospecto_telefono: String,
    pub ramo: String,
    pub validez: String,
    pub notas: String,
    pub opcion1_compania: String,
    pub opcion1_producto: String,
    pub opcion1_prima_neta: String,
    pub opcion1_prima_total: String,
    pub opcion1_coberturas: String,
    pub opcion2_compania: String,
    pub opcion2_producto: String,
    pub opcion2_prima_neta: String,
    pub opcion2_prima_total: String,
    pub opcion2_coberturas: String,
    pub opcion3_compania: String,
    pub opcion3_producto: String,
    pub opcion3_prima_neta: String,
    pub opcion3_prima_total: String,
    pub opcion3_coberturas: String,
    #[serde(flatten)]
    pub risk: RiskInput,
}

impl QuoteForm {
    /// The option rows of the form, in order.
    pub fn slots(&self) -> [OptionInput; OPTION_SLOTS] {
        let row = |c: &str, p: &str, n: &str, t: &str, s: &str| OptionInput {
            compania: c.to_owned(),
            producto: p.to_owned(),
            prima_neta: n.to_owned(),
            prima_total: t.to_owned(),
            coberturas: s.to_owned(),
        };
        [
            row(
                &self.opcion1_compania,
                &self.opcion1_producto,
                &self.opcion1_prima_neta,
                &self.opcion1_prima_total,
                &self.opcion1_coberturas,
            ),
            row(
                &self.opcion2_compania,
                &self.opcion2_producto,
                &self.opcion2_prima_neta,
                &self.opcion2_prima_total,
                &self.opcion2_coberturas,
            ),
            row(
                &self.opcion3_compania,
                &self.opcion3_producto,
                &self.opcion3_prima_neta,
                &self.opcion3_prima_total,
                &self.opcion3_coberturas,
            ),
        ]
    }
}

/// The line `id`'s code, when it exists.
fn line_code(conn: &mut PgConnection, id: i64) -> QueryResult<Option<String>> {
    lines_of_business::table
        .find(id)
        .select(lines_of_business::code)
        .first(conn)
        .optional()
}

/// Checks the new-quote form: who it is for (a customer in `scope`, or a prospect with a name
/// and an e-mail or phone), the line and its risk data, the validity, and every filled option
/// row. `staff_id` is the staff member filling it (creator, and agent unless the customer has
/// one).
pub fn validate_form(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    form: &QuoteForm,
    staff_id: i64,
    today: NaiveDate,
) -> Result<(NewQuote, Vec<NewOption>), QuoteError> {
    let mut errors = FieldErrors::new();

    let mut agent = scope.owner().or(Some(staff_id));
    let customer_id = if form.cliente.trim().is_empty() {
        None
    } else {
        match parse_id(&form.cliente) {
            Some(id) => match customer_in_scope(conn, scope, id)? {
                Some(customer) => {
                    agent = scope.owner().or(customer.owner_staff_id).or(agent);
                    Some(customer.id)
                }
                None => {
                    errors.add("cliente", "Elija un cliente de la lista.");
                    None
                }
            },
            None => {
                errors.add("cliente", "Elija un cliente de la lista.");
                None
            }
        }
    };
    let lead_id = parse_id(&form.lead);
    let prospect = if customer_id.is_some() || errors.has("cliente") {
        None
    } else {
        let name = form.prospecto_nombre.trim();
        if name.is_empty() {
            errors.add(
                "prospecto_nombre",
                "Elija un cliente o escriba el nombre del interesado.",
            );
        } else if name.chars().count() > 200 {
            errors.add("prospecto_nombre", "Escriba como mucho 200 caracteres.");
        }
        let email = if form.prospecto_email.trim().is_empty() {
            None
        } else {
            Email::parse(&form.prospecto_email)
                .map_err(|m| errors.add("prospecto_email", m))
                .ok()
        };
        let phone = if form.prospecto_telefono.trim().is_empty() {
            None
        } else {
            Phone::parse(&form.prospecto_telefono)
                .map_err(|m| errors.add("prospecto_telefono", m))
                .ok()
        };
        if email.is_none()
            && phone.is_none()
            && lead_id.is_none()
            && !errors.has("prospecto_email")
            && !errors.has("prospecto_telefono")
        {
            errors.add(
                "prospecto_email",
                "Escriba el correo electrónico o el teléfono del interesado.",
            );
        }
        Some(Prospect {
            name: name.to_owned(),
            email: email.map(|e| e.as_str().to_owned()),
            phone: phone.map(|p| p.as_str().to_owned()),
        })
    };

    let line = match parse_id(&form.ramo) {
        Some(id) => line_code(conn, id)?.map(|code| (id, code)),
        None => None,
    };
    if line.is_none() {
        errors.add("ramo", "Elija el ramo.");
    }
    let risk = line.as_ref().and_then(|(_, code)| {
        parse_risk_into(RiskKind::for_line(code), &form.risk, today, &mut errors)
    });

    let valid_until = if form.validez.trim().is_empty() {
        Some(today + Days::new(DEFAULT_VALIDITY_DAYS))
    } else {
        match parse_date(&form.validez) {
            Ok(day) if day < today => {
                errors.add("validez", "La validez no puede ser anterior a hoy.");
                None
            }
            Ok(day) => Some(day),
            Err(message) => {
                errors.add("validez", message);
                None
            }
        }
    };
    let notes = form.notas.trim();
    if notes.chars().count() > MAX_TEXT {
        errors.add("notas", "Escriba como mucho 4000 caracteres.");
    }

    let mut options = Vec::new();
    for (input, fields) in form.slots().iter().zip(SLOT_FIELDS.iter()) {
        if input.is_blank() {
            continue;
        }
        if let Some(option) = parse_option(input, fields, &mut errors) {
            options.push(option);
        }
    }
    if form.slots().iter().all(OptionInput::is_blank) {
        errors.add(
            SLOT_FIELDS[0].carrier,
            "Añada al menos una opción con su compañía, producto y primas.",
        );
    }

    match (line, risk, valid_until) {
        (Some((line_id, _)), Some(risk), Some(valid_until)) if errors.is_empty() => Ok((
            NewQuote {
                customer_id,
                lead_id,
                prospect,
                line_id,
                risk,
                valid_until,
                notes: notes.to_owned(),
                source: "backoffice",
                agent_staff_id: agent,
                created_by_staff_id: Some(staff_id),
            },
            options,
        )),
        _ => Err(QuoteError::Invalid(errors)),
    }
}

/// The accept form as typed: the option, the policy's facts and, for a prospect, the customer.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AcceptForm {
    pub opcion: String,
    pub numero: String,
    pub efecto: String,
    pub forma_pago: String,
    /// Why the policy is issued although the distribution record is incomplete.
    pub motivo_sin_registro: String,
    #[serde(flatten)]
    pub customer: CustomerForm,
}
