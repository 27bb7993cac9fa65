//! The distribution record of a quote (RDL 3/2020), written through the quote: in the caller's
//! scope, locked, while the quote is still open. See [`crate::distribution`].

use chrono::Utc;
use diesel::prelude::*;
use serde_json::json;

use super::commands::lock;
use super::{AUDIT_TARGET, Actor, MAX_TEXT, QuoteError, invalid};
use crate::audit::Action;
use crate::auth::permissions::PortfolioScope;
use crate::db::schema::{carriers, customers, lines_of_business, quote_options};
use crate::distribution::precontract::{self, BrokerIdentity};
use crate::distribution::{Channel, legal_texts, needs, records};
use crate::policies::RiskKind;
use crate::validation::FieldErrors;

/// The field of the recommended option and of the reason for it.
pub const RECOMMENDED_FIELD: &str = "opcion_recomendada";
pub const ADVICE_FIELD: &str = "motivo_recomendacion";

fn open_quote(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
) -> Result<super::Quote, QuoteError> {
    let quote = lock(conn, scope, id)?;
    if !quote.status().is_open() {
        return Err(QuoteError::Refused(format!(
            "Un presupuesto {} ya no cambia su registro de distribución.",
            quote.status().label()
        )));
    }
    Ok(quote)
}

/// The risk kind of the quote's line (which questions it asks).
pub fn risk_kind(conn: &mut PgConnection, line_id: i64) -> QueryResult<RiskKind> {
    let code: String = lines_of_business::table
        .find(line_id)
        .select(lines_of_business::code)
        .first(conn)?;
    Ok(RiskKind::for_line(&code))
}

/// Records the client's demands and needs (the line's questions), the option that fits them
/// and why. `value(field)` reads the form.
pub fn record_needs<'a>(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
    value: impl Fn(&str) -> Option<&'a str>,
    by: &Actor,
) -> Result<(), QuoteError> {
    let quote = open_quote(conn, scope, id)?;
    let mut errors = FieldErrors::new();
    let answers = needs::parse(risk_kind(conn, quote.line_id)?, &value, &mut errors);
    let recommended = value(RECOMMENDED_FIELD).and_then(|v| v.trim().parse::<i64>().ok());
    let carrier: Option<String> = match recommended {
        Some(option_id) => quote_options::table
            .inner_join(carriers::table)
            .filter(quote_options::id.eq(option_id))
            .filter(quote_options::quote_id.eq(id))
            .select(carriers::name)
            .first(conn)
            .optional()?,
        None => None,
    };
    if carrier.is_none() {
        errors.add(
            RECOMMENDED_FIELD,
            "Elija la opción que se ajusta a lo que necesita el cliente.",
        );
    }
    let advice = value(ADVICE_FIELD).unwrap_or("").trim();
    if advice.is_empty() {
        errors.add(
            ADVICE_FIELD,
            "Explique por qué esa opción se ajusta a sus necesidades, comparada con las demás.",
        );
    } else if advice.chars().count() > MAX_TEXT {
        errors.add(ADVICE_FIELD, "Escriba como mucho 4000 caracteres.");
    }
    let (Some(option_id), Some(carrier)) = (recommended, carrier) else {
        return Err(QuoteError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(QuoteError::Invalid(errors));
    }
    records::save_needs(conn, id, &answers, option_id, advice, &by.email, Utc::now())?;
    by.record(
        conn,
        Action::QuoteUpdated,
        AUDIT_TARGET,
        id,
        json!({
            "registro_de_distribucion": "Exigencias y necesidades registradas",
            "opcion_recomendada": carrier,
            "motivo": advice,
        }),
    )?;
    Ok(())
}

fn deliver(
    conn: &mut PgConnection,
    id: i64,
    broker: &BrokerIdentity,
    channel: Channel,
    proof: &str,
    by: &Actor,
) -> Result<(), QuoteError> {
    let text_id = legal_texts::store(
        conn,
        "precontract",
        precontract::VERSION,
        &precontract::text(broker),
    )?;
    records::save_delivery(conn, id, text_id, channel, proof, Utc::now())?;
    by.record(
        conn,
        Action::QuoteUpdated,
        AUDIT_TARGET,
        id,
        json!({
            "registro_de_distribucion": "Información previa entregada",
            "canal": channel.label(),
            "version": precontract::VERSION,
            "prueba": proof,
        }),
    )?;
    Ok(())
}

/// Staff record that they handed the pre-contract information over on paper or in person,
/// with where the proof is kept.
pub fn record_delivery(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
    channel: &str,
    proof: &str,
    broker: &BrokerIdentity,
    by: &Actor,
) -> Result<(), QuoteError> {
    open_quote(conn, scope, id)?;
    let mut errors = FieldErrors::new();
    let channel = Channel::parse(channel.trim()).filter(|c| Channel::by_hand().contains(c));
    if channel.is_none() {
        errors.add("canal", "Elija cómo se entregó.");
    }
    let proof = proof.trim();
    if proof.is_empty() {
        errors.add(
            "prueba",
            "Diga dónde queda la prueba (por ejemplo, copia firmada por el cliente en su expediente).",
        );
    } else if proof.chars().count() > 1000 {
        errors.add("prueba", "Escriba como mucho 1000 caracteres.");
    }
    match channel {
        Some(channel) if errors.is_empty() => deliver(conn, id, broker, channel, proof, by),
        _ => Err(QuoteError::Invalid(errors)),
    }
}

/// E-mails the pre-contract information to the client (or prospect) through the outbox and
/// records the delivery, with the outbox message as its proof.
pub fn email_precontract(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
    broker: &BrokerIdentity,
    by: &Actor,
) -> Result<String, QuoteError> {
    let quote = open_quote(conn, scope, id)?;
    let customer: Option<(String, Option<String>)> = match quote.customer_id {
        Some(customer_id) => customers::table
            .find(customer_id)
            .select((customers::display_name, customers::email))
            .first(conn)
            .optional()?,
        None => None,
    };
    let (name, to) = match customer {
        Some((name, email)) => (name, email),
        None => (
            quote.prospect_name.clone().unwrap_or_default(),
            quote.prospect_email.clone(),
        ),
    };
    let Some(to) = to.filter(|to| !to.trim().is_empty()) else {
        return Err(QuoteError::Refused(
            "El cliente no tiene correo electrónico: entréguele la información previa en papel o en mano y regístrelo.".into(),
        ));
    };
    let outbox_id = crate::mail::send(
        conn,
        &crate::mail::Notice::Precontract {
            to: to.clone(),
            name,
            quote_number: quote.number.clone(),
            sections: precontract::sections(broker)
                .into_iter()
                .map(|s| (s.title.to_owned(), s.body))
                .collect(),
            version: precontract::VERSION.to_owned(),
        },
    )?;
    let proof = format!("Correo n.º {outbox_id} enviado a {to}");
    deliver(conn, id, broker, Channel::Email, &proof, by)?;
    Ok(to)
}

/// The client confirms in e-SORI, before accepting, that they read the pre-contract
/// information shown there. The caller has checked the quote is theirs and open.
pub fn confirm_in_portal(
    conn: &mut PgConnection,
    id: i64,
    broker: &BrokerIdentity,
    by: &Actor,
) -> Result<(), QuoteError> {
    let proof = format!(
        "Leída y confirmada en e-SORI por {} (dirección {})",
        by.email, by.ip
    );
    deliver(conn, id, broker, Channel::Portal, &proof, by)
}

/// `invalid` for the portal's confirmation box.
pub fn confirmation_missing() -> QuoteError {
    invalid(
        "informacion_previa",
        "Confirme que ha leído la información previa a la contratación.",
    )
}
