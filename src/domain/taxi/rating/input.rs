//! From what the quoter's form sends (strings) to a [`RatingInput`], with a Spanish message
//! next to each field that cannot be priced. Impossible inputs (a car from 1950, a driver of
//! 16, a value of −1, more years licensed than years since 18) never reach the engine.

use serde::{Deserialize, Serialize};

use super::zones::Zone;
use super::{Coverage, Extra, Fuel, RatingInput, Shift};
use crate::validation::FieldErrors;

/// Oldest vehicle the quoter prices: taxis are retired long before 20 years.
pub const MAX_VEHICLE_AGE: i32 = 20;
pub const MIN_VALUE_CENTS: i64 = 300_000;
pub const MAX_VALUE_CENTS: i64 = 15_000_000;
pub const MIN_DRIVER_AGE: u32 = 18;
pub const MAX_DRIVER_AGE: u32 = 80;
pub const MAX_CLAIMS: u32 = 20;

/// The quoter's fields as typed. Field names are the form's (Spanish, short).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawInput {
    pub anio: String,
    pub valor: String,
    pub plazas: String,
    pub pmr: String,
    pub combustible: String,
    pub municipio: String,
    pub provincia: String,
    pub turno: String,
    pub aeropuerto: String,
    pub segundo: String,
    pub edad: String,
    pub carne: String,
    pub taxista: String,
    pub siniestros: String,
    pub cobertura: String,
    pub ocupantes: String,
    pub defensa: String,
    pub asistencia: String,
    pub paralizacion: String,
    pub retirada: String,
}

/// Every field of the quoter that can carry an error, in form order.
pub const FIELDS: &[&str] = &[
    "anio",
    "valor",
    "plazas",
    "combustible",
    "municipio",
    "provincia",
    "turno",
    "edad",
    "carne",
    "taxista",
    "siniestros",
    "cobertura",
];

impl RawInput {
    /// The option checkboxes as (form field, option, ticked).
    pub fn extras(&self) -> [(&'static str, Extra, bool); 5] {
        let on = |v: &str| !v.trim().is_empty();
        [
            ("ocupantes", Extra::Occupants, on(&self.ocupantes)),
            ("defensa", Extra::LegalDefence, on(&self.defensa)),
            ("asistencia", Extra::AssistanceKm0, on(&self.asistencia)),
            ("paralizacion", Extra::Downtime, on(&self.paralizacion)),
            ("retirada", Extra::LicenceWithdrawal, on(&self.retirada)),
        ]
    }

    /// Whether every field a price needs has something typed in it (the live quoter keeps
    /// quiet about empty fields until then).
    pub fn is_complete(&self) -> bool {
        [
            &self.anio,
            &self.valor,
            &self.municipio,
            &self.provincia,
            &self.edad,
            &self.carne,
            &self.taxista,
            &self.siniestros,
        ]
        .iter()
        .all(|v| !v.trim().is_empty())
    }

    /// Field value by name, for "is it empty?" questions of the live quoter.
    pub fn value(&self, field: &str) -> &str {
        match field {
            "anio" => &self.anio,
            "valor" => &self.valor,
            "plazas" => &self.plazas,
            "combustible" => &self.combustible,
            "municipio" => &self.municipio,
            "provincia" => &self.provincia,
            "turno" => &self.turno,
            "edad" => &self.edad,
            "carne" => &self.carne,
            "taxista" => &self.taxista,
            "siniestros" => &self.siniestros,
            "cobertura" => &self.cobertura,
            _ => "",
        }
    }
}

fn whole_number(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() || text.len() > 9 {
        return None;
    }
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: i64 = digits.parse().ok()?;
    Some(if negative { -value } else { value })
}

fn years(errors: &mut FieldErrors, field: &'static str, text: &str, missing: &str) -> Option<u32> {
    if text.trim().is_empty() {
        errors.add(field, missing);
        return None;
    }
    match whole_number(text) {
        Some(n) if n < 0 => {
            errors.add(field, "No puede ser un número negativo.");
            None
        }
        Some(n) if n > 200 => {
            errors.add(field, "El número es demasiado alto. Revíselo.");
            None
        }
        Some(n) => Some(n as u32),
        None => {
            errors.add(field, "Escriba un número entero, sin decimales.");
            None
        }
    }
}

/// The province's INE code (01–52) or `None`.
pub fn province_code(text: &str) -> Option<u32> {
    let code: u32 = text.trim().parse().ok()?;
    crate::identifiers::province_name(code).map(|_| code)
}

/// Validates the quoter's form for a price computed in `as_of_year`.
pub fn validate(raw: &RawInput, as_of_year: i32) -> Result<RatingInput, FieldErrors> {
    let mut errors = FieldErrors::new();

    let oldest = as_of_year - MAX_VEHICLE_AGE;
    let vehicle_year = match whole_number(&raw.anio) {
        _ if raw.anio.trim().is_empty() => {
            errors.add("anio", "Escriba el año de matriculación.");
            None
        }
        Some(year) if year < i64::from(oldest) => {
            errors.add(
                "anio",
                format!(
                    "Un taxi matriculado en {year} no puede trabajar hoy: el año debe estar entre {oldest} y {as_of_year}."
                ),
            );
            None
        }
        Some(year) if year > i64::from(as_of_year) => {
            errors.add(
                "anio",
                format!("El año de matriculación no puede ser posterior a {as_of_year}."),
            );
            None
        }
        Some(year) => Some(year as i32),
        None => {
            errors.add(
                "anio",
                "Escriba el año con cuatro cifras (por ejemplo, 2022).",
            );
            None
        }
    };

    let value = raw.valor.trim();
    let vehicle_value_cents = if value.is_empty() {
        errors.add("valor", "Escriba el valor del vehículo.");
        None
    } else if value.starts_with('-') {
        errors.add("valor", "El valor del vehículo no puede ser negativo.");
        None
    } else {
        match crate::money::parse_cents(value) {
            Ok(cents) if cents < MIN_VALUE_CENTS => {
                errors.add(
                    "valor",
                    "El valor del vehículo debe ser de al menos 3.000 €.",
                );
                None
            }
            Ok(cents) if cents > MAX_VALUE_CENTS => {
                errors.add(
                    "valor",
                    "El valor del vehículo no puede superar 150.000 €. Para más, llámenos.",
                );
                None
            }
            Ok(cents) => Some(cents),
            Err(message) => {
                errors.add("valor", message);
                None
            }
        }
    };

    let seats = match raw.plazas.trim() {
        "" | "5" => Some(5),
        "7" => Some(7),
        "9" => Some(9),
        _ => {
            errors.add("plazas", "Elija 5, 7 o 9 plazas.");
            None
        }
    };

    let fuel = match raw.combustible.trim() {
        "" => Some(Fuel::Combustion),
        code => Fuel::ALL
            .into_iter()
            .find(|f| f.code() == code)
            .or_else(|| {
                errors.add("combustible", "Elija el combustible.");
                None
            }),
    };

    let municipality = raw.municipio.trim();
    if municipality.is_empty() {
        errors.add("municipio", "Escriba el municipio que le dio la licencia.");
    } else if municipality.chars().count() > 100 {
        errors.add(
            "municipio",
            "El municipio no puede tener más de 100 caracteres.",
        );
    }
    let province = if raw.provincia.trim().is_empty() {
        errors.add("provincia", "Elija la provincia de la licencia.");
        None
    } else {
        province_code(&raw.provincia).or_else(|| {
            errors.add("provincia", "Elija una provincia de la lista.");
            None
        })
    };

    let shift = match raw.turno.trim() {
        "" => Some(Shift::Day),
        code => Shift::ALL
            .into_iter()
            .find(|s| s.code() == code)
            .or_else(|| {
                errors.add("turno", "Elija el turno.");
                None
            }),
    };

    let driver_age = years(&mut errors, "edad", &raw.edad, "Escriba su edad.");
    let driver_age = match driver_age {
        Some(age) if age < MIN_DRIVER_AGE => {
            errors.add(
                "edad",
                "Para conducir un taxi hay que tener al menos 18 años.",
            );
            None
        }
        Some(age) if age > MAX_DRIVER_AGE => {
            errors.add(
                "edad",
                "El tarificador calcula hasta 80 años; para más edad, llámenos y lo estudiamos.",
            );
            None
        }
        other => other,
    };
    let years_licensed = years(
        &mut errors,
        "carne",
        &raw.carne,
        "Escriba cuántos años hace que tiene el carné.",
    );
    let years_as_taxi_driver = years(
        &mut errors,
        "taxista",
        &raw.taxista,
        "Escriba cuántos años lleva como taxista (0 si empieza).",
    );
    let claims_5y = years(
        &mut errors,
        "siniestros",
        &raw.siniestros,
        "Escriba cuántos siniestros ha tenido en los últimos 5 años (0 si ninguno).",
    );
    if claims_5y.is_some_and(|n| n > MAX_CLAIMS) {
        errors.add(
            "siniestros",
            "Con más de 20 siniestros no podemos calcular en línea: llámenos.",
        );
    }
    if let (Some(age), Some(licensed)) = (driver_age, years_licensed)
        && licensed > age - MIN_DRIVER_AGE
    {
        errors.add(
            "carne",
            format!(
                "Con {age} años no puede tener el carné desde hace más de {} años.",
                age - MIN_DRIVER_AGE
            ),
        );
    }
    if let (Some(licensed), Some(taxi)) = (years_licensed, years_as_taxi_driver)
        && taxi > licensed
    {
        errors.add(
            "taxista",
            "No puede llevar más años como taxista que con el carné de conducir.",
        );
    }

    let coverage = match raw.cobertura.trim() {
        "" => None,
        code => Coverage::parse(code),
    };
    if coverage.is_none() {
        errors.add("cobertura", "Elija el nivel de cobertura.");
    }

    let mut extras: Vec<Extra> = raw
        .extras()
        .into_iter()
        .filter(|(_, _, on)| *on)
        .map(|(_, extra, _)| extra)
        .collect();
    extras.sort();
    extras.dedup();

    if !errors.is_empty() {
        return Err(errors);
    }
    match (
        vehicle_year,
        vehicle_value_cents,
        seats,
        fuel,
        province,
        shift,
        driver_age,
        years_licensed,
        years_as_taxi_driver,
        claims_5y,
        coverage,
    ) {
        (
            Some(vehicle_year),
            Some(vehicle_value_cents),
            Some(seats),
            Some(fuel),
            Some(province),
            Some(shift),
            Some(driver_age),
            Some(years_licensed),
            Some(years_as_taxi_driver),
            Some(claims_5y),
            Some(coverage),
        ) => Ok(RatingInput {
            as_of_year,
            vehicle_year,
            vehicle_value_cents,
            seats,
            pmr: !raw.pmr.trim().is_empty(),
            fuel,
            zone: Zone::of(municipality, province),
            shift,
            airport: !raw.aeropuerto.trim().is_empty(),
            second_driver: !raw.segundo.trim().is_empty(),
            driver_age,
            years_licensed,
            years_as_taxi_driver,
            claims_5y,
            coverage,
            extras,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> RawInput {
        RawInput {
            anio: "2022".into(),
            valor: "28000".into(),
            plazas: "5".into(),
            combustible: "hybrid".into(),
            municipio: "Madrid".into(),
            provincia: "28".into(),
            turno: "day".into(),
            edad: "45".into(),
            carne: "20".into(),
            taxista: "8".into(),
            siniestros: "0".into(),
            cobertura: "third_party_extended".into(),
            ..RawInput::default()
        }
    }

    fn error_of(change: impl FnOnce(&mut RawInput), field: &str) -> String {
        let mut raw = valid();
        change(&mut raw);
        let errors = validate(&raw, 2026).expect_err("should be rejected");
        errors.get(field).unwrap_or_default().to_owned()
    }

    #[test]
    fn a_valid_form_gives_a_rating_input() {
        let input = validate(&valid(), 2026).unwrap();
        assert_eq!(input.zone, Zone::One);
        assert_eq!(input.vehicle_value_cents, 2_800_000);
    }

    #[test]
    fn impossible_inputs_get_spanish_messages() {
        assert!(error_of(|r| r.anio = "1950".into(), "anio").contains("1950"));
        assert!(error_of(|r| r.anio = "2027".into(), "anio").contains("posterior"));
        assert!(error_of(|r| r.edad = "16".into(), "edad").contains("18 años"));
        assert!(error_of(|r| r.valor = "-1".into(), "valor").contains("negativo"));
        assert!(error_of(|r| r.carne = "30".into(), "carne").contains("27"));
        assert!(error_of(|r| r.taxista = "21".into(), "taxista").contains("carné"));
        assert!(!error_of(|r| r.plazas = "6".into(), "plazas").is_empty());
        assert!(!error_of(|r| r.provincia = "99".into(), "provincia").is_empty());
        assert!(!error_of(|r| r.siniestros = "dos".into(), "siniestros").is_empty());
    }

    #[test]
    fn year_and_age_edges() {
        let ok = |change: fn(&mut RawInput)| {
            let mut raw = valid();
            change(&mut raw);
            validate(&raw, 2026).is_ok()
        };
        assert!(ok(|r| r.anio = "2006".into()));
        assert!(!ok(|r| r.anio = "2005".into()));
        assert!(ok(|r| r.anio = "2026".into()));
        assert!(ok(|r| {
            r.edad = "18".into();
            r.carne = "0".into();
            r.taxista = "0".into();
        }));
        assert!(!ok(|r| r.edad = "17".into()));
        assert!(ok(|r| r.edad = "80".into()));
        assert!(!ok(|r| r.edad = "81".into()));
        assert!(ok(|r| r.carne = "27".into()));
    }
}
