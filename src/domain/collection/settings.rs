//! The brokerage as a SEPA creditor: its name, creditor identifier, account and address, and
//! its bank's profile (the file version it takes, FRST or RCUR on a first collection, the days
//! of notice given to debtors). One row, edited by managers.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit::{Action, Actor, target};
use crate::catalog::fields::{optional, required};
use crate::db::schema::sepa_settings;
use crate::identifiers::Iban;
use crate::sepa::CreditorId;
use crate::sepa::pain008::Version;
use crate::validation::{FieldErrors, Validated};

/// The file versions a bank may ask for, newest first: (code, what the form says).
pub const VERSIONS: [(&str, &str); 2] = [
    (
        "pain.008.001.08",
        "pain.008.001.08 (la vigente desde marzo de 2024)",
    ),
    (
        "pain.008.001.02",
        "pain.008.001.02 (la anterior, para bancos que aún la piden)",
    ),
];

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sepa_settings)]
pub struct Settings {
    pub creditor_name: String,
    pub creditor_id: String,
    pub iban: String,
    pub bic: Option<String>,
    pub street: String,
    pub postcode: String,
    pub town: String,
    pub country: String,
    pub file_version: String,
    pub first_sequence: bool,
    pub notice_days: i32,
}

impl Settings {
    pub fn version(&self) -> Version {
        if self.file_version == "pain.008.001.02" {
            Version::V02
        } else {
            Version::V08
        }
    }
}

/// The settings, once a manager has saved them.
pub fn get(conn: &mut PgConnection) -> QueryResult<Option<Settings>> {
    sepa_settings::table
        .select(Settings::as_select())
        .first(conn)
        .optional()
}

/// The settings form as typed.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct SettingsForm {
    pub acreedor: String,
    pub identificador: String,
    pub iban: String,
    pub bic: String,
    pub calle: String,
    pub codigo_postal: String,
    pub poblacion: String,
    pub version: String,
    /// "si" when the bank wants FRST on a mandate's first collection.
    pub primer_adeudo: String,
    pub dias_aviso: String,
}

impl Default for SettingsForm {
    fn default() -> Self {
        Self {
            acreedor: String::new(),
            identificador: String::new(),
            iban: String::new(),
            bic: String::new(),
            calle: String::new(),
            codigo_postal: String::new(),
            poblacion: String::new(),
            version: VERSIONS[0].0.to_owned(),
            primer_adeudo: "si".to_owned(),
            dias_aviso: "14".to_owned(),
        }
    }
}

/// Valid settings. Serialised with the form's names: the audit entry's details.
#[derive(Debug, Clone, Serialize)]
pub struct SettingsInput {
    #[serde(rename = "acreedor")]
    pub creditor_name: String,
    #[serde(rename = "identificador")]
    pub creditor_id: String,
    pub iban: String,
    pub bic: Option<String>,
    #[serde(rename = "calle")]
    pub street: String,
    #[serde(rename = "codigo_postal")]
    pub postcode: String,
    #[serde(rename = "poblacion")]
    pub town: String,
    pub version: String,
    #[serde(rename = "primer_adeudo")]
    pub first_sequence: bool,
    #[serde(rename = "dias_aviso")]
    pub notice_days: i32,
}

impl SettingsForm {
    pub fn of(settings: &Settings) -> Self {
        Self {
            acreedor: settings.creditor_name.clone(),
            identificador: settings.creditor_id.clone(),
            iban: settings.iban.clone(),
            bic: settings.bic.clone().unwrap_or_default(),
            calle: settings.street.clone(),
            codigo_postal: settings.postcode.clone(),
            poblacion: settings.town.clone(),
            version: settings.file_version.clone(),
            primer_adeudo: if settings.first_sequence { "si" } else { "" }.to_owned(),
            dias_aviso: settings.notice_days.to_string(),
        }
    }

    pub fn validate(&self) -> Validated<SettingsInput> {
        let mut errors = FieldErrors::new();
        let creditor_name = required(
            &mut errors,
            "acreedor",
            &self.acreedor,
            70,
            "Escriba el nombre del acreedor, como lo tiene el banco.",
        );
        let creditor_id = match CreditorId::parse(&self.identificador) {
            Ok(id) => id.as_str().to_owned(),
            Err(message) => {
                errors.add("identificador", message);
                String::new()
            }
        };
        let iban = match Iban::parse(&self.iban) {
            Ok(iban) => iban.as_str().to_owned(),
            Err(message) => {
                errors.add("iban", message);
                String::new()
            }
        };
        let bic: String = self
            .bic
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase();
        let bic = if bic.is_empty() {
            None
        } else if is_bic(&bic) {
            Some(bic)
        } else {
            errors.add(
                "bic",
                "El BIC tiene 8 u 11 caracteres (por ejemplo, CAIXESBBXXX). Puede dejarlo vacío.",
            );
            None
        };
        let street = optional(&mut errors, "calle", &self.calle, 70);
        let postcode = optional(&mut errors, "codigo_postal", &self.codigo_postal, 16);
        let town = required(
            &mut errors,
            "poblacion",
            &self.poblacion,
            35,
            "Escriba la población: el fichero la lleva desde noviembre de 2026.",
        );
        let version = match VERSIONS
            .iter()
            .find(|(code, _)| *code == self.version.trim())
        {
            Some((code, _)) => (*code).to_owned(),
            None => {
                errors.add("version", "Elija la versión del fichero que pide su banco.");
                String::new()
            }
        };
        let notice_days = match self.dias_aviso.trim().parse::<i32>() {
            Ok(days) if (1..=60).contains(&days) => days,
            _ => {
                errors.add(
                    "dias_aviso",
                    "Escriba cuántos días antes del cargo se avisa al cliente (de 1 a 60; lo habitual son 14).",
                );
                14
            }
        };
        errors.into_result(SettingsInput {
            creditor_name,
            creditor_id,
            iban,
            bic,
            street,
            postcode,
            town,
            version,
            first_sequence: self.primer_adeudo.trim() == "si",
            notice_days,
        })
    }
}

/// `CAIXESBBXXX`: bank (4 letters), country (2 letters), place (2), optional branch (3).
fn is_bic(bic: &str) -> bool {
    let bytes = bic.as_bytes();
    (bytes.len() == 8 || bytes.len() == 11)
        && bytes[..6].iter().all(u8::is_ascii_uppercase)
        && bytes[6..].iter().all(u8::is_ascii_alphanumeric)
}

/// Saves the settings (the one row), audited.
pub fn save(conn: &mut PgConnection, by: &Actor, input: &SettingsInput) -> QueryResult<()> {
    let values = (
        sepa_settings::id.eq(1i16),
        sepa_settings::creditor_name.eq(&input.creditor_name),
        sepa_settings::creditor_id.eq(&input.creditor_id),
        sepa_settings::iban.eq(&input.iban),
        sepa_settings::bic.eq(&input.bic),
        sepa_settings::street.eq(&input.street),
        sepa_settings::postcode.eq(&input.postcode),
        sepa_settings::town.eq(&input.town),
        sepa_settings::file_version.eq(&input.version),
        sepa_settings::first_sequence.eq(input.first_sequence),
        sepa_settings::notice_days.eq(input.notice_days),
        sepa_settings::updated_at.eq(diesel::dsl::now),
        sepa_settings::updated_by_staff_id.eq(by.staff()),
    );
    diesel::insert_into(sepa_settings::table)
        .values(values)
        .on_conflict(sepa_settings::id)
        .do_update()
        .set(values)
        .execute(conn)?;
    by.record(
        conn,
        Action::SepaSettingsChanged,
        target::SETTINGS,
        1,
        json!(input),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> SettingsForm {
        SettingsForm {
            acreedor: "Soriano Mediadores, S.L.".into(),
            identificador: "ES77000B85626240".into(),
            iban: "ES91 2100 0418 4502 0005 1332".into(),
            bic: "caixesbbxxx".into(),
            poblacion: "Madrid".into(),
            ..SettingsForm::default()
        }
    }

    #[test]
    fn a_valid_form_gives_typed_settings() {
        let input = valid().validate().unwrap();
        assert_eq!(input.iban, "ES9121000418450200051332");
        assert_eq!(input.bic.as_deref(), Some("CAIXESBBXXX"));
        assert_eq!(input.version, "pain.008.001.08");
        assert!(input.first_sequence);
        assert_eq!(input.notice_days, 14);
    }

    #[test]
    fn each_wrong_field_is_named() {
        let form = SettingsForm {
            identificador: "ES78000B85626240".into(),
            iban: "ES00 2100".into(),
            bic: "CAIX".into(),
            poblacion: String::new(),
            version: "pain.001".into(),
            dias_aviso: "0".into(),
            ..valid()
        };
        let errors = form.validate().unwrap_err();
        for field in [
            "identificador",
            "iban",
            "bic",
            "poblacion",
            "version",
            "dias_aviso",
        ] {
            assert!(errors.get(field).is_some(), "{field}");
        }
    }
}
