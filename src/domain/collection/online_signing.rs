//! A SEPA mandate signed by the client in e-SORI. Instead of a scanned paper, the evidence is
//! what the EPC asks of an electronic mandate: the exact text the client was shown (with its
//! version), the moment, the address the request came from, the signed-in account, and an
//! explicit action (a box ticked and a button pressed). The client also gets a copy by e-mail.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::mandates::{MandateStatus, Scheme, next_reference, retire_in_force};
use super::settings::{self, Settings};
use crate::audit::{self, Action, NewEntry, target};
use crate::catalog::fields::required;
use crate::clients::profile::ClientActor;
use crate::db::DbError;
use crate::db::schema::sepa_mandates;
use crate::identifiers::Iban;
use crate::mail::{self, Notice};
use crate::validation::{FieldErrors, Validated};

/// The version of the mandate text below. Change it whenever the text changes, so each signed
/// mandate says which wording the client agreed to.
pub const TEXT_VERSION: &str = "orden-sepa-core-v1";

/// The rights paragraph of the Spanish CORE mandate, as the EPC rulebook words it.
pub const RIGHTS: &str = "Mediante la firma de esta orden de domiciliación, el deudor autoriza (A) al acreedor a enviar instrucciones a la entidad del deudor para adeudar su cuenta y (B) a la entidad para efectuar los adeudos en su cuenta siguiendo las instrucciones del acreedor. Como parte de sus derechos, el deudor está legitimado al reembolso por su entidad en los términos y condiciones del contrato suscrito con la misma. La solicitud de reembolso deberá efectuarse dentro de las ocho semanas que siguen a la fecha de adeudo en cuenta. Puede obtener información adicional sobre sus derechos en su entidad financiera.";

/// The creditor's part of the mandate: who will collect.
pub fn creditor_lines(settings: &Settings) -> Vec<(&'static str, String)> {
    let address = [
        settings.street.trim(),
        &format!("{} {}", settings.postcode.trim(), settings.town.trim()),
        settings.country.trim(),
    ]
    .iter()
    .map(|part| part.trim())
    .filter(|part| !part.is_empty())
    .collect::<Vec<_>>()
    .join(", ");
    vec![
        ("Acreedor", settings.creditor_name.clone()),
        ("Identificador del acreedor", settings.creditor_id.clone()),
        ("Dirección del acreedor", address),
    ]
}

/// The whole mandate as the client signs it, one line per fact; kept as the evidence.
pub fn text(
    settings: &Settings,
    reference: &str,
    debtor_name: &str,
    iban: &Iban,
    signed_at: DateTime<Utc>,
) -> String {
    let mut lines = vec![
        "Orden de domiciliación de adeudo directo SEPA (CORE)".to_owned(),
        format!("Referencia de la orden de domiciliación: {reference}"),
    ];
    lines.extend(
        creditor_lines(settings)
            .into_iter()
            .map(|(label, value)| format!("{label}: {value}")),
    );
    lines.push(String::new());
    lines.push(RIGHTS.to_owned());
    lines.push(String::new());
    lines.push(format!(
        "Nombre del deudor (titular de la cuenta): {debtor_name}"
    ));
    lines.push(format!("Número de cuenta (IBAN): {}", iban.grouped()));
    lines.push("Tipo de pago: pago recurrente".to_owned());
    lines.push(format!(
        "Firmada electrónicamente en e-SORI el {} (hora UTC {})",
        crate::format::date(signed_at.date_naive()),
        signed_at.format("%H:%M:%S")
    ));
    lines.join("\n")
}

/// The signing form as typed.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct SigningForm {
    pub titular: String,
    pub iban: String,
    /// "si" when the client ticked the box that they authorise the debits.
    pub acepto: String,
    pub token: String,
}

/// What the client signs.
#[derive(Debug, Clone)]
pub struct Signature {
    pub debtor_name: String,
    pub iban: Iban,
}

impl SigningForm {
    pub fn validate(&self) -> Validated<Signature> {
        let mut errors = FieldErrors::new();
        let debtor_name = required(
            &mut errors,
            "titular",
            &self.titular,
            70,
            "Escriba el nombre del titular de la cuenta.",
        );
        let iban = Iban::parse(&self.iban).map_err(|message| errors.add("iban", message));
        if self.acepto != "si" {
            errors.add(
                "acepto",
                "Marque la casilla para autorizar los cargos: sin ella la orden no queda firmada.",
            );
        }
        match iban {
            Ok(iban) => errors.into_result(Signature { debtor_name, iban }),
            Err(()) => Err(errors),
        }
    }
}

/// Where the signature came from: the client's account, address and browser.
pub struct Signer<'a> {
    pub actor: &'a ClientActor,
    pub client_user_id: i64,
    /// The client's e-mail, for their copy.
    pub email: &'a str,
    pub greeting: &'a str,
}

/// Why a signature could not be recorded.
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    /// The brokerage has not configured its creditor identity: nothing can be signed.
    #[error("collection not configured")]
    NotConfigured,
    #[error(transparent)]
    Database(#[from] DbError),
}

impl From<diesel::result::Error> for SigningError {
    fn from(error: diesel::result::Error) -> Self {
        SigningError::Database(error.into())
    }
}

/// Records the mandate the client signs now, replacing the one in force, with its evidence,
/// the audit entries and the client's copy by e-mail. Returns its id and reference.
pub fn sign(
    conn: &mut PgConnection,
    signer: &Signer<'_>,
    signature: &Signature,
    now: DateTime<Utc>,
) -> Result<(i64, String), SigningError> {
    let settings = settings::get(conn)?.ok_or(SigningError::NotConfigured)?;
    let customer_id = signer.actor.customer_id;
    let today: NaiveDate = now.date_naive();
    let replaced = retire_in_force(conn, customer_id, today)?;
    let reference = next_reference(conn, customer_id)?;
    let signed_text = text(
        &settings,
        &reference,
        &signature.debtor_name,
        &signature.iban,
        now,
    );
    let id: i64 = diesel::insert_into(sepa_mandates::table)
        .values((
            sepa_mandates::customer_id.eq(customer_id),
            sepa_mandates::reference.eq(&reference),
            sepa_mandates::debtor_name.eq(&signature.debtor_name),
            sepa_mandates::iban.eq(signature.iban.as_str()),
            sepa_mandates::scheme.eq(Scheme::Core.code()),
            sepa_mandates::signed_on.eq(today),
            sepa_mandates::status.eq(MandateStatus::Active.code()),
            sepa_mandates::signed_online_at.eq(now),
            sepa_mandates::signed_ip.eq(&signer.actor.ip),
            sepa_mandates::signed_user_agent.eq(&signer.actor.user_agent),
            sepa_mandates::signed_text_version.eq(TEXT_VERSION),
            sepa_mandates::signed_text.eq(&signed_text),
            sepa_mandates::signed_by_client_user_id.eq(signer.client_user_id),
        ))
        .returning(sepa_mandates::id)
        .get_result(conn)?;
    if let Some((old, old_reference)) = &replaced {
        audit::record(
            conn,
            &NewEntry {
                target_type: Some(target::MANDATE),
                target_id: Some(*old),
                details: json!({ "referencia": old_reference, "sustituido_por": reference }),
                ..signer.actor.entry(Action::MandateRevoked)
            },
        )?;
    }
    audit::record(
        conn,
        &NewEntry {
            target_type: Some(target::MANDATE),
            target_id: Some(id),
            details: json!({
                "cliente": customer_id,
                "referencia": reference,
                "version_texto": TEXT_VERSION,
                "ip": signer.actor.ip,
            }),
            ..signer.actor.entry(Action::MandateSignedOnline)
        },
    )?;
    mail::send(
        conn,
        &Notice::MandateSigned {
            to: signer.email.trim().to_owned(),
            name: signer.greeting.to_owned(),
            reference: reference.clone(),
            text: signed_text,
        },
    )?;
    Ok((id, reference))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            creditor_name: "Soriano Mediadores SL".into(),
            creditor_id: "ES77000B85626240".into(),
            iban: "ES9121000418450200051332".into(),
            bic: None,
            street: "Calle Mayor 1".into(),
            postcode: "28013".into(),
            town: "Madrid".into(),
            country: "ES".into(),
            file_version: "pain.008.001.08".into(),
            first_sequence: true,
            notice_days: 14,
        }
    }

    #[test]
    fn the_text_names_creditor_debtor_account_rights_and_moment() {
        let iban = Iban::parse("ES91 2100 0418 4502 0005 1332").unwrap();
        let at = DateTime::parse_from_rfc3339("2026-12-05T10:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let text = text(&settings(), "SORIANO-7-2", "Ana Pérez", &iban, at);
        assert!(text.contains("Referencia de la orden de domiciliación: SORIANO-7-2"));
        assert!(text.contains("Identificador del acreedor: ES77000B85626240"));
        assert!(text.contains("Dirección del acreedor: Calle Mayor 1, 28013 Madrid, ES"));
        assert!(text.contains("ocho semanas"));
        assert!(text.contains("Nombre del deudor (titular de la cuenta): Ana Pérez"));
        assert!(text.contains("ES91 2100 0418 4502 0005 1332"));
        assert!(text.contains("05/12/2026 (hora UTC 10:30:00)"));
    }

    #[test]
    fn the_box_must_be_ticked_and_the_account_valid() {
        let form = SigningForm {
            titular: "Ana Pérez".into(),
            iban: "ES00 1234".into(),
            acepto: String::new(),
            token: String::new(),
        };
        let errors = form.validate().unwrap_err();
        assert!(errors.get("iban").is_some());
        assert!(errors.get("acepto").is_some());
        let form = SigningForm {
            iban: "ES9121000418450200051332".into(),
            acepto: "si".into(),
            ..form
        };
        let signature = form.validate().unwrap();
        assert_eq!(signature.iban.as_str(), "ES9121000418450200051332");
    }
}
