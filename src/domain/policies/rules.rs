//! The rules of a policy that need no database: statuses and their transitions, payment
//! frequencies, cancellation reasons, and the insured risk of each line, parsed from what a
//! form sends into typed values with Spanish messages per field.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

pub use super::taxi::Taxi;
use crate::validation::{FieldErrors, parse_date};

crate::text_enum!(Status);

/// Where a policy is in its life: `en vigor | suspendida | anulada | vencida`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Active,
    Suspended,
    Cancelled,
    Expired,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Active,
        Status::Suspended,
        Status::Cancelled,
        Status::Expired,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Suspended => "suspended",
            Status::Cancelled => "cancelled",
            Status::Expired => "expired",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Active => "En vigor",
            Status::Suspended => "Suspendida",
            Status::Cancelled => "Anulada",
            Status::Expired => "Vencida",
        }
    }

    /// The badge class of the status on pages.
    pub fn badge(self) -> &'static str {
        match self {
            Status::Active => "badge badge-ok",
            Status::Suspended => "badge badge-warn",
            Status::Cancelled | Status::Expired => "badge badge-muted",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Status::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// What can happen to a policy's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusAction {
    Suspend,
    Reactivate,
    Cancel,
    /// The end date passed without a renewal.
    Expire,
}

impl StatusAction {
    pub const ALL: [StatusAction; 4] = [
        StatusAction::Suspend,
        StatusAction::Reactivate,
        StatusAction::Cancel,
        StatusAction::Expire,
    ];
}

/// A status change the life cycle does not allow, with the message staff read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TransitionRefused {
    pub message: &'static str,
}

/// The life cycle: active → suspended → active, active|suspended → cancelled,
/// active → expired. Everything else is refused with the reason.
pub fn transition(from: Status, action: StatusAction) -> Result<Status, TransitionRefused> {
    use Status::*;
    use StatusAction::*;
    let refuse = |message| Err(TransitionRefused { message });
    match (from, action) {
        (Active, Suspend) => Ok(Suspended),
        (Suspended, Reactivate) => Ok(Active),
        (Active | Suspended, Cancel) => Ok(Cancelled),
        (Active, Expire) => Ok(Expired),
        (Suspended, Suspend) => refuse("La póliza ya está suspendida."),
        (Active, Reactivate) => refuse("La póliza ya está en vigor."),
        (Suspended, Expire) => {
            refuse("Una póliza suspendida no vence: reactívela o anúlela antes.")
        }
        (Cancelled, _) => refuse("La póliza está anulada: no admite más cambios de estado."),
        (Expired, _) => refuse("La póliza está vencida: no admite más cambios de estado."),
    }
}

/// Forma de pago.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    Annual,
    Semiannual,
    Quarterly,
    Monthly,
}

impl Frequency {
    pub const ALL: [Frequency; 4] = [
        Frequency::Annual,
        Frequency::Semiannual,
        Frequency::Quarterly,
        Frequency::Monthly,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Frequency::Annual => "annual",
            Frequency::Semiannual => "semiannual",
            Frequency::Quarterly => "quarterly",
            Frequency::Monthly => "monthly",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Frequency::Annual => "Anual",
            Frequency::Semiannual => "Semestral",
            Frequency::Quarterly => "Trimestral",
            Frequency::Monthly => "Mensual",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Frequency::ALL.into_iter().find(|f| f.code() == code)
    }
}

/// Why a policy was cancelled (motivo de anulación).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelReason {
    Unpaid,
    CustomerRequest,
    SoldAsset,
    TotalLoss,
    CarrierChange,
    Other,
}

impl CancelReason {
    pub const ALL: [CancelReason; 6] = [
        CancelReason::Unpaid,
        CancelReason::CustomerRequest,
        CancelReason::SoldAsset,
        CancelReason::TotalLoss,
        CancelReason::CarrierChange,
        CancelReason::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            CancelReason::Unpaid => "impago",
            CancelReason::CustomerRequest => "peticion_cliente",
            CancelReason::SoldAsset => "venta_bien",
            CancelReason::TotalLoss => "siniestro_total",
            CancelReason::CarrierChange => "cambio_compania",
            CancelReason::Other => "otro",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CancelReason::Unpaid => "Impago",
            CancelReason::CustomerRequest => "A petición del cliente",
            CancelReason::SoldAsset => "Venta del vehículo o bien asegurado",
            CancelReason::TotalLoss => "Siniestro total",
            CancelReason::CarrierChange => "Cambio de compañía",
            CancelReason::Other => "Otro",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        CancelReason::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// Renewals are accepted from 60 days before the end date to 30 days after it.
pub const RENEWAL_DAYS_BEFORE: i64 = 60;
pub const RENEWAL_DAYS_AFTER: i64 = 30;

/// Whether `today` falls in the renewal window of a policy ending on `end_date`.
pub fn in_renewal_window(end_date: NaiveDate, today: NaiveDate) -> bool {
    let days = (end_date - today).num_days();
    (-RENEWAL_DAYS_AFTER..=RENEWAL_DAYS_BEFORE).contains(&days)
}

/// A car plate, normalised: "1234 BCD" (current) or "M-1234-AB" (old provincial).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plate(String);

const PLATE_LETTERS: &str = "BCDFGHJKLMNPRSTVWXYZ";

impl Plate {
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let compact: String = text
            .trim()
            .to_uppercase()
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if compact.is_empty() {
            return Err("Escriba la matrícula.");
        }
        // Current: 4 digits + 3 consonants (no vowels, Ñ or Q).
        if compact.chars().count() == 7
            && compact.chars().take(4).all(|c| c.is_ascii_digit())
            && compact.chars().skip(4).all(|c| PLATE_LETTERS.contains(c))
        {
            return Ok(Plate(format!("{} {}", &compact[..4], &compact[4..])));
        }
        // Old provincial: 1–2 letters of the province, 4 digits, 1–2 letters.
        if compact.is_ascii() {
            let province: String = compact
                .chars()
                .take_while(|c| c.is_ascii_alphabetic())
                .collect();
            let rest = &compact[province.len()..];
            let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
            let suffix = &rest[digits.len()..];
            if (1..=2).contains(&province.len())
                && digits.len() == 4
                && (1..=2).contains(&suffix.len())
                && suffix.chars().all(|c| c.is_ascii_alphabetic())
            {
                return Ok(Plate(format!("{province}-{digits}-{suffix}")));
            }
        }
        Err(
            "La matrícula no es válida: escriba 4 cifras y 3 consonantes (1234 BCD) o una matrícula provincial (M-1234-AB).",
        )
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A plate stored before plates were checked, kept as it was written.
    pub(crate) fn unchecked(text: String) -> Self {
        Plate(text)
    }
}

/// A Spanish postcode: five digits, the first two a province (01–52).
pub fn parse_postcode(text: &str) -> Result<String, &'static str> {
    let code = text.trim();
    if code.is_empty() {
        return Err("Escriba el código postal.");
    }
    let province: u32 = if code.len() == 5 && code.chars().all(|c| c.is_ascii_digit()) {
        code[..2].parse().unwrap_or(0)
    } else {
        0
    };
    if !(1..=52).contains(&province) {
        return Err("El código postal debe tener 5 cifras y empezar por una provincia (01 a 52).");
    }
    Ok(code.to_owned())
}

/// Which risk data a line of business needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RiskKind {
    Vehicle,
    Taxi,
    Home,
    Persons,
    Other,
}

impl RiskKind {
    /// The kind of risk of a line, from its code.
    pub fn for_line(line_code: &str) -> Self {
        match line_code {
            "auto" => RiskKind::Vehicle,
            "taxi" => RiskKind::Taxi,
            "hogar" | "comercio" => RiskKind::Home,
            "vida" | "salud" | "decesos" | "accidentes" => RiskKind::Persons,
            _ => RiskKind::Other,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            RiskKind::Vehicle => "vehicle",
            RiskKind::Taxi => "taxi",
            RiskKind::Home => "home",
            RiskKind::Persons => "persons",
            RiskKind::Other => "other",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vehicle {
    pub plate: Plate,
    pub make: String,
    pub model: String,
    pub first_registration_year: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Home {
    pub address_line: String,
    pub postcode: String,
    pub city: String,
    pub built_area_m2: i32,
    pub year_built: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InsuredPerson {
    pub name: String,
    pub birth_date: NaiveDate,
}

/// The insured risk, as stored in `policies.risk`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Risk {
    Vehicle(Vehicle),
    Taxi(Taxi),
    Home(Home),
    Persons { persons: Vec<InsuredPerson> },
    Other { description: String },
}

impl Risk {
    /// The kind of risk this is (to check it against a line's).
    pub fn kind(&self) -> RiskKind {
        match self {
            Risk::Vehicle(_) => RiskKind::Vehicle,
            Risk::Taxi(_) => RiskKind::Taxi,
            Risk::Home(_) => RiskKind::Home,
            Risk::Persons { .. } => RiskKind::Persons,
            Risk::Other { .. } => RiskKind::Other,
        }
    }

    /// (label, value) pairs for the detail page.
    pub fn summary(&self) -> Vec<(String, String)> {
        let pair = |l: &str, v: String| (l.to_owned(), v);
        match self {
            Risk::Vehicle(v) => vec![
                pair("Matrícula", v.plate.as_str().to_owned()),
                pair("Marca y modelo", format!("{} {}", v.make, v.model)),
                pair(
                    "Año de primera matriculación",
                    v.first_registration_year.to_string(),
                ),
            ],
            Risk::Taxi(taxi) => taxi.summary(),
            Risk::Home(h) => vec![
                pair(
                    "Dirección",
                    format!("{}, {} {}", h.address_line, h.postcode, h.city),
                ),
                pair("Superficie construida", format!("{} m²", h.built_area_m2)),
                pair("Año de construcción", h.year_built.to_string()),
            ],
            Risk::Persons { persons } => persons
                .iter()
                .map(|p| {
                    pair(
                        "Asegurado",
                        format!(
                            "{} (fecha de nacimiento: {})",
                            p.name,
                            crate::format::date(p.birth_date)
                        ),
                    )
                })
                .collect(),
            Risk::Other { description } => vec![pair("Descripción", description.clone())],
        }
    }
}

/// How many insured persons the form offers.
pub const PERSON_SLOTS: usize = 3;
pub const PERSON_NAME_FIELDS: [&str; PERSON_SLOTS] = [
    "asegurado1_nombre",
    "asegurado2_nombre",
    "asegurado3_nombre",
];
pub const PERSON_BIRTH_FIELDS: [&str; PERSON_SLOTS] = [
    "asegurado1_nacimiento",
    "asegurado2_nacimiento",
    "asegurado3_nacimiento",
];

/// The risk fields of the form, as typed (every group; only the line's group is read).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RiskInput {
    pub matricula: String,
    pub marca: String,
    pub modelo: String,
    pub anio_matriculacion: String,
    pub direccion: String,
    pub codigo_postal: String,
    pub poblacion: String,
    pub superficie: String,
    pub anio_construccion: String,
    pub asegurado1_nombre: String,
    pub asegurado1_nacimiento: String,
    pub asegurado2_nombre: String,
    pub asegurado2_nacimiento: String,
    pub asegurado3_nombre: String,
    pub asegurado3_nacimiento: String,
    pub descripcion: String,
    pub taxi_matricula: String,
    pub taxi_marca: String,
    pub taxi_modelo: String,
    pub taxi_anio: String,
    pub taxi_plazas: String,
    pub taxi_pmr: String,
    pub taxi_combustible: String,
    pub taxi_valor: String,
    pub taxi_municipio: String,
    pub taxi_provincia: String,
    pub taxi_licencia: String,
    pub taxi_edad: String,
    pub taxi_carne: String,
    pub taxi_taxista: String,
    pub taxi_siniestros: String,
    pub taxi_cobertura: String,
    pub taxi_ocupantes: String,
    pub taxi_defensa: String,
    pub taxi_asistencia: String,
    pub taxi_paralizacion: String,
    pub taxi_retirada: String,
}

impl RiskInput {
    /// The risk as the form's fields (to carry a stored risk into a form untouched).
    pub fn of(risk: &Risk) -> Self {
        let mut input = RiskInput::default();
        match risk {
            Risk::Vehicle(v) => {
                input.matricula = v.plate.as_str().to_owned();
                input.marca = v.make.clone();
                input.modelo = v.model.clone();
                input.anio_matriculacion = v.first_registration_year.to_string();
            }
            Risk::Taxi(taxi) => taxi.fill(&mut input),
            Risk::Home(h) => {
                input.direccion = h.address_line.clone();
                input.codigo_postal = h.postcode.clone();
                input.poblacion = h.city.clone();
                input.superficie = h.built_area_m2.to_string();
                input.anio_construccion = h.year_built.to_string();
            }
            Risk::Persons { persons } => {
                let slots = [
                    (
                        &mut input.asegurado1_nombre,
                        &mut input.asegurado1_nacimiento,
                    ),
                    (
                        &mut input.asegurado2_nombre,
                        &mut input.asegurado2_nacimiento,
                    ),
                    (
                        &mut input.asegurado3_nombre,
                        &mut input.asegurado3_nacimiento,
                    ),
                ];
                for ((name, birth), person) in slots.into_iter().zip(persons) {
                    *name = person.name.clone();
                    *birth = person.birth_date.format("%Y-%m-%d").to_string();
                }
            }
            Risk::Other { description } => input.descripcion = description.clone(),
        }
        input
    }

    /// The value of a taxi option checkbox by its field name.
    pub fn option(&self, field: &str) -> &str {
        match field {
            "taxi_ocupantes" => &self.taxi_ocupantes,
            "taxi_defensa" => &self.taxi_defensa,
            "taxi_asistencia" => &self.taxi_asistencia,
            "taxi_paralizacion" => &self.taxi_paralizacion,
            "taxi_retirada" => &self.taxi_retirada,
            _ => "",
        }
    }

    pub(crate) fn option_mut(&mut self, field: &str) -> &mut String {
        match field {
            "taxi_ocupantes" => &mut self.taxi_ocupantes,
            "taxi_defensa" => &mut self.taxi_defensa,
            "taxi_asistencia" => &mut self.taxi_asistencia,
            "taxi_paralizacion" => &mut self.taxi_paralizacion,
            _ => &mut self.taxi_retirada,
        }
    }

    fn persons(&self) -> [(&str, &str); PERSON_SLOTS] {
        [
            (&self.asegurado1_nombre, &self.asegurado1_nacimiento),
            (&self.asegurado2_nombre, &self.asegurado2_nacimiento),
            (&self.asegurado3_nombre, &self.asegurado3_nacimiento),
        ]
    }
}

fn required_text(
    errors: &mut FieldErrors,
    field: &'static str,
    value: &str,
    max: usize,
    missing: &'static str,
) -> String {
    let value = value.trim();
    if value.is_empty() {
        errors.add(field, missing);
    } else if value.chars().count() > max {
        errors.add(field, format!("Escriba como mucho {max} caracteres."));
    }
    value.to_owned()
}

fn year_in(
    errors: &mut FieldErrors,
    field: &'static str,
    value: &str,
    first: i32,
    last: i32,
) -> i32 {
    match value.trim().parse::<i32>() {
        Ok(year) if (first..=last).contains(&year) => year,
        Ok(_) => {
            errors.add(field, format!("Escriba un año entre {first} y {last}."));
            0
        }
        Err(_) if value.trim().is_empty() => {
            errors.add(field, "Escriba el año.");
            0
        }
        Err(_) => {
            errors.add(field, "Escriba el año con cuatro cifras, por ejemplo 2019.");
            0
        }
    }
}

/// Parses the risk group of `kind` from the form; other groups are ignored.
pub fn parse_risk(
    kind: RiskKind,
    input: &RiskInput,
    today: NaiveDate,
) -> Result<Risk, FieldErrors> {
    let mut errors = FieldErrors::new();
    match parse_risk_into(kind, input, today, &mut errors) {
        Some(risk) if errors.is_empty() => Ok(risk),
        _ => Err(errors),
    }
}

/// The same, adding its messages to `errors` (the other fields of a form).
pub fn parse_risk_into(
    kind: RiskKind,
    input: &RiskInput,
    today: NaiveDate,
    errors: &mut FieldErrors,
) -> Option<Risk> {
    let current_year = today.year();
    match kind {
        RiskKind::Vehicle => {
            let plate = Plate::parse(&input.matricula).map_err(|m| errors.add("matricula", m));
            let make = required_text(errors, "marca", &input.marca, 60, "Escriba la marca.");
            let model = required_text(errors, "modelo", &input.modelo, 60, "Escriba el modelo.");
            let year = year_in(
                errors,
                "anio_matriculacion",
                &input.anio_matriculacion,
                1950,
                current_year,
            );
            plate.ok().map(|plate| {
                Risk::Vehicle(Vehicle {
                    plate,
                    make,
                    model,
                    first_registration_year: year,
                })
            })
        }
        RiskKind::Taxi => super::taxi::parse(input, today, errors).map(Risk::Taxi),
        RiskKind::Home => {
            let address = required_text(
                errors,
                "direccion",
                &input.direccion,
                200,
                "Escriba la dirección del riesgo.",
            );
            let postcode = parse_postcode(&input.codigo_postal)
                .map_err(|m| errors.add("codigo_postal", m))
                .unwrap_or_default();
            let city = required_text(
                errors,
                "poblacion",
                &input.poblacion,
                100,
                "Escriba la población.",
            );
            let area = match input.superficie.trim().parse::<i32>() {
                Ok(area) if (1..=100_000).contains(&area) => area,
                _ => {
                    errors.add(
                        "superficie",
                        "Escriba los metros cuadrados construidos (un número entero).",
                    );
                    0
                }
            };
            let year_built = year_in(
                errors,
                "anio_construccion",
                &input.anio_construccion,
                1700,
                current_year,
            );
            Some(Risk::Home(Home {
                address_line: address,
                postcode,
                city,
                built_area_m2: area,
                year_built,
            }))
        }
        RiskKind::Persons => {
            let mut persons = Vec::new();
            for (slot, (name, birth)) in input.persons().into_iter().enumerate() {
                let (name, birth) = (name.trim(), birth.trim());
                if name.is_empty() && birth.is_empty() {
                    continue;
                }
                if name.is_empty() {
                    errors.add(PERSON_NAME_FIELDS[slot], "Escriba el nombre del asegurado.");
                } else if name.chars().count() > 120 {
                    errors.add(
                        PERSON_NAME_FIELDS[slot],
                        "Escriba como mucho 120 caracteres.",
                    );
                }
                match parse_date(birth) {
                    Ok(date) if date > today => errors.add(
                        PERSON_BIRTH_FIELDS[slot],
                        "La fecha de nacimiento no puede ser futura.",
                    ),
                    Ok(date) if date.year() < 1900 => errors.add(
                        PERSON_BIRTH_FIELDS[slot],
                        "Escriba una fecha de nacimiento posterior a 1900.",
                    ),
                    Ok(date) => persons.push(InsuredPerson {
                        name: name.to_owned(),
                        birth_date: date,
                    }),
                    Err(message) => errors.add(PERSON_BIRTH_FIELDS[slot], message),
                }
            }
            if persons.is_empty() && !has_person_error(errors) {
                errors.add(
                    PERSON_NAME_FIELDS[0],
                    "Indique al menos una persona asegurada.",
                );
            }
            Some(Risk::Persons { persons })
        }
        RiskKind::Other => {
            let description = required_text(
                errors,
                "descripcion",
                &input.descripcion,
                2000,
                "Describa el riesgo asegurado.",
            );
            Some(Risk::Other { description })
        }
    }
}

fn has_person_error(errors: &FieldErrors) -> bool {
    PERSON_NAME_FIELDS
        .iter()
        .chain(PERSON_BIRTH_FIELDS.iter())
        .any(|f| errors.has(f))
}

/// A signed amount typed in a form ("-12,50", "+30", "1.234,56"), for premium changes.
pub fn parse_signed_cents(text: &str) -> Result<i64, &'static str> {
    let trimmed = text.trim();
    let (negative, rest) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
    };
    let cents = crate::money::parse_cents(rest)?;
    Ok(if negative { -cents } else { cents })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn every_status_and_action_pair_has_an_answer() {
        use Status::*;
        use StatusAction::*;
        let expected = [
            (Active, Suspend, Some(Suspended)),
            (Active, Reactivate, None),
            (Active, Cancel, Some(Cancelled)),
            (Active, Expire, Some(Expired)),
            (Suspended, Suspend, None),
            (Suspended, Reactivate, Some(Active)),
            (Suspended, Cancel, Some(Cancelled)),
            (Suspended, Expire, None),
            (Cancelled, Suspend, None),
            (Cancelled, Reactivate, None),
            (Cancelled, Cancel, None),
            (Cancelled, Expire, None),
            (Expired, Suspend, None),
            (Expired, Reactivate, None),
            (Expired, Cancel, None),
            (Expired, Expire, None),
        ];
        assert_eq!(expected.len(), Status::ALL.len() * StatusAction::ALL.len());
        for (from, action, to) in expected {
            match (transition(from, action), to) {
                (Ok(got), Some(want)) => assert_eq!(got, want, "{from:?} {action:?}"),
                (Err(refused), None) => {
                    assert!(!refused.message.is_empty(), "{from:?} {action:?}")
                }
                (got, want) => panic!("{from:?} {action:?}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn cancelling_a_cancelled_policy_says_why_not() {
        let refused = transition(Status::Cancelled, StatusAction::Cancel).unwrap_err();
        assert_eq!(
            refused.message,
            "La póliza está anulada: no admite más cambios de estado."
        );
    }

    #[test]
    fn codes_parse_back() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.code()), Some(s));
        }
        for f in Frequency::ALL {
            assert_eq!(Frequency::parse(f.code()), Some(f));
        }
        for r in CancelReason::ALL {
            assert_eq!(CancelReason::parse(r.code()), Some(r));
        }
        assert_eq!(Status::parse("activa"), None);
    }

    #[test]
    fn current_plates_are_normalised() {
        assert_eq!(Plate::parse("1234bcd").unwrap().as_str(), "1234 BCD");
        assert_eq!(Plate::parse(" 1234-BCD ").unwrap().as_str(), "1234 BCD");
        assert_eq!(Plate::parse("0000 ZZZ").unwrap().as_str(), "0000 ZZZ");
    }

    #[test]
    fn plates_with_vowels_enye_or_q_are_refused() {
        for plate in [
            "1234 BAD",
            "1234 BCÑ",
            "1234 QBC",
            "1234 BCE",
            "123 BCD",
            "12345 BCD",
            "1234 BC",
        ] {
            assert!(Plate::parse(plate).is_err(), "{plate}");
        }
        assert_eq!(Plate::parse("").unwrap_err(), "Escriba la matrícula.");
    }

    #[test]
    fn old_provincial_plates_are_accepted() {
        assert_eq!(Plate::parse("M-1234-AB").unwrap().as_str(), "M-1234-AB");
        assert_eq!(Plate::parse("ma 1234 b").unwrap().as_str(), "MA-1234-B");
        assert!(Plate::parse("MAD-1234-AB").is_err());
        assert!(Plate::parse("M-123-AB").is_err());
    }

    #[test]
    fn postcodes_need_a_province() {
        assert_eq!(parse_postcode("28001"), Ok("28001".into()));
        assert_eq!(parse_postcode("52001"), Ok("52001".into()));
        for code in ["00123", "53001", "2800", "280011", "28a01"] {
            assert!(parse_postcode(code).is_err(), "{code}");
        }
    }

    #[test]
    fn lines_map_to_their_risk() {
        assert_eq!(RiskKind::for_line("taxi"), RiskKind::Taxi);
        assert_eq!(RiskKind::for_line("auto"), RiskKind::Vehicle);
        assert_eq!(RiskKind::for_line("comercio"), RiskKind::Home);
        assert_eq!(RiskKind::for_line("decesos"), RiskKind::Persons);
        assert_eq!(RiskKind::for_line("rc"), RiskKind::Other);
    }

    #[test]
    fn persons_need_at_least_one_insured() {
        let today = day(2026, 11, 23);
        let errors = parse_risk(RiskKind::Persons, &RiskInput::default(), today).unwrap_err();
        assert_eq!(
            errors.get("asegurado1_nombre"),
            Some("Indique al menos una persona asegurada.")
        );
        let input = RiskInput {
            asegurado2_nombre: "Ana Ruiz".into(),
            asegurado2_nacimiento: "1980-05-02".into(),
            ..RiskInput::default()
        };
        let Risk::Persons { persons } = parse_risk(RiskKind::Persons, &input, today).unwrap()
        else {
            panic!("persons");
        };
        assert_eq!(persons.len(), 1);
        assert_eq!(persons[0].birth_date, day(1980, 5, 2));
    }

    #[test]
    fn vehicle_years_run_from_1950_to_this_year() {
        let today = day(2026, 11, 23);
        let mut input = RiskInput {
            matricula: "1234 BCD".into(),
            marca: "Toyota".into(),
            modelo: "Corolla".into(),
            anio_matriculacion: "2027".into(),
            ..RiskInput::default()
        };
        let errors = parse_risk(RiskKind::Vehicle, &input, today).unwrap_err();
        assert_eq!(
            errors.get("anio_matriculacion"),
            Some("Escriba un año entre 1950 y 2026.")
        );
        input.anio_matriculacion = "2026".into();
        assert!(parse_risk(RiskKind::Vehicle, &input, today).is_ok());
    }

    #[test]
    fn risk_round_trips_through_json() {
        let risk = Risk::Vehicle(Vehicle {
            plate: Plate::parse("1234 BCD").unwrap(),
            make: "Seat".into(),
            model: "León".into(),
            first_registration_year: 2020,
        });
        let json = serde_json::to_value(&risk).unwrap();
        assert_eq!(json["kind"], "vehicle");
        assert_eq!(serde_json::from_value::<Risk>(json).unwrap(), risk);
    }

    #[test]
    fn renewals_open_60_days_before_and_close_30_after() {
        let end = day(2026, 12, 31);
        assert!(in_renewal_window(end, day(2026, 11, 1)));
        assert!(!in_renewal_window(end, day(2026, 10, 31)));
        assert!(in_renewal_window(end, day(2027, 1, 30)));
        assert!(!in_renewal_window(end, day(2027, 1, 31)));
    }

    #[test]
    fn premium_changes_may_be_negative() {
        assert_eq!(parse_signed_cents("-12,50"), Ok(-1250));
        assert_eq!(parse_signed_cents("+30"), Ok(3000));
        assert_eq!(parse_signed_cents("1.234,56"), Ok(123456));
        assert!(parse_signed_cents("doce").is_err());
    }
}
