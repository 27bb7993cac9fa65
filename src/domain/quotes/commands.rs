//! Changes to quotes: create, options (add, remove, choose), send, reject, expire, accept.
//! Each writes its audit entry on the caller's connection; run them in one transaction.

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use serde_json::json;

use super::form::{ADD_OPTION_FIELDS, AcceptForm, OptionFields, SLOT_FIELDS};
use super::status::{self, QuoteStatus};
use super::{AUDIT_TARGET, Actor, MAX_OPTIONS, MAX_TEXT, Quote, QuoteError, QuoteOption, invalid};
use crate::audit::Action;
use crate::auth::permissions::PortfolioScope;
use crate::customers::{self, ConsentPurpose, CreateOutcome};
use crate::db::schema::{
    carriers, customers as customers_table, leads, lines_of_business, products, quote_options,
    quotes,
};
use crate::money::cents_for_input;
use crate::policies::{self, Frequency, PolicyError, PolicyForm, Risk, RiskInput, RiskKind};
use crate::validation::{FieldErrors, parse_date};

/// Who a quote is for when there is no customer yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prospect {
    pub name: String,
    /// Lower case, as [`Email`](crate::identifiers::Email) normalises it.
    pub email: Option<String>,
    /// Nine digits, as [`Phone`](crate::identifiers::Phone) normalises it.
    pub phone: Option<String>,
}

/// A checked request for a new quote (see [`validate_form`](super::validate_form)).
#[derive(Debug, Clone)]
pub struct NewQuote {
    pub customer_id: Option<i64>,
    pub lead_id: Option<i64>,
    pub prospect: Option<Prospect>,
    pub line_id: i64,
    /// Validated for the line, in the shape of `policies.risk`.
    pub risk: Risk,
    pub valid_until: NaiveDate,
    pub notes: String,
    /// One of [`SOURCES`](super::SOURCES).
    pub source: &'static str,
    pub agent_staff_id: Option<i64>,
    pub created_by_staff_id: Option<i64>,
}

/// One priced option of a new quote.
#[derive(Debug, Clone)]
pub struct NewOption {
    pub carrier_id: i64,
    /// A product of that carrier and of the quote's line; needed to accept the option.
    pub product_id: Option<i64>,
    pub coverage_level: String,
    pub coverage_summary: String,
    pub net_premium_cents: i64,
    pub total_premium_cents: i64,
    /// The rating engine's explanation (`{"lines":[..],"total_cents":..}`), kept as given.
    pub breakdown: Option<serde_json::Value>,
    pub tariff_version_id: Option<i64>,
}

/// What accepting takes: the accept form as typed.
pub type AcceptInput = AcceptForm;

fn record(
    conn: &mut PgConnection,
    by: &Actor,
    action: Action,
    quote_id: i64,
    details: serde_json::Value,
) -> QueryResult<()> {
    by.record(conn, action, AUDIT_TARGET, quote_id, details)
}

/// Checks an option against the catalogue: an active carrier, and a product of that carrier
/// and of `line_id`.
fn check_option(
    conn: &mut PgConnection,
    line_id: i64,
    option: &NewOption,
    fields: &OptionFields,
    errors: &mut FieldErrors,
) -> QueryResult<()> {
    let carrier_ok: bool = diesel::select(diesel::dsl::exists(
        carriers::table
            .filter(carriers::id.eq(option.carrier_id))
            .filter(carriers::active.eq(true)),
    ))
    .get_result(conn)?;
    if !carrier_ok {
        errors.add(fields.carrier, "Elija una compañía en activo.");
    }
    if let Some(product_id) = option.product_id {
        let product: Option<(i64, i64)> = products::table
            .filter(products::id.eq(product_id))
            .filter(products::active.eq(true))
            .select((products::carrier_id, products::line_id))
            .first(conn)
            .optional()?;
        match product {
            None => errors.add(fields.product, "Elija un producto en activo."),
            Some((carrier, _)) if carrier != option.carrier_id => errors.add(
                fields.product,
                "El producto elegido no es de esa compañía: elija uno de sus productos.",
            ),
            Some((_, line)) if line != line_id => errors.add(
                fields.product,
                "El producto elegido no es del ramo del presupuesto.",
            ),
            Some(_) => {}
        }
    }
    if option.net_premium_cents < 0 {
        errors.add(fields.net, "La prima no puede ser negativa.");
    }
    if option.total_premium_cents < option.net_premium_cents {
        errors.add(
            fields.total,
            "La prima total no puede ser menor que la prima neta.",
        );
    }
    if option.coverage_summary.chars().count() > MAX_TEXT {
        errors.add(fields.summary, "Escriba como mucho 4000 caracteres.");
    }
    Ok(())
}

fn insert_option(
    conn: &mut PgConnection,
    quote_id: i64,
    option: &NewOption,
    position: i32,
) -> QueryResult<QuoteOption> {
    diesel::insert_into(quote_options::table)
        .values((
            quote_options::quote_id.eq(quote_id),
            quote_options::carrier_id.eq(option.carrier_id),
            quote_options::product_id.eq(option.product_id),
            quote_options::coverage_level.eq(&option.coverage_level),
            quote_options::coverage_summary.eq(&option.coverage_summary),
            quote_options::net_premium_cents.eq(option.net_premium_cents),
            quote_options::total_premium_cents.eq(option.total_premium_cents),
            quote_options::breakdown.eq(option.breakdown.clone().unwrap_or_else(|| json!({}))),
            quote_options::tariff_version_id.eq(option.tariff_version_id),
            quote_options::position.eq(position),
        ))
        .returning(QuoteOption::as_returning())
        .get_result(conn)
}

fn option_details(option: &NewOption) -> serde_json::Value {
    json!({
        "compania": option.carrier_id,
        "producto": option.product_id,
        "prima_neta": option.net_premium_cents,
        "prima_total": option.total_premium_cents,
    })
}

/// Creates a quote with its options, after checking them against the database (customer,
/// lead, line and its risk kind, carriers and products, validity not in the past), and records
/// `quote.created`. Field messages use the names of the new-quote form (the n-th option's as
/// its row's). Call inside a transaction. Any face may call it; the caller decides the scope.
pub fn create(
    conn: &mut PgConnection,
    new: NewQuote,
    options: Vec<NewOption>,
    by: &Actor,
) -> Result<Quote, QuoteError> {
    let mut errors = FieldErrors::new();
    if let Some(customer_id) = new.customer_id {
        let found: bool = diesel::select(diesel::dsl::exists(
            customers_table::table
                .filter(customers_table::id.eq(customer_id))
                .filter(customers_table::merged_into_id.is_null()),
        ))
        .get_result(conn)?;
        if !found {
            errors.add("cliente", "Elija un cliente de la lista.");
        }
    }
    if let Some(lead_id) = new.lead_id {
        let found: bool =
            diesel::select(diesel::dsl::exists(leads::table.find(lead_id))).get_result(conn)?;
        if !found {
            errors.add("lead", "El contacto comercial no existe.");
        }
    }
    let prospect_name = new
        .prospect
        .as_ref()
        .map(|p| p.name.trim().to_owned())
        .filter(|n| !n.is_empty());
    if new.customer_id.is_none() && new.lead_id.is_none() && prospect_name.is_none() {
        errors.add(
            "prospecto_nombre",
            "Elija un cliente o escriba el nombre del interesado.",
        );
    }
    let line_code: Option<String> = lines_of_business::table
        .find(new.line_id)
        .select(lines_of_business::code)
        .first(conn)
        .optional()?;
    match &line_code {
        None => errors.add("ramo", "Elija el ramo."),
        Some(code) if RiskKind::for_line(code) != new.risk.kind() => errors.add(
            "ramo",
            "Los datos del riesgo no corresponden al ramo elegido.",
        ),
        Some(_) => {}
    }
    if new.valid_until < policies::today() {
        errors.add("validez", "La validez no puede ser anterior a hoy.");
    }
    if new.notes.chars().count() > MAX_TEXT {
        errors.add("notas", "Escriba como mucho 4000 caracteres.");
    }
    if options.is_empty() {
        errors.add(
            SLOT_FIELDS[0].carrier,
            "Añada al menos una opción con su compañía, producto y primas.",
        );
    }
    if options.len() > MAX_OPTIONS {
        errors.add(
            SLOT_FIELDS[0].carrier,
            format!("Un presupuesto lleva como mucho {MAX_OPTIONS} opciones."),
        );
    }
    for (option, fields) in options.iter().zip(SLOT_FIELDS.iter()) {
        check_option(conn, new.line_id, option, fields, &mut errors)?;
    }
    if !errors.is_empty() {
        return Err(QuoteError::Invalid(errors));
    }

    let risk = serde_json::to_value(&new.risk).unwrap_or_else(|_| json!({}));
    let prospect = new.prospect.as_ref();
    let quote: Quote = diesel::insert_into(quotes::table)
        .values((
            quotes::customer_id.eq(new.customer_id),
            quotes::lead_id.eq(new.lead_id),
            quotes::prospect_name.eq(prospect_name.as_deref()),
            quotes::prospect_email.eq(prospect.and_then(|p| p.email.as_deref())),
            quotes::prospect_phone.eq(prospect.and_then(|p| p.phone.as_deref())),
            quotes::line_id.eq(new.line_id),
            quotes::risk.eq(&risk),
            quotes::status.eq(QuoteStatus::Draft.code()),
            quotes::valid_until.eq(new.valid_until),
            quotes::source.eq(new.source),
            quotes::agent_staff_id.eq(new.agent_staff_id),
            quotes::created_by_staff_id.eq(new.created_by_staff_id),
            quotes::notes.eq(new.notes.trim()),
        ))
        .returning(Quote::as_returning())
        .get_result(conn)?;
    for (position, option) in options.iter().enumerate() {
        insert_option(conn, quote.id, option, position as i32)?;
    }
    record(
        conn,
        by,
        Action::QuoteCreated,
        quote.id,
        json!({
            "numero": quote.number,
            "cliente": quote.customer_id,
            "interesado": quote.prospect_name,
            "ramo": quote.line_id,
            "validez": quote.valid_until,
            "riesgo": risk,
            "opciones": options.iter().map(option_details).collect::<Vec<_>>(),
        }),
    )?;
    Ok(quote)
}

/// Quote `id` within `scope`, locked for the rest of the transaction.
pub(super) fn lock(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
) -> Result<Quote, QuoteError> {
    if !super::in_scope(conn, scope, id)? {
        return Err(QuoteError::NotFound);
    }
    Ok(quotes::table
        .find(id)
        .select(Quote::as_select())
        .for_update()
        .first(conn)?)
}

fn touch(conn: &mut PgConnection, id: i64) -> QueryResult<()> {
    diesel::update(quotes::table.find(id))
        .set(quotes::updated_at.eq(Utc::now()))
        .execute(conn)
        .map(|_| ())
}

/// Adds an option to a draft (named as the "add an option" form's fields).
pub fn add_option(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
    option: &NewOption,
    by: &Actor,
) -> Result<QuoteOption, QuoteError> {
    let quote = lock(conn, scope, id)?;
    if !quote.status().options_editable() {
        return Err(QuoteError::Refused(
            "Solo se cambian las opciones de un presupuesto en borrador.".into(),
        ));
    }
    let count: i64 = quote_options::table
        .filter(quote_options::quote_id.eq(id))
        .count()
        .get_result(conn)?;
    if count as usize >= MAX_OPTIONS {
        return Err(invalid(
            ADD_OPTION_FIELDS.carrier,
            format!("Un presupuesto lleva como mucho {MAX_OPTIONS} opciones."),
        ));
    }
    let mut errors = FieldErrors::new();
    check_option(conn, quote.line_id, option, &ADD_OPTION_FIELDS, &mut errors)?;
    if !errors.is_empty() {
        return Err(QuoteError::Invalid(errors));
    }
    let position: Option<i32> = quote_options::table
        .filter(quote_options::quote_id.eq(id))
        .select(diesel::dsl::max(quote_options::position))
        .first(conn)?;
    let inserted = insert_option(conn, id, option, position.map_or(0, |p| p + 1))?;
    touch(conn, id)?;
    record(
        conn,
        by,
        Action::QuoteUpdated,
        id,
        json!({ "opcion_anadida": option_details(option) }),
    )?;
    Ok(inserted)
}

/// Removes option `option_id` from a draft; the last option stays (a quote offers something).
pub fn remove_option(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
    option_id: i64,
    by: &Actor,
) -> Result<(), QuoteError> {
    let quote = lock(conn, scope, id)?;
    if !quote.status().options_editable() {
        return Err(QuoteError::Refused(
            "Solo se cambian las opciones de un presupuesto en borrador.".into(),
        ));
    }
    let options: Vec<QuoteOption> = quote_options::table
        .filter(quote_options::quote_id.eq(id))
        .select(QuoteOption::as_select())
        .load(conn)?;
    let Some(option) = options.iter().find(|o| o.id == option_id) else {
        return Err(QuoteError::NotFound);
    };
    if options.len() == 1 {
        return Err(QuoteError::Refused(
            "Un presupuesto necesita al menos una opción: añada otra antes de quitar esta.".into(),
        ));
    }
    if quote.chosen_option_id == Some(option_id) {
        diesel::update(quotes::table.find(id))
            .set(quotes::chosen_option_id.eq(None::<i64>))
            .execute(conn)?;
    }
    diesel::delete(quote_options::table.find(option_id)).execute(conn)?;
    touch(conn, id)?;
    record(
        conn,
        by,
        Action::QuoteUpdated,
        id,
        json!({ "opcion_quitada": {
            "compania": option.carrier_id,
            "producto": option.product_id,
            "prima_total": option.total_premium_cents,
        } }),
    )?;
    Ok(())
}

/// Marks the option the client prefers (while the quote is open).
pub fn choose_option(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
    option_id: i64,
    by: &Actor,
) -> Result<(), QuoteError> {
    let quote = lock(conn, scope, id)?;
    if !quote.status().is_open() {
        return Err(QuoteError::Refused(format!(
            "Un presupuesto {} ya no cambia de opción.",
            quote.status().label()
        )));
    }
    let belongs: bool = diesel::select(diesel::dsl::exists(
        quote_options::table
            .filter(quote_options::id.eq(option_id))
            .filter(quote_options::quote_id.eq(id)),
    ))
    .get_result(conn)?;
    if !belongs {
        return Err(QuoteError::NotFound);
    }
    diesel::update(quotes::table.find(id))
        .set((
            quotes::chosen_option_id.eq(option_id),
            quotes::updated_at.eq(Utc::now()),
        ))
        .execute(conn)?;
    record(
        conn,
        by,
        Action::QuoteUpdated,
        id,
        json!({ "opcion_elegida": { "before": quote.chosen_option_id, "after": option_id } }),
    )?;
    Ok(())
}

/// Sends a draft to the client (draft → sent, `sent_at`). A quote past its validity cannot be
/// sent.
pub fn send(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
    today: NaiveDate,
    by: &Actor,
) -> Result<Quote, QuoteError> {
    let quote = lock(conn, scope, id)?;
    status::check(quote.status(), QuoteStatus::Sent)?;
    if quote.valid_until < today {
        return Err(QuoteError::Refused(
            "La validez del presupuesto ya ha pasado: no se puede enviar.".into(),
        ));
    }
    let now = Utc::now();
    let updated: Quote = diesel::update(quotes::table.find(id))
        .set((
            quotes::status.eq(QuoteStatus::Sent.code()),
            quotes::sent_at.eq(now),
            quotes::updated_at.eq(now),
        ))
        .returning(Quote::as_returning())
        .get_result(conn)?;
    record(
        conn,
        by,
        Action::QuoteSent,
        id,
        json!({ "estado": { "before": quote.status, "after": updated.status } }),
    )?;
    // The default rule e-mails it to the client or prospect.
    crate::events::publish(
        conn,
        "quote.sent",
        "quote",
        id,
        json!({ "number": updated.number, "origen": updated.source }),
    )?;
    Ok(updated)
}

/// The client said no (sent → rejected), with the reason.
pub fn reject(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
    reason: &str,
    by: &Actor,
) -> Result<Quote, QuoteError> {
    let quote = lock(conn, scope, id)?;
    status::check(quote.status(), QuoteStatus::Rejected)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(invalid("motivo", "Escriba el motivo del rechazo."));
    }
    if reason.chars().count() > MAX_TEXT {
        return Err(invalid("motivo", "Escriba como mucho 4000 caracteres."));
    }
    let now = Utc::now();
    let updated: Quote = diesel::update(quotes::table.find(id))
        .set((
            quotes::status.eq(QuoteStatus::Rejected.code()),
            quotes::status_reason.eq(reason),
            quotes::decided_at.eq(now),
            quotes::updated_at.eq(now),
        ))
        .returning(Quote::as_returning())
        .get_result(conn)?;
    record(
        conn,
        by,
        Action::QuoteRejected,
        id,
        json!({ "estado": { "before": quote.status, "after": updated.status }, "motivo": reason }),
    )?;
    Ok(updated)
}

/// Expires every draft or sent quote whose validity ended before `today`, recording each as
/// done by the system. Returns how many. Run by the background worker.
pub fn expire_overdue(conn: &mut PgConnection, today: NaiveDate) -> QueryResult<usize> {
    // SKIP LOCKED: a quote being accepted right now is left for the next round.
    let due: Vec<(i64, String, NaiveDate)> = quotes::table
        .filter(quotes::status.eq_any([QuoteStatus::Draft.code(), QuoteStatus::Sent.code()]))
        .filter(quotes::valid_until.lt(today))
        // A quote the client accepted in time waits for staff to issue the policy.
        .filter(quotes::client_accepted_at.is_null())
        .select((quotes::id, quotes::status, quotes::valid_until))
        .order(quotes::id)
        .limit(1000)
        .for_update()
        .skip_locked()
        .load(conn)?;
    if due.is_empty() {
        return Ok(0);
    }
    let now = Utc::now();
    let ids: Vec<i64> = due.iter().map(|(id, _, _)| *id).collect();
    diesel::update(quotes::table.filter(quotes::id.eq_any(&ids)))
        .set((
            quotes::status.eq(QuoteStatus::Expired.code()),
            quotes::decided_at.eq(now),
            quotes::updated_at.eq(now),
        ))
        .execute(conn)?;
    let system = Actor::system();
    for (id, before, valid_until) in &due {
        record(
            conn,
            &system,
            Action::QuoteExpired,
            *id,
            json!({
                "estado": { "before": before, "after": QuoteStatus::Expired.code() },
                "validez": valid_until,
            }),
        )?;
    }
    Ok(due.len())
}

/// The prospect's name split for the customer form: first word as given name, the rest as
/// family names.
pub fn split_name(name: &str) -> (String, String) {
    let name = name.trim();
    match name.split_once(' ') {
        Some((given, family)) => (given.to_owned(), family.trim().to_owned()),
        None => (name.to_owned(), String::new()),
    }
}

/// Accepts a sent quote: issues the chosen option as a policy through `policies::create`
/// (customer, carrier, product, line, risk and premiums from the quote; number, start date and
/// payment frequency from the form), first creating the customer from the form when the quote
/// is for a prospect. Marks the quote accepted, publishes `quote.accepted` and records the
/// audit entries. Returns the new policy's id. Call inside ONE transaction: any refusal
/// (a duplicate policy number, an invalid tax id) must roll back everything done before it.
pub fn accept(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
    form: &AcceptInput,
    by: &Actor,
    today: NaiveDate,
) -> Result<i64, QuoteError> {
    let quote = lock(conn, scope, id)?;
    status::check(quote.status(), QuoteStatus::Accepted)?;
    let mut errors = FieldErrors::new();

    let options: Vec<QuoteOption> = quote_options::table
        .filter(quote_options::quote_id.eq(id))
        .select(QuoteOption::as_select())
        .load(conn)?;
    let option_id = form
        .opcion
        .trim()
        .parse::<i64>()
        .ok()
        .or(quote.chosen_option_id);
    let option = option_id.and_then(|oid| options.iter().find(|o| o.id == oid));
    match option {
        None => errors.add("opcion", "Elija la opción que acepta el cliente."),
        Some(o) if o.product_id.is_none() => errors.add(
            "opcion",
            "Esa opción no indica el producto de la compañía: añádala de nuevo con su producto.",
        ),
        Some(_) => {}
    }

    // The policy's own fields, checked here too so that every message shows at once
    // (policies::create checks them again, with the number against the carrier).
    if form.numero.trim().is_empty() {
        errors.add("numero", "Escriba el número de póliza.");
    }
    if let Err(message) = parse_date(&form.efecto) {
        errors.add("efecto", message);
    }
    if Frequency::parse(form.forma_pago.trim()).is_none() {
        errors.add("forma_pago", "Elija la forma de pago.");
    }

    // RDL 3/2020: no sale without the client's demands and needs, the advice and the
    // pre-contract information, unless staff record why.
    let missing = match crate::distribution::records::of_quote(conn, id)? {
        Some(record) => record.missing(),
        None => crate::distribution::SaleRecord::nothing_recorded(),
    };
    let exemption = form.motivo_sin_registro.trim();
    if !missing.is_empty() && exemption.is_empty() {
        errors.add(
            "motivo_sin_registro",
            format!(
                "Falta en el registro de distribución: {}. Complételo antes de emitir la póliza o escriba por qué se emite sin ello.",
                missing.join("; ")
            ),
        );
    }
    if exemption.chars().count() > 1000 {
        errors.add("motivo_sin_registro", "Escriba como mucho 1000 caracteres.");
    }
    let sale_exemption = if missing.is_empty() {
        String::new()
    } else {
        exemption.to_owned()
    };

    let valid_customer = match quote.customer_id {
        Some(_) => None,
        None => match customers::validate(&form.customer) {
            Ok(mut valid) => {
                valid.owner_staff_id = quote.agent_staff_id.or(by.staff());
                Some(valid)
            }
            Err(customer_errors) => {
                merge(&mut errors, customer_errors);
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(QuoteError::Invalid(errors));
    }
    let Some(option) = option else {
        return Err(invalid("opcion", "Elija la opción que acepta el cliente."));
    };

    let customer_id = match (quote.customer_id, valid_customer) {
        (Some(id), _) => id,
        (None, Some(valid)) => {
            if by.staff().is_none() {
                return Err(QuoteError::Refused(
                    "Dar de alta al cliente necesita un empleado.".into(),
                ));
            }
            let consents = [
                (
                    ConsentPurpose::Privacy,
                    form.customer.consentimiento_privacidad.is_some(),
                ),
                (
                    ConsentPurpose::Marketing,
                    form.customer.consentimiento_comercial.is_some(),
                ),
            ];
            // Shared e-mail or phone is no reason to stop here: the prospect is the person
            // the broker is talking to.
            match customers::create(conn, by, &valid, &consents, true)? {
                CreateOutcome::Created(customer) => customer.id,
                CreateOutcome::DuplicateTaxId(existing) => {
                    // Another agent's customer: say whom to ask, not whose name it is.
                    let message = if existing.open_to(scope) {
                        format!(
                            "Ya existe un cliente con ese NIF ({}): cree el presupuesto para ese cliente.",
                            existing.display_name
                        )
                    } else {
                        match &existing.owner_name {
                            Some(owner) => format!(
                                "Ya existe un cliente con ese NIF en la cartera de {owner}: pregunte a {owner}."
                            ),
                            None => "Ya existe un cliente con ese NIF en otra cartera, sin agente asignado: pregunte a un administrador o supervisor.".to_owned(),
                        }
                    };
                    return Err(invalid("nif", message));
                }
                CreateOutcome::PossibleDuplicates(_) => {
                    return Err(QuoteError::Refused("Cliente duplicado.".into()));
                }
            }
        }
        (None, None) => return Err(invalid("nif", "Escriba los datos del cliente.")),
    };

    let Some(risk) = quote.risk() else {
        return Err(QuoteError::Refused(
            "Los datos del riesgo del presupuesto no son válidos.".into(),
        ));
    };
    let policy_form = PolicyForm {
        cliente: customer_id.to_string(),
        buscar: String::new(),
        compania: option.carrier_id.to_string(),
        producto: option.product_id.map(|p| p.to_string()).unwrap_or_default(),
        numero: form.numero.clone(),
        efecto: form.efecto.clone(),
        vencimiento: String::new(),
        prima_neta: cents_for_input(option.net_premium_cents),
        prima_total: cents_for_input(option.total_premium_cents),
        forma_pago: form.forma_pago.clone(),
        agente: quote
            .agent_staff_id
            .map(|a| a.to_string())
            .unwrap_or_default(),
        motivo_sin_presupuesto: sale_exemption.clone(),
        risk: RiskInput::of(&risk),
    };
    // The quote is in the caller's scope; the policy follows it even when the customer is
    // carried by another agent.
    let issued = policies::check_new(conn, PortfolioScope::All, &policy_form, today)
        .and_then(|policy| policies::insert_new(conn, &policy, by));
    let policy_id = match issued {
        Ok(policy_id) => policy_id,
        Err(PolicyError::Invalid(errors)) => {
            // The risk, product and premiums come from the quote and have no field on the
            // accept form: say what is wrong instead of marking nothing.
            if let Some((_, message)) = errors
                .iter()
                .find(|(field, _)| !ACCEPT_FIELDS.contains(field))
            {
                return Err(QuoteError::Refused(format!(
                    "La póliza no se puede dar de alta con los datos del presupuesto: {message}"
                )));
            }
            return Err(QuoteError::Invalid(errors));
        }
        Err(PolicyError::Refused(message)) => return Err(QuoteError::Refused(message)),
        Err(PolicyError::NotFound) => return Err(QuoteError::NotFound),
        Err(PolicyError::Database(error)) => return Err(QuoteError::Database(error)),
    };

    let now = Utc::now();
    diesel::update(quotes::table.find(id))
        .set((
            quotes::status.eq(QuoteStatus::Accepted.code()),
            quotes::customer_id.eq(customer_id),
            quotes::chosen_option_id.eq(option.id),
            quotes::policy_id.eq(policy_id),
            quotes::decided_at.eq(now),
            quotes::updated_at.eq(now),
        ))
        .execute(conn)?;
    crate::events::publish(
        conn,
        "quote.accepted",
        AUDIT_TARGET,
        id,
        json!({
            "quote_id": id,
            "number": quote.number,
            "option_id": option.id,
            "policy_id": policy_id,
            "customer_id": customer_id,
            "customer_created": quote.customer_id.is_none(),
        }),
    )?;
    record(
        conn,
        by,
        Action::QuoteAccepted,
        id,
        json!({
            "estado": { "before": quote.status, "after": QuoteStatus::Accepted.code() },
            "opcion": option.id,
            "poliza": policy_id,
            "cliente": customer_id,
            "motivo_sin_registro": (!sale_exemption.is_empty()).then_some(&sale_exemption),
        }),
    )?;
    Ok(policy_id)
}

/// The fields of the accept form: the policy's and, for a prospect, the customer's.
const ACCEPT_FIELDS: [&str; 20] = [
    "opcion",
    "motivo_sin_registro",
    "numero",
    "efecto",
    "forma_pago",
    "tipo",
    "nombre",
    "apellidos",
    "razon_social",
    "nif",
    "email",
    "telefono",
    "fecha_nacimiento",
    "direccion",
    "codigo_postal",
    "localidad",
    "iban",
    "segmento",
    "agente",
    "notas",
];

fn merge(into: &mut FieldErrors, from: FieldErrors) {
    for field in [
        "tipo",
        "nombre",
        "apellidos",
        "razon_social",
        "nif",
        "email",
        "telefono",
        "fecha_nacimiento",
        "direccion",
        "codigo_postal",
        "localidad",
        "iban",
        "segmento",
        "agente",
        "notas",
    ] {
        if let Some(message) = from.get(field) {
            into.add(field, message.to_owned());
        }
    }
}
